"""QuickBooks Online: webhook verification and identity (webhook.py), hydration (hydrate.py), polling (poll.py)."""
