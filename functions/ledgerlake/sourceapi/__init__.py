"""`ledgerlake sources serve`: a local server speaking each provider's API over the
simulated company (see server.py for the layout and docs/polling.md for operators)."""

from .server import LocalProviders, ProviderAPI, local_credentials, make_server, serve_in_thread
from .store import SimStore

__all__ = ["LocalProviders", "ProviderAPI", "SimStore", "local_credentials", "make_server", "serve_in_thread"]
