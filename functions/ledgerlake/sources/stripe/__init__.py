"""Stripe: webhook verification and identity (webhook.py), polling (poll.py)."""
