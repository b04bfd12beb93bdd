"""One package per provider: its webhook scheme, hydration and poller live together.

The source names live here, once: the providers a company connects, the ones whose
webhooks are thin "something changed" pings (hydrated), and what the pollers run
(the providers plus `ecb`, the FX reference feed, which needs no connection).
"""

PROVIDERS = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid")
THIN_PROVIDERS = ("hubspot", "qbo", "xero", "plaid")
POLLED = PROVIDERS + ("ecb",)  # ecb: FX reference rates
