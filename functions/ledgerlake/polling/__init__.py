"""Polled feeds: the shared HTTP client, cursor store and run loop used by every
`ledgerlake.sources.<provider>.poll` module. See docs/polling.md."""

from .http import Budget, BudgetExhausted, HttpClient, RetryPolicy
from .runner import SOURCES, PollResult, base_url_for, poll_all, poll_source

__all__ = [
    "SOURCES",
    "Budget",
    "BudgetExhausted",
    "HttpClient",
    "PollResult",
    "RetryPolicy",
    "base_url_for",
    "poll_all",
    "poll_source",
]
