"""One local HTTP server hosting every provider's API under a path prefix:

    http://127.0.0.1:{port}/stripe/v1/events              (Stripe)
    http://127.0.0.1:{port}/shopify/admin/api/...         (Shopify)
    http://127.0.0.1:{port}/hubspot/crm/v3/...            (HubSpot)
    http://127.0.0.1:{port}/qbo/v3/company/{realm}/...    (QuickBooks Online)
    http://127.0.0.1:{port}/xero/api.xro/2.0/...          (Xero)
    http://127.0.0.1:{port}/plaid/transactions/sync       (Plaid)
    http://127.0.0.1:{port}/ecb/eurofxref-daily.xml       (ECB reference rates)

so `<SOURCE>_API_BASE_URL=http://127.0.0.1:{port}/<source>` is all a poller needs.
Control endpoints (not a provider's): `GET /_control/state`, `POST /_control/clock`
`{"at": ISO}` or `{"advance_seconds": n}`, `POST /_control/faults` `{"spec": [...]}` or
`{"clear": true}`.
"""

from __future__ import annotations

import json
import logging
import secrets as _secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..sources import POLLED
from .faults import FaultState
from .store import SimStore, dumps, iso

log = logging.getLogger(__name__)

SOURCES = POLLED  # the providers + ecb (FX reference rates)


def local_credentials() -> dict[str, str]:
    """The credentials the local server accepts: the environment's (local.env), else
    generated for this server (`serve_in_thread(...).credentials` hands them to pollers)."""
    import os

    from ..config import LOCAL_PROVIDER_IDS, LOCAL_PROVIDER_TOKENS

    creds = {name: os.environ.get(name) or value for name, value in LOCAL_PROVIDER_IDS.items()}
    for name in LOCAL_PROVIDER_TOKENS:
        prefix = {
            "STRIPE_API_KEY": "sk_test_",
            "SHOPIFY_ACCESS_TOKEN": "shpat_",
            "PLAID_ACCESS_TOKEN": "access-sandbox-",
        }.get(name, "")
        creds[name] = os.environ.get(name) or prefix + _secrets.token_hex(16)
    from .oauth import APP_NAMES

    for client_id, client_secret in APP_NAMES.values():  # the OAuth apps registered with the fakes
        creds.setdefault(client_id, os.environ.get(client_id) or "ledgerlake-local-" + client_id.split("_")[0].lower())
        creds.setdefault(client_secret, os.environ.get(client_secret) or _secrets.token_urlsafe(24))
    if os.environ.get("PLAID_ACCESS_TOKENS"):
        creds["PLAID_ACCESS_TOKENS"] = os.environ["PLAID_ACCESS_TOKENS"]
    return creds


@dataclass
class Request:
    method: str
    path: str  # below the provider prefix, e.g. "/v1/events"
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, obj: Any, headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer; simulation objects inside it (`RawJSON`) go out byte for byte."""
    return Reply(status, dumps(obj), {"Content-Type": "application/json", **(headers or {})})


class ProviderAPI:
    """The state behind the server: the simulation at a clock, credentials, faults."""

    def __init__(
        self,
        sim_dir: Path | str,
        clock=None,
        credentials: dict[str, str] | None = None,
        token_ttl: float | None = None,
        oauth_only: bool = False,
    ):
        from . import providers
        from .oauth import OAuthState

        self.store = SimStore(sim_dir, clock)
        self.credentials = credentials or local_credentials()
        self.faults = FaultState()
        self.providers = providers.load()
        self.state: dict[str, Any] = {}  # per-provider mutable state (Shopify bucket, ...)
        self.lock = threading.Lock()
        self.base_url = ""
        # OAuth: issued tokens live token_ttl seconds; oauth_only refuses the static demo
        # tokens for every source that connects by OAuth / token exchange.
        self.oauth = OAuthState(token_ttl)
        self.oauth_only = oauth_only

    def accepts(self, source: str, token: str | None, static_name: str) -> bool:
        """Is `token` good for `source`'s API: an unexpired issued token, or the static one."""
        if self.oauth.accepts(source, token):
            return True
        return not self.oauth_only and token is not None and token == self.credentials.get(static_name)

    @property
    def clock(self) -> float:
        return self.store.clock

    def set_clock(self, value) -> float:
        with self.lock:
            return self.store.set_clock(value)

    def base_urls(self) -> dict[str, str]:
        return {source: f"{self.base_url}/{source}" for source in SOURCES}

    def dispatch(self, source: str, req: Request) -> Reply:
        from . import oauth

        answer = oauth.handle(self, source, req)  # authorize / token / connections endpoints
        if answer is not None:
            return answer
        module = self.providers[source]
        auth_error = module.check_auth(self, req)
        if auth_error is not None:
            return auth_error
        n, faults = self.faults.next_request(source)
        if faults.slow_every and n % faults.slow_every == 0:
            time.sleep(faults.slow_seconds)
        if faults.rate_limit_every and n % faults.rate_limit_every < faults.rate_limit_burst:
            return module.rate_limited(self, faults.retry_after)
        if faults.error_every and n % faults.error_every == 0:
            return module.server_error(self)
        return module.handle(self, req)

    def control(self, req: Request) -> Reply:
        if req.path == "/state" and req.method == "GET":
            return json_reply(200, self.describe())
        if req.path == "/clock" and req.method == "POST":
            body = req.json()
            if "at" in body:
                self.set_clock(body["at"])
            elif "advance_seconds" in body:
                self.set_clock(self.clock + float(body["advance_seconds"]))
            return json_reply(200, self.describe())
        if req.path == "/faults" and req.method == "POST":
            body = req.json()
            if body.get("clear"):
                self.faults.clear(body.get("source"))
            for spec in body.get("spec", []):
                self.faults.apply_spec(spec, SOURCES)
            return json_reply(200, self.describe())
        return json_reply(404, {"error": "unknown control endpoint"})

    def describe(self) -> dict[str, Any]:
        return {
            "clock": iso(self.clock),
            "start": iso(self.store.start),
            "end": iso(self.store.end),
            "versions": self.store.record_count(),
            "base_urls": self.base_urls(),
            "faults": {k: vars(v) for k, v in self.faults.faults.items()},
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: pollers reuse connections
    server_version = "ledgerlake-sourceapi/1"
    api: ProviderAPI  # set on the subclass

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK
        # add ~40 ms to every keep-alive request.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet by default; the CLI turns on debug logs
        log.debug("%s " + fmt, self.address_string(), *args)

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = url.path.split("/", 2)
        prefix = parts[1] if len(parts) > 1 else ""
        rest = "/" + (parts[2] if len(parts) > 2 else "")
        req = Request(
            method=self.command,
            path=rest,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            if prefix == "_control":
                reply = self.api.control(req)
            elif prefix in SOURCES:
                reply = self.api.dispatch(prefix, req)
            else:
                reply = json_reply(404, {"error": f"no provider at /{prefix}; try one of {SOURCES}"})
        except Exception as err:  # a bug in the fake must not look like a hung provider
            log.exception("local API error on %s %s", self.command, self.path)
            reply = json_reply(500, {"error": f"local API server error: {err}"})
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 - http.server's method names


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


@dataclass
class LocalProviders:
    """A running local API server (see `serve_in_thread`)."""

    api: ProviderAPI
    server: _Server
    thread: threading.Thread

    @property
    def base_urls(self) -> dict[str, str]:
        return self.api.base_urls()

    @property
    def credentials(self) -> dict[str, str]:
        return dict(self.api.credentials)

    @property
    def url(self) -> str:
        return self.api.base_url

    def set_clock(self, value) -> float:
        return self.api.set_clock(value)

    def fault(self, *specs: str) -> None:
        for spec in specs:
            self.api.faults.apply_spec(spec, SOURCES)

    def clear_faults(self) -> None:
        self.api.faults.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> LocalProviders:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def make_server(
    sim_dir,
    host: str = "127.0.0.1",
    port: int = 0,
    clock=None,
    credentials: dict[str, str] | None = None,
    token_ttl: float | None = None,
    oauth_only: bool = False,
) -> tuple[_Server, ProviderAPI]:
    api = ProviderAPI(sim_dir, clock=clock, credentials=credentials, token_ttl=token_ttl, oauth_only=oauth_only)
    handler = type("Handler", (_Handler,), {"api": api})
    server = _Server((host, port), handler)
    api.base_url = f"http://{host}:{server.server_address[1]}"
    return server, api


def serve_in_thread(
    sim_dir,
    *,
    clock=None,
    host: str = "127.0.0.1",
    port: int = 0,
    credentials: dict[str, str] | None = None,
    faults: tuple[str, ...] = (),
    token_ttl: float | None = None,
    oauth_only: bool = False,
) -> LocalProviders:
    """Start the local API server on a background thread; `.base_urls` feed `poll_all`.
    `token_ttl`: seconds an issued OAuth access token lives (default: each provider's)."""
    server, api = make_server(sim_dir, host, port, clock, credentials, token_ttl, oauth_only)
    thread = threading.Thread(target=server.serve_forever, name="ledgerlake-sourceapi", daemon=True)
    thread.start()
    running = LocalProviders(api, server, thread)
    running.fault(*faults)
    return running


def new_request_id() -> str:
    return uuid.uuid4().hex
