"""Access tokens that expire under a poll and a hydration, refresh tokens that rotate,
two refreshers racing, and a reused refresh token: the connection ends "needs
reconnect", nothing is lost, and a reconnect resumes from the cursor."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC

import polling_truth as truth
import pytest
import urllib3
from connect_support import connect_all, oauth_server, prompt, serve_oauth  # noqa: F401
from polling_minisim import END, MID

from ledgerlake.connections import Auth, refresh
from ledgerlake.connections.flow import connect
from ledgerlake.connections.status import published, rows
from ledgerlake.connections.store import SecretsManagerStore, store_from_env
from ledgerlake.polling import poll_source
from ledgerlake.polling.dedupe import latest_from_lake

REFRESHING = ("qbo", "xero", "hubspot")


@pytest.fixture
def short_lived(company, lake, monkeypatch):
    """Access tokens that live one second."""
    server = serve_oauth(company, monkeypatch, token_ttl=1.0)
    yield server
    server.stop()


@pytest.mark.parametrize("when", ["ahead", "on_401"])
def test_tokens_expire_mid_poll_and_everything_lands(when, short_lived, company, lake, monkeypatch):
    if when == "on_401":  # the client believes its token for an hour past expiry: only 401s refresh it
        monkeypatch.setenv("LEDGERLAKE_REFRESH_AHEAD_SECONDS", "-3600")
    connect_all(short_lived)
    for source in REFRESHING:
        landed = []

        def outlive_the_token(entity, page, landed=landed):  # after the first page, the token dies
            landed.append(page)
            if len(landed) == 1:
                time.sleep(1.2)

        result = poll_source(source, lake=lake, page_size=10, land_workers=0, after_land=outlive_the_token)
        assert len(landed) > 1, source
        assert result.complete, result.summary()
        assert set(latest_from_lake(lake, source)) == truth.expected(company, source, END.timestamp())
        assert store_from_env().read(source)[0]["refresh_count"] >= 1, source
        if when == "on_401":
            assert result.http["reauth"] >= 1, (source, result.http)
    oauth = short_lived.api.oauth
    assert oauth.reused == {}  # no refresh token was ever presented twice


def _jobs(company, server):
    latest = truth.latest_versions(company, "qbo", END.timestamp())
    invoice = next(k[1] for k, v in latest.items() if k[0] == "Invoice" and not v["deleted"])
    xero = truth.latest_versions(company, "xero", END.timestamp())
    xinv = next(k[1] for k, v in xero.items() if k[0] == "Invoice" and not v["deleted"])
    deal = next(k[1] for k in truth.latest_versions(company, "hubspot", END.timestamp()) if k[0] == "deal")
    return {
        "qbo": {"realm_id": server.credentials["QBO_REALM_ID"], "entity": "Invoice", "id": invoice},
        "xero": {"resource": "Invoices", "id": xinv, "tenant_id": server.credentials["XERO_TENANT_ID"]},
        "hubspot": {"object_type": "deals", "id": deal, "portal_id": "24681357"},
    }


@pytest.mark.parametrize("when", ["ahead", "on_401"])
def test_tokens_expire_mid_hydration_and_the_record_lands(when, short_lived, company, lake, monkeypatch):
    import importlib

    if when == "on_401":
        monkeypatch.setenv("LEDGERLAKE_REFRESH_AHEAD_SECONDS", "-3600")
    connect_all(short_lived)
    time.sleep(1.2)  # every access token is dead now
    for source, job in _jobs(company, short_lived).items():
        hydrate = importlib.import_module(f"ledgerlake.sources.{source}.hydrate")
        landed = hydrate.hydrate(job, lake)
        assert landed and landed[0].created, source
        assert store_from_env().read(source)[0]["refresh_count"] == 1, source


@pytest.fixture(params=["file", "secretsmanager"])
def store_kind(request, monkeypatch, s3_endpoint):
    if request.param == "secretsmanager":  # moto's Secrets Manager on the shared moto server
        monkeypatch.setenv("LEDGERLAKE_SECRET_STORE", "secretsmanager")
        monkeypatch.setenv("LEDGERLAKE_SECRET_PREFIX", f"ledgerlake/test-{time.monotonic_ns()}/")
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", s3_endpoint)
    return request.param


@pytest.mark.parametrize("source", ["xero", "qbo"])
def test_two_refreshers_race_and_exactly_one_rotation_wins(source, store_kind, oauth_server, monkeypatch):
    connect(source, prompt(oauth_server))
    store = store_from_env()
    assert store.kind == store_kind
    stale = store.read(source)[0]["access_token"]
    name = f"{source.upper()}_ACCESS_TOKEN"
    gate, results, errors = threading.Barrier(2), [], []

    def refresher():  # a poller and the hydrator, both just answered 401 for the same token
        try:
            gate.wait()
            assert Auth(name).renew({"Authorization": f"Bearer {stale}"})
            results.append(Auth(name).headers()["Authorization"])
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=refresher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    oauth = oauth_server.api.oauth
    assert oauth.rotations[source] == 1 and oauth.reused[source] == 0
    assert len(set(results)) == 1 and results[0] != f"Bearer {stale}"
    record = store.read(source)[0]
    assert record["refresh_count"] == 1 and record["status"] == "connected" and not record.get("lease")
    if source == "xero":  # the token both hold works
        answer = urllib3.PoolManager().request(
            "GET",
            oauth_server.base_urls["xero"] + "/api.xro/2.0/Accounts",
            headers={"Authorization": results[0], "Xero-tenant-id": record["tenant_id"]},
        )
        assert answer.status == 200


@pytest.mark.parametrize("store_kind", ["secretsmanager"], indirect=True)
def test_secrets_manager_writes_are_compare_and_swap(store_kind):
    store = store_from_env()
    assert isinstance(store, SecretsManagerStore)
    first = store.write("stripe", {"source": "stripe", "n": 1}, None)
    second = store.write("stripe", {"source": "stripe", "n": 2}, first)
    from ledgerlake.connections import Conflict

    with pytest.raises(Conflict):
        store.write("stripe", {"source": "stripe", "n": 3}, first)  # a writer that read version 1
    assert store.read("stripe") == ({"source": "stripe", "n": 2}, second)


def test_reused_refresh_token_needs_reconnect_then_resumes_from_the_cursor(oauth_server, company, lake, capsys):
    oauth_server.set_clock(MID.timestamp())
    connect("qbo", prompt(oauth_server))
    store = store_from_env()
    first = poll_source("qbo", lake=lake)
    assert first.complete
    keys_at_mid = set(lake.keys("raw/source=qbo/"))
    cursor_at_mid = json.loads(lake.s3.get_object(Bucket=lake.bucket, Key="state/cursors/qbo/cdc.json")["Body"].read())

    # A copy of the connection taken before a refresh (a restored backup, a second
    # deployment): its refresh token has been rotated away since.
    old_copy, _ = store.read("qbo")
    refresh(store, "qbo", force=True)
    _, version = store.read("qbo")
    store.write("qbo", dict(old_copy, expires_at=time.time() - 1), version)

    oauth_server.set_clock(END.timestamp())
    stopped = poll_source("qbo", lake=lake)
    assert not stopped.complete and stopped.stopped == "needs_reconnect"
    assert "ledgerlake connect qbo" in stopped.error
    assert oauth_server.api.oauth.reused["qbo"] == 1
    assert '"ConnectionNeedsReconnect": 1' in capsys.readouterr().out  # the alarm's metric
    row = {r["source"]: r for r in rows(lake)}["qbo"]
    assert row["connection"] == "needs reconnect" and "invalid_grant" in row["error"]
    assert published(lake)["qbo"]["status"] == "needs_reconnect"  # what the dashboard and email read
    from datetime import datetime

    from ledgerlake.report import weekly

    email_rows = weekly.health_rows(
        [{"source": "qbo", "last_event_at": None, "last_poll_at": datetime.now(UTC)}],
        datetime.now(UTC),
        UTC,
        weekly._needs_reconnect(),
    )
    assert email_rows[0].status == "needs reconnect"
    # Nothing lost: every landed page and the cursor are as they were.
    assert keys_at_mid <= set(lake.keys("raw/source=qbo/"))
    saved = json.loads(lake.s3.get_object(Bucket=lake.bucket, Key="state/cursors/qbo/cdc.json")["Body"].read())
    assert saved["cursor"] == cursor_at_mid["cursor"]

    connect("qbo", prompt(oauth_server))  # the user reconnects
    resumed = poll_source("qbo", lake=lake)
    assert resumed.complete
    assert set(latest_from_lake(lake, "qbo")) == truth.expected(company, "qbo", END.timestamp())
    changes = truth.changed(company, "qbo", MID.timestamp(), END.timestamp())
    assert resumed.records < len(truth.expected(company, "qbo", END.timestamp()))  # from the cursor, not from zero
    assert resumed.records >= len(changes)
    assert {r["source"]: r for r in rows(lake)}["qbo"]["connection"] == "connected"


@pytest.mark.parametrize("store_kind", ["secretsmanager"], indirect=True)
def test_on_aws_pollers_ask_the_refresher_and_only_it_writes(store_kind, oauth_server, lake, company, monkeypatch):
    """With LEDGERLAKE_REFRESHER_FUNCTION set, a poller whose token died invokes the
    refresher (here the handler in-process behind a stand-in for the Lambda Invoke API);
    the scheduled run refreshes what is about to expire and publishes the status."""
    import io

    import boto3

    from ledgerlake.handlers import refresher

    connect("xero", prompt(oauth_server))
    invoked = []

    class LambdaStandIn:  # the Invoke API's request/response shape
        def invoke(self, FunctionName, Payload):  # noqa: N803 - boto3's parameter names
            event = json.loads(Payload)
            invoked.append(event)
            assert "rejected" in event and all(v not in Payload.decode() for v in (stale,))
            return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(refresher.handler(event, None)).encode())}

    real_client = boto3.client
    monkeypatch.setattr(
        boto3, "client", lambda name, *a, **k: LambdaStandIn() if name == "lambda" else real_client(name, *a, **k)
    )
    monkeypatch.setenv("LEDGERLAKE_REFRESHER_FUNCTION", "ledgerlake-refresher")
    monkeypatch.setenv("LEDGERLAKE_REFRESH_AHEAD_SECONDS", "-3600")  # only the 401 refreshes
    store = store_from_env()
    stale = store.read("xero")[0]["access_token"]
    from ledgerlake.sourceapi.oauth import OAuthState

    oauth_server.api.oauth.access[stale] = ("xero", time.time() - 1)  # the provider expired it
    assert isinstance(oauth_server.api.oauth, OAuthState)
    result = poll_source("xero", lake=lake)
    assert result.complete and result.http["reauth"] == 1 and len(invoked) == 1
    assert store.read("xero")[0]["access_token"] != stale
    monkeypatch.setenv("LEDGERLAKE_REFRESH_AHEAD_SECONDS", "3600")  # the schedule: all expire within the hour
    assert refresher.handler({}, None) == {
        "qbo": "not connected",
        "xero": "fresh, 2 refreshes",
        "hubspot": "not connected",
    }
    assert published(lake)["xero"]["refresh_count"] == 2


@pytest.mark.parametrize("source", ["xero", "hubspot"])
def test_a_revoked_app_ends_in_needs_reconnect_with_a_clear_error(source, oauth_server, lake, capsys):
    """The user disconnected the app at the provider: Xero answers invalid_grant, HubSpot
    BAD_REFRESH_TOKEN; either way the poll stops cleanly and says what to do."""
    from ledgerlake.sourceapi.oauth import revoke_refresh_tokens

    connect(source, prompt(oauth_server))
    store = store_from_env()
    record, version = store.read(source)
    store.write(source, dict(record, expires_at=time.time() - 1), version)  # due for a refresh
    revoke_refresh_tokens(oauth_server.api, source)
    result = poll_source(source, lake=lake)
    assert result.stopped == "needs_reconnect" and result.records == 0
    assert f"run `ledgerlake connect {source}`" in result.error
    assert store.read(source)[0]["status"] == "needs_reconnect"
    assert '"ConnectionNeedsReconnect": 1' in capsys.readouterr().out
