"""Per source, through handler invocation and through `ledgerlake serve`: a valid delivery
lands; tampered, wrongly keyed, stale and unsigned deliveries are refused with nothing
written."""

from __future__ import annotations

import json
import time

import pytest
from webhook_kit import SOURCES, sample, sign

# Shopify, QBO and Xero sign no timestamp: a stale delivery cannot be told from a fresh one.
TIMESTAMPED = ("stripe", "hubspot", "plaid")
SIGNATURE_HEADERS = {
    "stripe": ["Stripe-Signature"],
    "shopify": ["X-Shopify-Hmac-Sha256"],
    "hubspot": ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"],
    "qbo": ["intuit-signature"],
    "xero": ["x-xero-signature"],
    "plaid": ["Plaid-Verification"],
}
EXPECTED_ENTITY = {
    "stripe": "events",
    "shopify": "orders",
    "hubspot": "notifications",
    "qbo": "notifications",
    "xero": "notifications",
    "plaid": "notifications",
}


def _url(via, source):
    return f"{via.base_url}/webhooks/{source}"


@pytest.mark.parametrize("source", SOURCES)
def test_valid_delivery_lands_verbatim(via, source, providers):
    body, headers = sample(source)
    status, answer = via.post(source, body, {**headers, **sign(source, body, _url(via, source), providers=providers)})
    assert status == 200, answer
    keys = via.everything()
    assert keys and all(k.startswith(f"raw/source={source}/entity={EXPECTED_ENTITY[source]}/") for k in keys)
    envelope, _ = via.lake.read(keys[0])
    assert envelope["arrival"] == "webhook" and envelope["source"] == source
    if source in ("stripe", "shopify", "plaid"):  # one event per body: the bytes verbatim
        assert via.lake.read_bytes(keys[0]).endswith(body.strip() + b"}")
    # No signature is ever kept (HubSpot's request timestamp is not one, and is kept).
    kept = {h.lower() for h in envelope["headers"]}
    assert not kept & {h.lower() for h in SIGNATURE_HEADERS[source] if "timestamp" not in h.lower()}
    # Thin pings queue a hydration job pointing back at the ping.
    if source in ("hubspot", "qbo", "xero", "plaid"):
        assert via.queue.jobs and all(job["ping_key"] in keys for job in via.queue.jobs)
    else:
        assert not via.queue.jobs


@pytest.mark.parametrize("source", SOURCES)
def test_tampered_body_is_refused(via, source, providers):
    body, headers = sample(source)
    signed = sign(source, body, _url(via, source), providers=providers)
    tampered = body.replace(b"e", b"E", 1)
    assert tampered != body
    status, _ = via.post(source, tampered, {**headers, **signed})
    assert status == 401
    assert via.everything() == []


@pytest.mark.parametrize("source", SOURCES)
def test_wrong_secret_is_refused(via, source, providers):
    body, headers = sample(source)
    if source == "plaid":
        # Signed by someone else's key but claiming Plaid's key id.
        from cryptography.hazmat.primitives.asymmetric import ec

        from ledgerlake.sources.plaid.webhook import sign_jwt

        forged = sign_jwt(body, ec.generate_private_key(ec.SECP256R1()), kid=providers.kid)
        signed = {"Plaid-Verification": forged}
    else:
        wrong = "whsec_not_the_secret" if source == "stripe" else "not-the-secret"
        signed = sign(source, body, _url(via, source), secret_value=wrong)
    status, _ = via.post(source, body, {**headers, **signed})
    assert status == 401
    assert via.everything() == []


@pytest.mark.parametrize("source", TIMESTAMPED)
def test_stale_timestamp_is_refused(via, source, providers):
    body, headers = sample(source)
    signed = sign(source, body, _url(via, source), now=time.time() - 301 - 5, providers=providers)
    status, _ = via.post(source, body, {**headers, **signed})
    assert status == 401
    assert via.everything() == []


@pytest.mark.parametrize("source", SOURCES)
def test_missing_signature_header_is_refused(via, source, providers):
    body, headers = sample(source)
    signed = sign(source, body, _url(via, source), providers=providers)
    for name in SIGNATURE_HEADERS[source]:
        partial = {k: v for k, v in signed.items() if k != name}
        status, _ = via.post(source, body, {**headers, **partial})
        assert status == 401, name
    assert via.everything() == []


def test_stripe_accepts_when_only_the_second_v1_matches(via):
    body, _ = sample("stripe")
    good = sign("stripe", body, "")["Stripe-Signature"]  # t=...,v1=<good>
    timestamp, v1 = good.split(",")
    header = f"{timestamp},v1={'0' * 64},{v1},v0={'f' * 64}"
    status, answer = via.post("stripe", body, {"Stripe-Signature": header})
    assert status == 200 and answer["landed"] == 1
    only_wrong = f"{timestamp},v1={'0' * 64},v1={'1' * 64}"
    via.lake.s3.delete_object(Bucket=via.lake.bucket, Key=via.everything()[0])
    assert via.post("stripe", body, {"Stripe-Signature": only_wrong})[0] == 401
    assert via.everything() == []


def test_hubspot_signature_covers_the_uri(via):
    """A v3 signature made for another URL (or method) does not verify here."""
    body, _ = sample("hubspot")
    other = sign("hubspot", body, "https://elsewhere.example.com/webhooks/hubspot")
    assert via.post("hubspot", body, other)[0] == 401
    assert via.everything() == []


def test_xero_intent_to_receive(via):
    """Correctly signed empty `events`: 200 with an empty body; wrongly signed: 401."""
    body = json.dumps(
        {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "YSXCMKAQBJOEMNSBSBXZ"}
    ).encode()
    status, answer = via.post("xero", body, sign("xero", body, ""))
    assert status == 200 and answer in (None, "")
    status, _ = via.post("xero", body, sign("xero", body, "", secret_value="wrong-key"))
    assert status == 401
    assert via.everything() == []


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES384"])
def test_plaid_jwt_with_another_alg_is_refused(via, providers, alg):
    import base64
    import hashlib
    import hmac

    body, headers = sample("plaid")

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": alg, "kid": providers.kid, "typ": "JWT"}).encode())
    claims = b64(
        json.dumps({"iat": int(time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()}).encode()
    )
    # HS256 keyed with the public key's text: the classic algorithm-confusion forgery.
    key = json.dumps({"kid": providers.kid}).encode()
    signature = "" if alg == "none" else b64(hmac.new(key, f"{header}.{claims}".encode(), hashlib.sha256).digest())
    status, _ = via.post("plaid", body, {**headers, "Plaid-Verification": f"{header}.{claims}.{signature}"})
    assert status == 401
    assert via.everything() == []


def test_plaid_body_hash_must_match(via, providers):
    """A genuine JWT for one body does not carry another body (same length, other bytes)."""
    body, headers = sample("plaid")
    jwt = sign("plaid", body, "", providers=providers)
    other = body.replace(b"production", b"sandbox\x20\x20\x20")
    assert len(other) == len(body)
    assert via.post("plaid", other, {**headers, **jwt})[0] == 401
    assert via.everything() == []


def test_plaid_unknown_key_id_is_refused_and_asked_for_once(via, providers):
    from cryptography.hazmat.primitives.asymmetric import ec

    from ledgerlake.sources.plaid.webhook import sign_jwt

    body, headers = sample("plaid")
    providers.reset()
    kid = f"unknown-kid-{via.base_url[-5:]}"  # one per receiver variant: the cache is per process
    for _ in range(3):
        forged = sign_jwt(body, ec.generate_private_key(ec.SECP256R1()), kid=kid)
        assert via.post("plaid", body, {**headers, "Plaid-Verification": forged})[0] == 401
    asked = [r for r in providers.requests if r[1] == "/webhook_verification_key/get" and r[2].get("key_id") == kid]
    assert len(asked) == 1
    assert via.everything() == []


# -- Shopify's header spellings (#14 item 6) --------------------------------------------------


def test_shopify_headers_without_the_x_prefix_are_accepted(via):
    """Shopify now sends `shopify-hmac-sha256`, `shopify-topic`, ... as its own libraries
    accept them; they verify and land exactly like the X- spellings."""
    body, headers = sample("shopify")
    signature = sign("shopify", body, "")["X-Shopify-Hmac-Sha256"]
    bare = {k.removeprefix("X-"): v for k, v in {**headers, "X-Shopify-Hmac-Sha256": signature}.items()}
    assert "shopify-hmac-sha256" in {k.lower() for k in bare} and not any(k.startswith("X-") for k in bare)
    status, answer = via.post("shopify", body, bare)
    assert status == 200 and answer["landed"] == 1
    (key,) = via.everything()
    envelope, _ = via.lake.read(key)
    assert key.startswith("raw/source=shopify/entity=orders/") and envelope["extra"]["topic"] == "orders/create"
    wrong = {
        **bare,
        "Shopify-Hmac-Sha256": sign("shopify", body, "", secret_value="not-the-secret")["X-Shopify-Hmac-Sha256"],
    }
    assert via.post("shopify", body.replace(b"1", b"2", 1), wrong)[0] == 401
    assert via.everything() == [key]


# -- HubSpot v1 and v2 signatures (#14 item 7) -------------------------------------------------


def test_hubspot_v1_and_v2_match_hubspots_documented_examples():
    """The worked examples of HubSpot's request-validation guide (v1 with a body, v2 for a GET)."""
    from ledgerlake.sources.hubspot.webhook import _legacy_expected

    secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
    body = (
        b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM",'
        b'"changeFlag":"NEW","appId":54321}]'
    )
    assert (
        _legacy_expected("v1", secret, "POST", "https://ignored.example", body)
        == "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    )
    assert (
        _legacy_expected("v2", secret, "GET", "https://www.example.com/webhook_uri", b"")
        == "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_hubspot_v1_v2_deliveries_land_and_forgeries_do_not(via, version):
    from ledgerlake.sources.hubspot.webhook import sign as hubspot_sign

    body, _ = sample("hubspot")
    url = _url(via, "hubspot")
    signed = hubspot_sign(body, url=url, version=version)
    assert signed["X-HubSpot-Signature-Version"] == version and "X-HubSpot-Signature-v3" not in signed
    assert via.post("hubspot", body.replace(b"closedwon", b"closedlost"), signed)[0] == 401  # tampered body
    if version == "v2":  # v2 covers method and URI too
        elsewhere = hubspot_sign(body, url="https://elsewhere.example.com/webhooks/hubspot", version="v2")
        assert via.post("hubspot", body, elsewhere)[0] == 401
    wrong = hubspot_sign(body, url=url, version=version, secret_value="not-the-secret")
    assert via.post("hubspot", body, wrong)[0] == 401
    assert via.everything() == []
    status, answer = via.post("hubspot", body, signed)
    assert status == 200 and answer["landed"] == 2
    # No signed time: a replay is possible, and lands nothing new.
    status, answer = via.post("hubspot", body, signed)
    assert status == 200 and answer["landed"] == 0 and len(via.everything()) == 2


def test_hubspot_failing_v3_is_not_downgraded_to_v1(via):
    from ledgerlake.sources.hubspot.webhook import sign as hubspot_sign

    body, _ = sample("hubspot")
    headers = {
        **hubspot_sign(body, url=_url(via, "hubspot"), version="v1"),
        "X-HubSpot-Signature-v3": "A" * 44,
        "X-HubSpot-Request-Timestamp": str(int(time.time() * 1000)),
    }
    assert via.post("hubspot", body, headers)[0] == 401
    assert via.everything() == []


# -- Xero refusals (#15 item 8) ----------------------------------------------------------------


def test_xero_refusals_carry_no_body(via):
    body, _ = sample("xero")
    for headers in ({}, sign("xero", body, "", secret_value="wrong-key")):
        status, answer = via.post("xero", body, headers)
        assert status == 401 and answer in (None, "")
    status, answer = via.post("xero", b"{not json", sign("xero", b"{not json", ""))
    assert status == 400 and answer in (None, "")


# -- Plaid key-fetch amplification (#15 item 2) ------------------------------------------------


def test_plaid_forged_kids_cost_a_bounded_number_of_key_fetches_and_keep_the_good_key(receiver, providers, monkeypatch):
    from cryptography.hazmat.primitives.asymmetric import ec

    from ledgerlake.sources.plaid import webhook as plaid

    monkeypatch.setattr(plaid, "UNKNOWN_KIDS_KEPT", 5)  # the negative cache overflows quickly
    body, headers = sample("plaid")
    good = sign("plaid", body, "", providers=providers)
    assert receiver.post("plaid", body, {**headers, **good})[0] == 200  # the real key, fetched and cached
    providers.reset()
    forger = ec.generate_private_key(ec.SECP256R1())
    for n in range(60):
        forged = plaid.sign_jwt(body, forger, kid=f"forged-{n}")
        assert receiver.post("plaid", body, {**headers, "Plaid-Verification": forged})[0] == 401
    fetches = [r for r in providers.requests if r[1] == "/webhook_verification_key/get"]
    assert len(fetches) <= plaid.FETCH_BURST  # 60 forged kids, a handful of outbound calls
    assert plaid.FETCHES["refused_by_budget"] >= 60 - plaid.FETCH_BURST
    # The good key survived the flood: a fresh genuine delivery verifies without a fetch.
    providers.reset()
    other = body.replace(b"SYNC_UPDATES_AVAILABLE", b"DEFAULT_UPDATE")
    status, answer = receiver.post("plaid", other, {**headers, **sign("plaid", other, "", providers=providers)})
    assert status == 200 and answer["landed"] == 1
    assert not [r for r in providers.requests if r[1] == "/webhook_verification_key/get"]


def test_plaid_key_fetches_are_single_flight(receiver, providers):
    """Concurrent unknown kids: never more than one outbound key fetch at a time."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from cryptography.hazmat.primitives.asymmetric import ec

    from ledgerlake.sources.plaid import webhook as plaid
    from ledgerlake.webhooks import http

    body, headers = sample("plaid")
    in_flight, peak, lock = [0], [0], threading.Lock()
    real = http.request_json

    def counting(*args, **kwargs):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            time.sleep(0.05)
            return real(*args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    forger = ec.generate_private_key(ec.SECP256R1())
    tokens = [plaid.sign_jwt(body, forger, kid=f"parallel-{n}") for n in range(12)]
    original = plaid.request_json
    plaid.request_json = counting
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(
                pool.map(lambda t: receiver.post("plaid", body, {**headers, "Plaid-Verification": t})[0], tokens)
            )
    finally:
        plaid.request_json = original
    assert statuses == [401] * 12
    assert peak[0] == 1
    assert receiver.everything() == []
