"""One module per provider: `check_auth`, `rate_limited`, `server_error`, `handle`."""

import importlib

NAMES = ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid", "ecb")


def load() -> dict:
    return {name: importlib.import_module(f"{__name__}.{name}") for name in NAMES}
