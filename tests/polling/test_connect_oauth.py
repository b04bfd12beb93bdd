"""`ledgerlake connect` drives each provider's flow end to end over HTTP against the local
server: authorize redirect → 127.0.0.1 callback (state, PKCE, Shopify HMAC) → token
endpoint → the stored token works on the provider's API. Secrets land 0600 and never in
output or logs; a forged redirect stores nothing."""

from __future__ import annotations

import base64
import json
import logging
import stat
import urllib.parse
import urllib.request

import pytest
import urllib3
from connect_support import browser, connect_all, oauth_server, prompt  # noqa: F401

from ledgerlake.connections.flow import ConnectError, connect
from ledgerlake.connections.store import store_from_env
from ledgerlake.polling import poll_source

HTTP = urllib3.PoolManager(retries=False)


def _secrets_of(record: dict) -> list[str]:
    values = [record.get(k) for k in ("access_token", "refresh_token", "client_secret")]
    values += [i["access_token"] for i in record.get("items") or []]
    return [v for v in values if v]


def test_every_source_connects_and_polls_with_its_stored_credentials(oauth_server, lake, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    connect_all(oauth_server)
    store = store_from_env()
    root = store.root
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    for source in ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid"):
        path = root / f"{source}.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, source
        record = json.loads(path.read_text())
        assert record["status"] == "connected"
        result = poll_source(source, lake=lake)  # no credentials passed: the connection only
        assert result.complete and result.records > 0, result.summary()
    qbo, xero, shop = (store.read(s)[0] for s in ("qbo", "xero", "shopify"))
    assert qbo["realm_id"] == oauth_server.credentials["QBO_REALM_ID"]  # from the callback
    assert qbo["refresh_expires_at"] - qbo["connected_at"] == pytest.approx(8_726_400, abs=5)
    assert xero["tenant_id"] == oauth_server.credentials["XERO_TENANT_ID"]  # from GET /connections
    assert shop["shop"] == oauth_server.credentials["SHOPIFY_SHOP"] and shop["access_token"].startswith("shpat_")
    shown = capsys.readouterr()
    output = shown.out + shown.err + caplog.text
    for source in ("hubspot", "qbo", "xero", "shopify", "plaid", "stripe"):
        for value in _secrets_of(store.read(source)[0]):
            assert value not in output, source


def test_static_tokens_are_refused_in_oauth_only_mode(oauth_server):
    url = oauth_server.base_urls["qbo"] + f"/v3/company/{oauth_server.credentials['QBO_REALM_ID']}/cdc"
    answer = HTTP.request(
        "GET",
        url + "?entities=Invoice&changedSince=2000-01-01T00:00:00Z",
        headers={"Authorization": f"Bearer {oauth_server.credentials['QBO_ACCESS_TOKEN']}"},
    )
    assert answer.status == 401


def _redirect_of(url: str) -> str:
    """The authorize endpoint's 302 target, without following it."""
    answer = HTTP.request("GET", url, redirect=False)
    assert answer.status == 302
    return answer.headers["Location"]


def _tampered(**changes):
    def open_(url):
        target = urllib.parse.urlsplit(_redirect_of(url))
        query = dict(urllib.parse.parse_qsl(target.query))
        query.update(changes)
        return urllib.request.urlopen(target._replace(query=urllib.parse.urlencode(query)).geturl(), timeout=10).read()

    return open_


@pytest.mark.parametrize("source", ["qbo", "xero", "hubspot", "shopify"])
def test_state_mismatch_is_refused_and_nothing_stored(source, oauth_server):
    with pytest.raises(ConnectError, match="state mismatch"):
        connect(source, prompt(oauth_server, browser=_tampered(state="forged-by-someone-else")))
    assert store_from_env().read(source)[0] is None


@pytest.mark.parametrize("change", [{"hmac": "0" * 64}, {"shop": "evil-shop.myshopify.com"}, {"timestamp": "1"}])
def test_shopify_callback_with_bad_hmac_is_refused(change, oauth_server):
    with pytest.raises(ConnectError, match="HMAC"):
        connect("shopify", prompt(oauth_server, browser=_tampered(**change)))
    assert store_from_env().read("shopify")[0] is None


def test_headless_paste_of_the_redirect_url(oauth_server):
    """No browser here: the user opens the URL elsewhere and pastes where it landed."""
    urls: list[str] = []
    p = prompt(oauth_server, headless=True, ask=lambda _: _redirect_of(urls[-1]))
    p.out = lambda line: urls.extend(w for w in line.split() if w.startswith("http"))
    connect("xero", p)
    assert store_from_env().read("xero")[0]["status"] == "connected"


def _token_url(server, source):
    from ledgerlake.connections.records import endpoints

    return endpoints(source, server.base_urls[source]).token


def test_token_endpoints_speak_each_providers_client_auth(oauth_server):
    connect_all(oauth_server)
    qbo = store_from_env().read("qbo")[0]
    form = {"grant_type": "refresh_token", "refresh_token": qbo["refresh_token"]}
    # Intuit wants HTTP Basic client auth: credentials in the form are not client auth.
    answer = HTTP.request(
        "POST",
        _token_url(oauth_server, "qbo"),
        body=urllib.parse.urlencode({**form, "client_id": qbo["client_id"], "client_secret": qbo["client_secret"]}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 401 and json.loads(answer.data)["error"] == "invalid_client"
    basic = base64.b64encode(f"{qbo['client_id']}:{qbo['client_secret']}".encode()).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}
    answer = HTTP.request("POST", _token_url(oauth_server, "qbo"), body=urllib.parse.urlencode(form), headers=headers)
    body = json.loads(answer.data)
    assert answer.status == 200 and body["refresh_token"] != qbo["refresh_token"]  # rotated
    assert body["expires_in"] == 30 and body["x_refresh_token_expires_in"] == 8_726_400
    again = HTTP.request("POST", _token_url(oauth_server, "qbo"), body=urllib.parse.urlencode(form), headers=headers)
    assert again.status == 400 and json.loads(again.data)["error"] == "invalid_grant"  # the old one died
    # HubSpot takes client_id/client_secret in the form, and its refresh token does not rotate.
    hub = store_from_env().read("hubspot")[0]
    form = {
        "grant_type": "refresh_token",
        "refresh_token": hub["refresh_token"],
        "client_id": hub["client_id"],
        "client_secret": hub["client_secret"],
    }
    for _ in range(2):
        answer = HTTP.request(
            "POST",
            _token_url(oauth_server, "hubspot"),
            body=urllib.parse.urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status == 200 and json.loads(answer.data)["refresh_token"] == hub["refresh_token"]


def test_xero_code_exchange_needs_the_pkce_verifier(oauth_server):
    from ledgerlake.connections.records import endpoints

    ends = endpoints("xero", oauth_server.base_urls["xero"])
    creds = oauth_server.credentials
    location = _redirect_of(
        ends.authorize
        + "?"
        + urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": creds["XERO_CLIENT_ID"],
                "redirect_uri": "http://127.0.0.1:9/callback",
                "scope": "offline_access accounting.transactions.read",
                "state": "s",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
            }
        )
    )
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["code"]
    basic = base64.b64encode(f"{creds['XERO_CLIENT_ID']}:{creds['XERO_CLIENT_SECRET']}".encode()).decode()
    answer = HTTP.request(
        "POST",
        ends.token,
        body=urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "http://127.0.0.1:9/callback",
                "code_verifier": "not-the-verifier",
            }
        ),
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 400 and json.loads(answer.data)["error"] == "invalid_grant"


@pytest.mark.parametrize("forged", [False, True])
def test_plaid_link_page_to_public_token_exchange(forged, oauth_server):
    """Plaid: link token → the local Link page → Link's onSuccess (here: the sandbox's
    public token, as Link would hand it over) → /item/public_token/exchange."""
    import re

    creds = oauth_server.credentials

    def user_in_link(url):
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert re.search(r'token: "link-sandbox-[0-9a-f-]+"', page)
        state = re.search(r'state: "([^"]+)"', page).group(1)
        public = json.loads(
            HTTP.request(
                "POST",
                oauth_server.base_urls["plaid"] + "/sandbox/public_token/create",
                body=json.dumps(
                    {
                        "client_id": creds["PLAID_CLIENT_ID"],
                        "secret": creds["PLAID_SECRET"],
                        "institution_id": "ins_109508",
                        "initial_products": ["transactions"],
                    }
                ),
                headers={"Content-Type": "application/json"},
            ).data
        )["public_token"]
        query = urllib.parse.urlencode({"public_token": public, "state": "forged" if forged else state})
        return urllib.request.urlopen(url + "callback?" + query, timeout=10).read()

    p = prompt(oauth_server, browser=user_in_link)
    if forged:
        with pytest.raises(ConnectError, match="state mismatch"):
            connect("plaid", p)
        assert store_from_env().read("plaid")[0] is None
        return
    connect("plaid", p)
    items = store_from_env().read("plaid")[0]["items"]
    assert len(items) == 1 and items[0]["access_token"].startswith("access-sandbox-")


@pytest.mark.parametrize("source,kw", [("stripe", {}), ("hubspot", {"private_app": True})])
def test_a_pasted_key_is_checked_against_the_api_before_it_is_stored(source, kw, oauth_server, capsys):
    p = prompt(oauth_server, ask_secret=lambda _: "rk_live_not-a-real-key")
    with pytest.raises(ConnectError, match="refused the key"):
        connect(source, p, **kw)
    assert store_from_env().read(source)[0] is None
    assert "not-a-real-key" not in capsys.readouterr().out + " ".join(p.lines)


def test_a_localhost_redirect_uri_for_intuit_development_keys(oauth_server):
    from ledgerlake.connections import flow

    urls = []
    p = prompt(oauth_server, browser=lambda url: (urls.append(url), browser(url)))
    flow.connect("qbo", p, redirect_host="localhost")
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in urls[0]
    assert store_from_env().read("qbo")[0]["status"] == "connected"
