"""The commands a user types: `ledgerlake connect xero --headless` (paste the redirect) and
`ledgerlake sources status`, with files 0600 whatever the umask and no secret printed."""

from __future__ import annotations

import json
import os
import stat

import urllib3
from connect_support import connect_all, oauth_server  # noqa: F401

from ledgerlake.cli import main
from ledgerlake.connections.store import store_from_env


def test_connect_headless_then_status(oauth_server, lake, capsys, monkeypatch):
    def paste(_question):  # the user opens the printed URL elsewhere and pastes where it landed
        url = next(w for w in capsys.readouterr().out.split() if w.startswith("http://") and "authorize" in w)
        return urllib3.PoolManager().request("GET", url, redirect=False).headers["Location"]

    monkeypatch.setattr("builtins.input", paste)
    old = os.umask(0)  # a permissive umask cannot widen the file's mode
    try:
        assert main(["connect", "xero", "--headless"]) == 0
    finally:
        os.umask(old)
    out = capsys.readouterr().out
    assert "xero: connected (tenant Ledgerlake Demo Co" in out
    path = store_from_env().root / "xero.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = json.loads(path.read_text())
    assert record["access_token"] not in out and record["refresh_token"] not in out

    connect_all(oauth_server)
    from ledgerlake.polling import poll_source

    assert poll_source("qbo", lake=lake).complete
    assert main(["sources", "status", "--json"]) == 0
    shown = capsys.readouterr().out
    rows = {r["source"]: r for r in json.loads(shown)}
    assert set(rows) == {"stripe", "shopify", "hubspot", "qbo", "xero", "plaid"}
    assert rows["qbo"]["connection"] == "connected"
    assert rows["qbo"]["account"] == f"realm {oauth_server.credentials['QBO_REALM_ID']}"
    assert rows["qbo"]["token_expires_at"] and rows["qbo"]["last_refresh"] and rows["qbo"]["last_poll"]
    assert rows["xero"]["last_poll"] is None  # never polled
    assert rows["shopify"]["account"] == f"shop {oauth_server.credentials['SHOPIFY_SHOP']}"
    assert rows["stripe"]["token_expires_at"] == "never"
    for source in rows:
        for field in ("access_token", "refresh_token", "client_secret"):
            value = (store_from_env().read(source)[0] or {}).get(field)
            assert not value or value not in shown
