"""What a connection record holds, and how each provider's OAuth endpoints are reached.

A record (a dict, stored whole in one secret / one 0600 file):

    source, kind ("oauth2" | "shopify" | "plaid" | "api_key"), status ("connected" |
    "needs_reconnect"), error, account (realm / tenant / shop / items, for display),
    client_id, client_secret, token_url, access_token, refresh_token, expires_at,
    refresh_expires_at (epoch seconds), scope, connected_at, refreshed_at, refresh_count,
    lease ({"owner", "until"} while one refresher holds it), plus per source: realm_id
    (qbo), tenant_id / tenant_name (xero), hub_id (hubspot), shop (shopify), items
    ([{"item_id", "access_token"}], plaid).

`SECRET_FIELDS` are never printed or logged; `public_view` is what status output shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..sources import PROVIDERS

SOURCES = PROVIDERS
REFRESHING = ("qbo", "xero", "hubspot")  # OAuth access tokens that expire
SECRET_FIELDS = ("client_secret", "access_token", "refresh_token", "items", "lease")


@dataclass(frozen=True)
class Endpoints:
    authorize: str
    token: str
    scopes: tuple[str, ...]
    scope_sep: str = " "
    client_auth: str = "basic"  # "basic": HTTP Basic client_id:client_secret; "body": in the form
    pkce: bool = False
    rotates: bool = False  # the refresh token changes on every refresh (the old one dies)
    connections: str | None = None  # Xero's tenant list


REAL = {
    # https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
    "qbo": Endpoints(
        "https://appcenter.intuit.com/connect/oauth2",
        "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        ("com.intuit.quickbooks.accounting",),
        rotates=True,
    ),
    # https://developer.xero.com/documentation/guides/oauth2/auth-flow (and /pkce-flow)
    "xero": Endpoints(
        "https://login.xero.com/identity/connect/authorize",
        "https://identity.xero.com/connect/token",
        (
            "offline_access",
            "accounting.transactions.read",
            "accounting.contacts.read",
            "accounting.settings.read",
            "accounting.journals.read",
        ),
        pkce=True,
        rotates=True,
        connections="https://api.xero.com/connections",
    ),
    # https://developers.hubspot.com/docs/api/oauth-quickstart-guide
    "hubspot": Endpoints(
        "https://app.hubspot.com/oauth/authorize",
        "https://api.hubapi.com/oauth/v1/token",
        ("oauth", "crm.objects.deals.read", "crm.objects.companies.read", "crm.objects.contacts.read"),
        client_auth="body",
    ),
    # https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
    "shopify": Endpoints(
        "https://{shop}/admin/oauth/authorize",
        "https://{shop}/admin/oauth/access_token",
        ("read_orders", "read_shopify_payments_payouts"),
        scope_sep=",",
        client_auth="body",
    ),
}

# What write-back needs on top (docs/workflows.md): asked for only when
# LEDGERLAKE_CONNECT_WRITE_SCOPES=1, so a read-only deployment never holds write grants.
# QuickBooks' one accounting scope covers reads and writes.
WRITE_SCOPES = {
    "xero": ("accounting.transactions", "accounting.contacts"),
    "hubspot": (
        "crm.objects.deals.write",
        "crm.objects.companies.write",
        "crm.schemas.deals.write",
        "crm.schemas.companies.write",
    ),
}


def scopes_for(source: str, ends: Endpoints) -> tuple[str, ...]:
    import os

    if os.environ.get("LEDGERLAKE_CONNECT_WRITE_SCOPES") in ("1", "true", "yes"):
        return ends.scopes + WRITE_SCOPES.get(source, ())
    return ends.scopes


# The same endpoints on the local provider API server (`ledgerlake sources serve`), under
# each provider's prefix: a `<SOURCE>_API_BASE_URL` that is not the provider's own URL
# means "this server hosts the OAuth endpoints too".
LOCAL_PATHS = {
    "qbo": ("/connect/oauth2", "/oauth2/v1/tokens/bearer", None),
    "xero": ("/identity/connect/authorize", "/identity/connect/token", "/connections"),
    "hubspot": ("/oauth/authorize", "/oauth/v1/token", None),
    "shopify": ("/admin/oauth/authorize", "/admin/oauth/access_token", None),
}


def endpoints(source: str, api_base_url: str | None = None) -> Endpoints:
    base = (api_base_url or os.environ.get(f"{source.upper()}_API_BASE_URL") or "").rstrip("/")
    real = REAL[source]
    if not base:
        return real
    authorize, token, connections = LOCAL_PATHS[source]
    return Endpoints(
        base + authorize,
        base + token,
        real.scopes,
        real.scope_sep,
        real.client_auth,
        real.pkce,
        real.rotates,
        base + connections if connections else None,
    )


def account_of(record: dict) -> str:
    """The tenant / realm / shop / items a connection reaches, for status lines."""
    source = record.get("source")
    if source == "qbo":
        return f"realm {record.get('realm_id')}"
    if source == "xero":
        return f"tenant {record.get('tenant_name') or ''} ({record.get('tenant_id')})".replace(" ()", "")
    if source == "shopify":
        return f"shop {record.get('shop')}"
    if source == "plaid":
        ids = [i.get("item_id") for i in record.get("items") or []]
        return f"{len(ids)} item(s): {', '.join(ids)}"
    if source == "hubspot":
        return (
            f"hub {record.get('hub_id')}"
            if record.get("hub_id")
            else "private app"
            if record.get("kind") == "api_key"
            else "hub"
        )
    return "restricted key" if source == "stripe" else ""


def public_view(record: dict) -> dict:
    """A record without anything secret (what `sources status` and the lake's status copy hold)."""
    return {k: v for k, v in record.items() if k not in SECRET_FIELDS and not k.startswith("_")}
