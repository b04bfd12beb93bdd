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
EXPECTED_ENTITY = {"stripe": "events", "shopify": "orders", "hubspot": "notifications", "qbo": "notifications",
                   "xero": "notifications", "plaid": "notifications"}


def _url(via, source):
    return f"{via.base_url}/webhooks/{source}"


@pytest.mark.parametrize("source", SOURCES)
def test_valid_delivery_lands_verbatim(via, source, providers):
    body, headers = sample(source)
    status, answer = via.post(source, body, {**headers, **sign(source, body, _url(via, source), providers=providers)})
    assert status == 200, answer
    keys = via.everything()
    assert keys and all(k.startswith(f"raw/source={source}/entity={EXPECTED_ENTITY[source]}/") for k in keys)
    envelope, payload = via.lake.read(keys[0])
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
    body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "YSXCMKAQBJOEMNSBSBXZ"}).encode()
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
    claims = b64(json.dumps({"iat": int(time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()}).encode())
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
