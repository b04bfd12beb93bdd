"""Fault switches for the local API server, per source, deterministic (counter based)
so a test that turns one on knows exactly what the poller will meet.

Spec strings (`ledgerlake sources serve --fault ...`, repeatable):

    stripe:429            a burst of 3 x 429 (Retry-After: 1) every 10th request
    stripe:429=5,2,0      every 5th request starts a burst of 2, Retry-After: 0
    xero:5xx              every 4th request answers 503
    xero:5xx=3            every 3rd request answers 503
    hubspot:slow=4,2.5    every 4th request waits 2.5 s before answering (client timeouts)
    plaid:mutation=1      the next 1 mid-pagination /transactions/sync call fails with
                          TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION
    shopify:throttle      drain the GraphQL cost bucket once (THROTTLED, then refill)
    *:5xx                 the same for every source
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("429", "5xx", "slow", "mutation", "throttle")


@dataclass
class Faults:
    rate_limit_every: int = 0
    rate_limit_burst: int = 3
    retry_after: int = 1
    error_every: int = 0
    slow_every: int = 0
    slow_seconds: float = 0.0
    plaid_mutations: int = 0
    shopify_throttle: int = 0


class FaultState:
    """Faults and request counters per source (thread-safe: the server is threaded)."""

    def __init__(self):
        self.faults: dict[str, Faults] = {}
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def get(self, source: str) -> Faults:
        with self.lock:
            return self.faults.setdefault(source, Faults())

    def set(self, source: str, **values) -> Faults:
        with self.lock:
            faults = self.faults.setdefault(source, Faults())
            for key, value in values.items():
                if not hasattr(faults, key):
                    raise ValueError(f"unknown fault setting {key}")
                setattr(faults, key, value)
            return faults

    def clear(self, source: str | None = None) -> None:
        with self.lock:
            if source is None:
                self.faults.clear()
            else:
                self.faults.pop(source, None)

    def next_request(self, source: str) -> tuple[int, Faults]:
        with self.lock:
            n = self.counts.get(source, 0) + 1
            self.counts[source] = n
            return n, self.faults.setdefault(source, Faults())

    def take(self, source: str, field: str) -> bool:
        """Consume one shot of a one-off fault (Plaid mutation, Shopify throttle)."""
        with self.lock:
            faults = self.faults.setdefault(source, Faults())
            left = getattr(faults, field)
            if left > 0:
                setattr(faults, field, left - 1)
                return True
            return False

    def apply_spec(self, spec: str, sources: tuple[str, ...]) -> None:
        target, _, rest = spec.partition(":")
        kind, _, args = rest.partition("=")
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, not {kind!r} (spec {spec!r})")
        values = [a for a in args.split(",") if a]
        for source in sources if target == "*" else (target,):
            if source not in sources:
                raise ValueError(f"unknown source {source!r} in fault spec {spec!r}")
            if kind == "429":
                every, burst, retry = (values + ["10", "3", "1"][len(values) :])[:3]
                self.set(source, rate_limit_every=int(every), rate_limit_burst=int(burst), retry_after=int(retry))
            elif kind == "5xx":
                self.set(source, error_every=int(values[0]) if values else 4)
            elif kind == "slow":
                every, seconds = (values + ["4", "2.0"][len(values) :])[:2]
                self.set(source, slow_every=int(every), slow_seconds=float(seconds))
            elif kind == "mutation":
                self.set(source, plaid_mutations=int(values[0]) if values else 1)
            elif kind == "throttle":
                self.set(source, shopify_throttle=int(values[0]) if values else 1)
