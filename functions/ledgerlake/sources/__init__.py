"""One package per provider: its webhook scheme, hydration and poller live together."""
