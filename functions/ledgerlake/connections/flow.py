"""`ledgerlake connect SOURCE`: get a provider's credentials the way the provider documents it.

OAuth sources (qbo, xero, hubspot, shopify): a one-shot callback server on 127.0.0.1
(a free port unless `port` is given: real providers need the redirect URI registered
exactly, see docs/connect.md), a random `state` checked on the way back (CSRF), PKCE
(S256) where the provider supports it, the URL printed (and opened in a browser when
there is one). Headless: paste the URL the browser was redirected to. Then the code is
exchanged at the token endpoint with the provider's client authentication and the
record is written to the store. Shopify's callback is verified by its HMAC and its shop
name; Xero's tenant is chosen from `GET /connections`; Plaid goes link token → Link →
public token → exchange; Stripe and a HubSpot private app take a pasted key, checked
against the API before it is stored. Nothing secret is printed.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .records import endpoints, public_view, scopes_for
from .store import Conflict, store_from_env
from .tokens import TokenError, apply_tokens, token_request

SHOP_HOST = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")


class ConnectError(Exception):
    """The connection was refused or could not be completed (a clear message, nothing secret)."""


def _app(source: str) -> tuple[str, str]:
    from . import credential

    name = source.upper()
    try:
        return credential(f"{name}_CLIENT_ID"), credential(f"{name}_CLIENT_SECRET")
    except KeyError as err:
        raise ConnectError(
            f"register a {source} app first and set {name}_CLIENT_ID and {name}_CLIENT_SECRET (docs/connect.md)"
        ) from err


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


class Callback:
    """The one-shot local redirect target: GET /callback?… is kept; `/` serves `page`."""

    def __init__(self, port: int = 0, page: bytes | None = None, host_name: str = "127.0.0.1"):
        outer = self
        self.host_name = host_name  # what the redirect URI says (bound to 127.0.0.1 either way)
        self.query: dict[str, str] | None = None
        self.done = threading.Event()
        self.page = page

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # the query holds the code: never log it
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/callback" and outer.query is None:
                    outer.query = dict(parse_qsl(url.query, keep_blank_values=True))
                    body = b"<h3>ledgerlake: received. You can close this window and go back to the terminal.</h3>"
                    outer.done.set()
                elif url.path == "/" and outer.page:
                    body = outer.page
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = HTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://{self.host_name}:{self.server.server_address[1]}/callback"

    def wait(self, timeout: float) -> dict[str, str] | None:
        self.done.wait(timeout)
        return self.query

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Prompt:
    """How the flow talks to its user: where lines go, how a browser opens, how input is read."""

    def __init__(
        self,
        out: Callable[[str], None] = print,
        browser: Callable[[str], Any] | None = None,
        ask: Callable[[str], str] | None = None,
        ask_secret: Callable[[str], str] | None = None,
        headless: bool = False,
        timeout: float = 300.0,
    ):
        import getpass

        self.out, self.browser, self.headless, self.timeout = out, browser, headless, timeout
        self.ask = ask or input
        self.ask_secret = ask_secret or getpass.getpass

    def authorize(self, url: str, callback: Callback) -> dict[str, str]:
        """Show the URL, let the user consent, return the callback's query."""
        self.out(f"Open this URL in a browser and approve access:\n\n  {url}\n")
        if self.headless:
            pasted = self.ask("Paste the full URL your browser was redirected to: ").strip()
            return dict(parse_qsl(urlsplit(pasted).query, keep_blank_values=True))
        opener = self.browser
        if opener is None:
            import webbrowser

            opener = webbrowser.open
        threading.Thread(target=opener, args=(url,), daemon=True).start()
        self.out(f"Waiting for the redirect to {callback.redirect_uri} …")
        query = callback.wait(self.timeout)
        if query is None:
            raise ConnectError(f"no redirect within {self.timeout:.0f}s (use --headless to paste it instead)")
        return query


def _check_callback(query: dict[str, str], state: str) -> str:
    if query.get("error"):
        raise ConnectError(f"the provider refused: {query.get('error')} {query.get('error_description', '')}".strip())
    if not hmac.compare_digest(query.get("state", ""), state):
        raise ConnectError(
            "state mismatch: this redirect was not started by this `ledgerlake connect` (possible CSRF); nothing stored"
        )
    if not query.get("code"):
        raise ConnectError("the redirect carries no authorization code")
    return query["code"]


def _save(store, source: str, record: dict, replace_items: bool = True) -> dict:
    for _ in range(20):
        old, version = store.read(source)
        if source == "plaid" and old and not replace_items:
            known = {i["item_id"] for i in record["items"]}
            record = dict(
                record, items=[i for i in old.get("items") or [] if i["item_id"] not in known] + record["items"]
            )
        try:
            store.write(source, record, version)
            return record
        except Conflict:
            continue
    raise ConnectError(f"could not store the {source} connection: it kept changing underneath")


def _base(source: str, now: float, **fields) -> dict:
    return {
        "source": source,
        "status": "connected",
        "error": None,
        "connected_at": now,
        "refreshed_at": now,
        "refresh_count": 0,
        "lease": None,
        **fields,
    }


def _http():
    from ..polling.http import HttpClient, RetryPolicy

    return HttpClient(policy=RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=1.0))


def connect_oauth(
    source: str,
    prompt: Prompt,
    *,
    port: int = 0,
    redirect_host: str = "127.0.0.1",
    tenant: str | None = None,
    shop: str | None = None,
    store=None,
) -> dict:
    store = store or store_from_env()
    client_id, client_secret = _app(source)
    ends = endpoints(source)
    if source == "shopify":
        import os

        shop = (shop or os.environ.get("SHOPIFY_SHOP") or "").strip().lower()
        if not SHOP_HOST.match(shop):
            raise ConnectError("give the shop as NAME.myshopify.com (--shop)")
        if not os.environ.get("SHOPIFY_API_BASE_URL"):  # the real endpoints live on the shop's host
            ends = dataclasses.replace(
                ends, authorize=ends.authorize.format(shop=shop), token=ends.token.format(shop=shop)
            )
    state = secrets.token_urlsafe(32)
    callback = Callback(port, host_name=redirect_host)
    try:
        params = {
            "client_id": client_id,
            "redirect_uri": callback.redirect_uri,
            "scope": ends.scope_sep.join(scopes_for(source, ends)),
            "state": state,
        }
        if source != "shopify":
            params["response_type"] = "code"
        verifier = None
        if ends.pkce:
            verifier, challenge = _pkce()
            params.update(code_challenge=challenge, code_challenge_method="S256")
        query = prompt.authorize(ends.authorize + "?" + urlencode(params), callback)
    finally:
        callback.close()
    code = _check_callback(query, state)
    now = time.time()
    extra: dict[str, Any] = {}
    if source == "shopify":
        if not hmac.compare_digest(query.get("hmac", ""), shopify_hmac(query, client_secret)):
            raise ConnectError("Shopify callback HMAC does not verify: refused, nothing stored")
        if query.get("shop", "").lower() != shop:
            raise ConnectError(f"Shopify callback is for shop {query.get('shop')!r}, not {shop!r}: refused")
        answer = token_request(source, ends.token, {"code": code}, client_id, client_secret, "body")
        record = _base(
            source,
            now,
            kind="shopify",
            shop=shop,
            client_id=client_id,
            client_secret=client_secret,
            access_token=answer["access_token"],
            scope=answer.get("scope"),
            expires_at=None,
        )
        return _save(store, source, record)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback.redirect_uri}
    if verifier:
        form["code_verifier"] = verifier
    answer = token_request(source, ends.token, form, client_id, client_secret, ends.client_auth)
    record = apply_tokens(
        _base(
            source,
            now,
            kind="oauth2",
            client_id=client_id,
            client_secret=client_secret,
            token_url=ends.token,
            client_auth=ends.client_auth,
        ),
        answer,
        now,
    )
    if source == "qbo":
        if not query.get("realmId"):
            raise ConnectError("the QuickBooks redirect carries no realmId (pick a company when approving)")
        extra["realm_id"] = query["realmId"]
    elif source == "xero":
        extra.update(_xero_tenant(ends.connections, record["access_token"], tenant, prompt))
    elif source == "hubspot":
        # The portal id (not GET /oauth/v1/access-tokens/{token}: a token in a URL ends up in logs).
        import os

        base = (os.environ.get("HUBSPOT_API_BASE_URL") or "https://api.hubapi.com").rstrip("/")
        info = _http().request(
            "GET", base + "/account-info/v3/details", headers={"Authorization": f"Bearer {record['access_token']}"}
        )
        if info.ok:
            extra["hub_id"] = info.json().get("portalId")
    return _save(store, source, {**record, **extra})


def shopify_hmac(query: dict[str, str], secret: str) -> str:
    """Shopify's callback signature: hex HMAC-SHA256 of the other parameters, sorted, `k=v&…`."""
    message = "&".join(f"{k}={v}" for k, v in sorted(query.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _xero_tenant(url: str, access_token: str, wanted: str | None, prompt: Prompt) -> dict:
    response = _http().request(
        "GET", url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    )
    if not response.ok:
        raise ConnectError(f"Xero GET /connections answered HTTP {response.status}")
    tenants = [t for t in response.json() if t.get("tenantType") == "ORGANISATION"]
    if wanted:
        tenants = [t for t in tenants if wanted in (t.get("tenantId"), t.get("tenantName"))]
    if not tenants:
        raise ConnectError("no Xero organisation authorised" + (f" matching {wanted!r}" if wanted else ""))
    chosen = tenants[0]
    if len(tenants) > 1:
        for n, t in enumerate(tenants, 1):
            prompt.out(f"  {n}. {t.get('tenantName')} ({t.get('tenantId')})")
        chosen = tenants[int(prompt.ask("Which organisation? ")) - 1]
    return {"tenant_id": chosen["tenantId"], "tenant_name": chosen.get("tenantName")}


PLAID_LINK_PAGE = """<!doctype html><title>ledgerlake: link a bank</title>
<script src="https://cdn.plaid.com/link/v2/stable/link-initialize.js"></script>
<script>Plaid.create({token: "%(link_token)s", onSuccess: function (public_token) {
  location = "/callback?" + new URLSearchParams({public_token: public_token, state: "%(state)s"});
}}).open();</script>"""


def connect_plaid(
    prompt: Prompt, *, port: int = 0, sandbox_institution: str | None = None, replace: bool = False, store=None
) -> dict:
    """Link token → Plaid Link (a local page; or Plaid's sandbox shortcut) → public token →
    `/item/public_token/exchange` → one access token per item, added to the connection."""
    import os

    from ..config import secret as configured

    store = store or store_from_env()
    # The team's keys from configuration (not from an existing connection: they may have changed).
    try:
        client_id, secret = configured("PLAID_CLIENT_ID"), configured("PLAID_SECRET")
    except KeyError as err:
        raise ConnectError("set PLAID_CLIENT_ID and PLAID_SECRET (Plaid dashboard → Keys) first") from err
    base = (os.environ.get("PLAID_API_BASE_URL") or "https://production.plaid.com").rstrip("/")
    auth = {"client_id": client_id, "secret": secret}

    def call(path: str, body: dict) -> dict:
        response = _http().request("POST", base + path, json_body={**auth, **body})
        answer = response.json() if response.body else {}
        if not response.ok:
            raise ConnectError(
                f"Plaid {path}: {answer.get('error_code', response.status)} {answer.get('error_message', '')}".strip()
            )
        return answer

    if sandbox_institution:
        public = call(
            "/sandbox/public_token/create",
            {"institution_id": sandbox_institution, "initial_products": ["transactions"]},
        )["public_token"]
    else:
        link = call(
            "/link/token/create",
            {
                "client_name": "ledgerlake",
                "language": "en",
                "country_codes": ["US"],
                "user": {"client_user_id": "ledgerlake"},
                "products": ["transactions"],
            },
        )
        state = secrets.token_urlsafe(24)
        page = (PLAID_LINK_PAGE % {"link_token": link["link_token"], "state": state}).encode()
        callback = Callback(port, page)
        try:
            if prompt.headless:
                prompt.out(
                    "Open Plaid Link with this link token (expires "
                    f"{link['expiration']}) and paste the public_token from onSuccess."
                )
                query = {"public_token": prompt.ask("public_token: ").strip(), "state": state}
            else:
                query = prompt.authorize(callback.redirect_uri.rsplit("/", 1)[0] + "/", callback)
        finally:
            callback.close()
        if not hmac.compare_digest(query.get("state", ""), state):
            raise ConnectError("state mismatch on the Plaid Link callback: refused, nothing stored")
        public = query.get("public_token") or ""
    exchanged = call("/item/public_token/exchange", {"public_token": public})
    now = time.time()
    record = _base(
        "plaid",
        now,
        kind="plaid",
        client_id=client_id,
        client_secret=secret,
        expires_at=None,
        items=[{"item_id": exchanged["item_id"], "access_token": exchanged["access_token"]}],
    )
    return _save(store, "plaid", record, replace_items=replace)


def connect_key(source: str, prompt: Prompt, *, store=None) -> dict:
    """Stripe restricted key, or a HubSpot private-app token: read hidden, checked, stored."""
    import os

    store = store or store_from_env()
    label = "Stripe restricted key (rk_live_…)" if source == "stripe" else "HubSpot private app access token"
    key = prompt.ask_secret(f"{label}: ").strip()
    if not key:
        raise ConnectError("no key given")
    if source == "stripe" and key.startswith("sk_"):
        prompt.out("note: a secret key (sk_) has full access; a restricted key with read permissions is enough")
    base = (
        os.environ.get(f"{source.upper()}_API_BASE_URL")
        or {"stripe": "https://api.stripe.com", "hubspot": "https://api.hubapi.com"}[source]
    ).rstrip("/")
    path = "/v1/balance_transactions?limit=1" if source == "stripe" else "/crm/v3/pipelines/deals"
    response = _http().request("GET", base + path, headers={"Authorization": f"Bearer {key}"})
    if not response.ok:
        raise ConnectError(
            f"{source} refused the key (HTTP {response.status} on GET {path.split('?')[0]}); nothing stored"
        )
    record = _base(source, time.time(), kind="api_key", access_token=key, expires_at=None)
    return _save(store, source, record)


def connect(source: str, prompt: Prompt | None = None, *, private_app: bool = False, **options) -> dict:
    """Run the source's flow; returns what was stored, without secrets."""
    prompt = prompt or Prompt()
    try:
        if source in ("stripe",) or (source == "hubspot" and private_app):
            record = connect_key(source, prompt, store=options.get("store"))
        elif source == "plaid":
            record = connect_plaid(
                prompt, **{k: v for k, v in options.items() if k in ("port", "sandbox_institution", "replace", "store")}
            )
        elif source in ("qbo", "xero", "hubspot", "shopify"):
            record = connect_oauth(
                source,
                prompt,
                **{k: v for k, v in options.items() if k in ("port", "redirect_host", "tenant", "shop", "store")},
            )
        else:
            raise ConnectError(f"unknown source {source!r}")
    except TokenError as err:
        raise ConnectError(str(err)) from None
    return public_view(record)
