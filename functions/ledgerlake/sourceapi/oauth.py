"""The providers' OAuth endpoints on the local API server, as each provider documents them.

| provider | authorize (302 to redirect_uri) | token endpoint, client auth | extra |
|---|---|---|---|
| qbo | `GET /qbo/connect/oauth2` → `code, state, realmId` | `POST /qbo/oauth2/v1/tokens/bearer`, HTTP Basic | `x_refresh_token_expires_in` |
| xero | `GET /xero/identity/connect/authorize` (PKCE S256) → `code, state, scope, session_state` | `POST /xero/identity/connect/token`, HTTP Basic (or PKCE with `client_id` in the body) | `GET /xero/connections` |
| hubspot | `GET /hubspot/oauth/authorize` → `code, state` | `POST /hubspot/oauth/v1/token`, `client_id`/`client_secret` in the form | `GET /hubspot/account-info/v3/details` (the portal) |
| shopify | `GET /shopify/admin/oauth/authorize` → `code, hmac, host, shop, state, timestamp` | `POST /shopify/admin/oauth/access_token` (JSON or form) | offline token, no expiry |
| plaid | — | `POST /plaid/link/token/create`, `/plaid/sandbox/public_token/create`, `/plaid/item/public_token/exchange` | one access token per item |

Token endpoints take form-encoded bodies and answer JSON with `expires_in`. QBO and Xero
refresh tokens rotate: each refresh issues a new one and the old one answers
`invalid_grant` from then on (so a refresher that reuses one is caught). Access tokens
live `token_ttl` seconds (short in the demo and tests, so expiry happens under a run).
Deviation, on purpose: the authorize endpoints consent at once (no login page) and the
Plaid Link UI is replaced by Plaid's own sandbox `public_token/create`.
"""  # noqa: E501 - a markdown table row cannot wrap

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from urllib.parse import parse_qsl, urlencode

from ..connections.flow import shopify_hmac
from .server import Reply, json_reply

DEFAULT_TTL = {"qbo": 3600, "xero": 1800, "hubspot": 1800}
QBO_REFRESH_TTL = 8_726_400  # 101 days, Intuit's x_refresh_token_expires_in
ROTATES = {"qbo", "xero"}
APP_NAMES = {  # the app credentials a source's OAuth client authenticates with
    "qbo": ("QBO_CLIENT_ID", "QBO_CLIENT_SECRET"),
    "xero": ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET"),
    "hubspot": ("HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET"),
    "shopify": ("SHOPIFY_CLIENT_ID", "SHOPIFY_CLIENT_SECRET"),
}
AUTHORIZE = {
    "qbo": "/connect/oauth2",
    "xero": "/identity/connect/authorize",
    "hubspot": "/oauth/authorize",
    "shopify": "/admin/oauth/authorize",
}
TOKEN = {
    "qbo": "/oauth2/v1/tokens/bearer",
    "xero": "/identity/connect/token",
    "hubspot": "/oauth/v1/token",
    "shopify": "/admin/oauth/access_token",
}
SCOPE = {
    "qbo": "com.intuit.quickbooks.accounting",
    "xero": "offline_access",
    "hubspot": "oauth",
    "shopify": "read_orders",
}


class OAuthState:
    """Codes, access and refresh tokens the local providers have issued (in memory)."""

    def __init__(self, token_ttl: float | None = None):
        self.token_ttl = token_ttl
        self.codes: dict[str, dict] = {}
        self.access: dict[str, tuple[str, float | None]] = {}  # token -> (source, expires_at)
        self.refresh: dict[str, dict] = {}
        self.rotations: Counter = Counter()  # successful refreshes per source
        self.reused: Counter = Counter()  # refresh tokens presented after they were rotated
        self.items: dict[str, str] = {}  # Plaid access token -> item_id
        self.lock = threading.Lock()

    def ttl(self, source: str) -> float:
        return float(self.token_ttl if self.token_ttl is not None else DEFAULT_TTL.get(source, 3600))

    def issue_access(self, source: str, prefix: str = "", expires: bool = True) -> tuple[str, float | None]:
        token = prefix + secrets.token_urlsafe(32)
        ttl = self.ttl(source) if expires else None
        self.access[token] = (source, time.time() + ttl if ttl is not None else None)
        return token, ttl

    def accepts(self, source: str, token: str | None) -> bool:
        found = self.access.get(token or "")
        return bool(found) and found[0] == source and (found[1] is None or found[1] > time.time())

    def tokens_of(self, source: str) -> set[str]:
        return {t for t, (s, _) in self.access.items() if s == source}


# -- helpers ---------------------------------------------------------------------------


def _form(req) -> dict[str, str]:
    if req.headers.get("content-type", "").startswith("application/json"):
        try:
            return {k: str(v) for k, v in req.json().items()}
        except (ValueError, AttributeError):
            return {}
    return dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))


def _basic(req) -> tuple[str | None, str | None]:
    header = req.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None, None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, None
    return client_id, secret


def _oauth_error(status: int, error: str, description: str = "", source: str = "") -> Reply:
    if source == "hubspot":  # HubSpot's error shape
        code = {"invalid_grant": "BAD_REFRESH_TOKEN", "invalid_client": "BAD_CLIENT_ID"}.get(error, "BAD_REQUEST")
        return json_reply(
            status,
            {"status": code, "message": description or error, "error": error, "correlationId": str(uuid.uuid4())},
        )
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_reply(status, body, {"Cache-Control": "no-store"})


def _redirect(uri: str, params: dict[str, str]) -> Reply:
    return Reply(302, b"", {"Location": uri + ("&" if "?" in uri else "?") + urlencode(params)})


# -- authorize --------------------------------------------------------------------------


def _authorize(api, source: str, req) -> Reply:
    args = {k: v[0] for k, v in req.query.items()}
    client_id, _ = (api.credentials.get(n) for n in APP_NAMES[source])
    redirect_uri = args.get("redirect_uri", "")
    if args.get("client_id") != client_id:
        return json_reply(400, {"error": "invalid_client", "error_description": "unknown client_id"})
    if not redirect_uri.startswith(("http://127.0.0.1", "http://localhost", "https://")):
        return json_reply(400, {"error": "invalid_request", "error_description": "redirect_uri not registered"})
    if source != "shopify" and args.get("response_type", "code") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": args.get("state", "")})
    scopes = args.get("scope", "").replace(",", " ").split()
    if SCOPE[source] not in scopes:
        return _redirect(redirect_uri, {"error": "invalid_scope", "state": args.get("state", "")})
    code = secrets.token_urlsafe(24)
    with api.oauth.lock:
        api.oauth.codes[code] = {
            "source": source,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "challenge": args.get("code_challenge"),
            "method": args.get("code_challenge_method", "plain"),
            "scope": " ".join(scopes),
            "expires": time.time() + 600,
        }
    out = {"code": code, "state": args.get("state", "")}
    if source == "qbo":
        out["realmId"] = api.credentials["QBO_REALM_ID"]
    elif source == "xero":
        out.update(scope=" ".join(scopes), session_state=secrets.token_urlsafe(12))
    elif source == "shopify":
        shop = api.credentials["SHOPIFY_SHOP"]
        out.update(
            shop=shop,
            host=base64.b64encode(f"{shop}/admin".encode()).decode().rstrip("="),
            timestamp=str(int(time.time())),
        )
        out["hmac"] = shopify_hmac(out, api.credentials[APP_NAMES["shopify"][1]])
    return _redirect(redirect_uri, out)


# -- token endpoint ---------------------------------------------------------------------


def _client(api, source: str, req, form) -> tuple[bool, bool]:
    """(client authenticated, public PKCE client) per the provider's client-auth rule."""
    client_id, client_secret = (api.credentials.get(n) for n in APP_NAMES[source])
    if source in ("qbo", "xero"):
        got_id, got_secret = _basic(req)
        if got_id is not None:
            return got_id == client_id and got_secret == client_secret, False
        if source == "xero" and form.get("client_id") == client_id and form.get("code_verifier"):
            return True, True  # Xero's PKCE flow for apps without a secret
        return False, False
    return form.get("client_id") == client_id and form.get("client_secret") == client_secret, False


def _pkce_ok(code: dict, verifier: str | None) -> bool:
    if not code.get("challenge"):
        return True
    if not verifier:
        return False
    if code["method"] == "S256":
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        return hmac.compare_digest(digest, code["challenge"])
    return hmac.compare_digest(verifier, code["challenge"])


def _token(api, source: str, req) -> Reply:
    if req.method != "POST":
        return _oauth_error(405, "invalid_request", "POST only", source)
    form = _form(req)
    authenticated, _public = _client(api, source, req, form)
    if not authenticated:
        return _oauth_error(401, "invalid_client", "client authentication failed", source)
    state = api.oauth
    grant = form.get("grant_type") if source != "shopify" else "authorization_code"
    with state.lock:
        if grant == "authorization_code":
            code = state.codes.pop(form.get("code", ""), None)  # single use
            if (
                code is None
                or code["source"] != source
                or code["expires"] < time.time()
                or (source != "shopify" and form.get("redirect_uri") != code["redirect_uri"])
            ):
                return _oauth_error(400, "invalid_grant", "authorization code invalid, expired or used", source)
            if not _pkce_ok(code, form.get("code_verifier")):
                return _oauth_error(400, "invalid_grant", "code_verifier does not match", source)
            scope = code["scope"]
        elif grant == "refresh_token":
            presented = form.get("refresh_token", "")
            held = state.refresh.get(presented)
            if held is None or held["source"] != source:
                return _oauth_error(400, "invalid_grant", "refresh token unknown", source)
            if held["state"] != "live":
                state.reused[source] += 1
                return _oauth_error(400, "invalid_grant", "refresh token already used or revoked", source)
            if held.get("expires_at") and held["expires_at"] < time.time():
                return _oauth_error(400, "invalid_grant", "refresh token expired", source)
            scope = held["scope"]
            if source in ROTATES:
                held["state"] = "used"
            state.rotations[source] += 1
        else:
            return _oauth_error(400, "unsupported_grant_type", "", source)
        if source == "shopify":
            token, _ = state.issue_access(source, "shpat_", expires=False)
            return json_reply(200, {"access_token": token, "scope": scope.replace(" ", ",")})
        token, ttl = state.issue_access(source)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": int(ttl)}
        if grant == "refresh_token" and source not in ROTATES:
            answer["refresh_token"] = presented
        else:
            refresh = secrets.token_urlsafe(32)
            held = {"source": source, "state": "live", "scope": scope}
            if source == "qbo":
                held["expires_at"] = time.time() + QBO_REFRESH_TTL
                answer["x_refresh_token_expires_in"] = QBO_REFRESH_TTL
            state.refresh[refresh] = held
            answer["refresh_token"] = refresh
        if source == "qbo":
            answer["token_type"] = "bearer"
        if source == "xero":
            answer["scope"] = scope
        return json_reply(200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def revoke_refresh_tokens(api, source: str) -> None:
    """What a user disconnecting the app does (tests): every refresh token dies."""
    with api.oauth.lock:
        for held in api.oauth.refresh.values():
            if held["source"] == source:
                held["state"] = "revoked"


# -- provider extras --------------------------------------------------------------------


def _xero_connections(api, req) -> Reply:
    token = req.headers.get("authorization", "")[len("Bearer ") :]
    if not api.oauth.accepts("xero", token):
        return json_reply(
            401,
            {
                "Type": None,
                "Title": "Unauthorized",
                "Status": 401,
                "Detail": "TokenExpired" if token in api.oauth.access else "AuthenticationUnsuccessful",
            },
        )
    now = time.strftime("%Y-%m-%dT%H:%M:%S.0000000", time.gmtime())
    tenant = api.credentials["XERO_TENANT_ID"]
    return json_reply(
        200,
        [
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "conn-" + tenant)),
                "authEventId": str(uuid.uuid4()),
                "tenantId": tenant,
                "tenantType": "ORGANISATION",
                "tenantName": "Ledgerlake Demo Co",
                "createdDateUtc": now,
                "updatedDateUtc": now,
            }
        ],
    )


def _hubspot_account(api, req) -> Reply:
    """`GET /account-info/v3/details`: the portal (hub) the token belongs to."""
    token = req.headers.get("authorization", "")[len("Bearer ") :]
    if not api.accepts("hubspot", token, "HUBSPOT_ACCESS_TOKEN"):
        return _oauth_error(401, "invalid_token", "Authentication credentials not found.", "hubspot")
    return json_reply(
        200,
        {
            "portalId": 24681357,
            "accountType": "STANDARD",
            "timeZone": "US/Eastern",
            "companyCurrency": "USD",
            "additionalCurrencies": [],
            "utcOffset": "-05:00",
            "utcOffsetMilliseconds": -18000000,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        },
    )


def simulated_items(api) -> list[str]:
    """The simulated company's Plaid item ids (its webhooks name them): exchanges hand
    them out in order, so a hydrator finds the token for the item a ping names."""
    path = api.store.sim_dir / "manifest.json"
    if not path.exists():
        return []
    manifest = json.loads(path.read_text())
    return [e["plaid_item_id"] for e in manifest.get("entities", []) if e.get("plaid_item_id")]


def _plaid(api, req) -> Reply | None:
    from .providers.plaid import _error

    try:
        body = req.json()
    except ValueError:
        return _error(400, "INVALID_REQUEST", "INVALID_BODY", "body could not be parsed as JSON")
    if (
        body.get("client_id") != api.credentials["PLAID_CLIENT_ID"]
        or body.get("secret") != api.credentials["PLAID_SECRET"]
    ):
        return _error(400, "INVALID_INPUT", "INVALID_API_KEYS", "invalid client_id or secret provided")
    rid = uuid.uuid4().hex[:15]
    state = api.oauth
    with state.lock:
        if req.path == "/link/token/create":
            missing = [k for k in ("client_name", "user", "country_codes", "language") if not body.get(k)]
            if missing:
                return _error(
                    400,
                    "INVALID_REQUEST",
                    "MISSING_FIELDS",
                    f"the following required fields are missing: {', '.join(missing)}",
                )
            token = "link-sandbox-" + str(uuid.uuid4())
            state.codes[token] = {"source": "plaid-link", "expires": time.time() + 4 * 3600}
            expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4 * 3600))
            return json_reply(200, {"link_token": token, "expiration": expiration, "request_id": rid})
        if req.path == "/sandbox/public_token/create":
            public = "public-sandbox-" + str(uuid.uuid4())
            state.codes[public] = {
                "source": "plaid-public",
                "expires": time.time() + 1800,
                "institution_id": body.get("institution_id") or "ins_109508",
            }
            return json_reply(200, {"public_token": public, "request_id": rid})
        if req.path == "/item/public_token/exchange":
            public = state.codes.pop(body.get("public_token", ""), None)
            if public is None or public["source"] != "plaid-public" or public["expires"] < time.time():
                return _error(
                    400,
                    "INVALID_INPUT",
                    "INVALID_PUBLIC_TOKEN",
                    "provided public token is expired. Public tokens expire 30 minutes after creation",
                )
            unlinked = [i for i in simulated_items(api) if i not in state.items.values()]
            item_id = unlinked[0] if unlinked else secrets.token_urlsafe(27)
            # Plaid keeps one access token per item; a restarted local server linking the
            # same item hands out the same token, so the poller's per-item cursor (keyed by
            # the token's digest) carries over and a second `ledgerlake run` lands nothing.
            token = (
                "access-sandbox-"
                + hmac.new(api.credentials["PLAID_CLIENT_ID"].encode(), item_id.encode(), hashlib.sha256).hexdigest()[
                    :32
                ]
            )
            state.access[token] = ("plaid", None)
            state.items[token] = item_id
            return json_reply(200, {"access_token": token, "item_id": item_id, "request_id": rid})
    return None


def handle(api, source: str, req) -> Reply | None:
    """The answer for an OAuth path of `source`, or None when the path is the provider's API."""
    path = req.path.rstrip("/")
    if source == "plaid" and path in (
        "/link/token/create",
        "/sandbox/public_token/create",
        "/item/public_token/exchange",
    ):
        return _plaid(api, req)
    if source not in AUTHORIZE:
        return None
    if path == AUTHORIZE[source] and req.method == "GET":
        return _authorize(api, source, req)
    if path == TOKEN[source]:
        return _token(api, source, req)
    if source == "xero" and path == "/connections" and req.method == "GET":
        return _xero_connections(api, req)
    if source == "hubspot" and path == "/account-info/v3/details" and req.method == "GET":
        return _hubspot_account(api, req)
    return None
