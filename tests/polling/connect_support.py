"""Shared pieces of the connection tests: the local server in OAuth-only mode, a scripted
browser, and `connect_all`."""

from __future__ import annotations

import urllib.request

import pytest

from ledgerlake.connections import FIELDS

APP_NAMES = (
    "QBO_CLIENT_ID",
    "QBO_CLIENT_SECRET",
    "XERO_CLIENT_ID",
    "XERO_CLIENT_SECRET",
    "HUBSPOT_CLIENT_ID",
    "HUBSPOT_CLIENT_SECRET",
    "SHOPIFY_CLIENT_ID",
    "SHOPIFY_CLIENT_SECRET",
    "PLAID_CLIENT_ID",
    "PLAID_SECRET",
    "SHOPIFY_SHOP",
)


def browser(url: str) -> bytes:
    """A user who approves: follows the authorize redirect to the local callback."""
    return urllib.request.build_opener().open(url, timeout=10).read()


def prompt(server, **kw):
    from ledgerlake.connections.flow import Prompt

    lines: list[str] = []
    kw.setdefault("browser", browser)
    kw.setdefault("ask_secret", lambda _: server.credentials["STRIPE_API_KEY"])
    made = Prompt(out=lines.append, timeout=10, **kw)
    made.lines = lines
    return made


def serve_oauth(company, monkeypatch, token_ttl: float = 30.0):
    """The local server refusing static tokens, its OAuth apps configured, no token in env."""
    from ledgerlake.sourceapi import serve_in_thread

    server = serve_in_thread(company, token_ttl=token_ttl, oauth_only=True)
    for source, url in server.base_urls.items():
        monkeypatch.setenv(f"{source.upper()}_API_BASE_URL", url)
    for name in APP_NAMES:
        monkeypatch.setenv(name, server.credentials[name])
    for name in FIELDS:
        if name not in APP_NAMES:
            monkeypatch.delenv(name, raising=False)
    return server


@pytest.fixture
def oauth_server(company, lake, monkeypatch):
    server = serve_oauth(company, monkeypatch)
    yield server
    server.stop()


def connect_all(server) -> None:
    from ledgerlake.connections.flow import connect

    p = prompt(server)
    for source in ("stripe", "shopify", "hubspot", "qbo", "xero"):
        connect(source, p)
    connect("plaid", p, sandbox_institution="ins_109508")
