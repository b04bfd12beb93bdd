"""The signature schemes checked against the providers' own SDKs (dev-only dependencies:
stripe, hubspot-api-client, ShopifyAPI), so each scheme is confirmed by an implementation
nobody here wrote: what we sign, the SDK accepts; what the SDK signs, we accept; a
tampered body or the wrong secret is refused by both.

ShopifyAPI has no webhook-HMAC helper (its Python SDK leaves that to the app); it does
implement the OAuth callback HMAC, which `ledgerlake connect shopify` verifies and the
local API server signs, so that is the Shopify scheme checked here.
"""

from __future__ import annotations

import json
import time

import pytest

from ledgerlake.sources.hubspot import webhook as hubspot
from ledgerlake.sources.stripe import webhook as stripe_webhook
from ledgerlake.webhooks.core import Refused, Request

SECRET = "whsec_sdk_check_secret"
BODY = json.dumps({"id": "evt_1", "object": "event", "type": "charge.succeeded", "amount": "£12.00"}).encode()


def _request(url: str, headers: dict[str, str], body: bytes = BODY, method: str = "POST") -> Request:
    return Request(method=method, url=url, headers={k.lower(): v for k, v in headers.items()}, body=body)


# -- Stripe ------------------------------------------------------------------------------


def test_stripe_sdk_accepts_our_signature_and_refuses_a_tampered_body():
    import stripe

    header = stripe_webhook.sign(BODY, secret_value=SECRET)["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(BODY.decode(), header, SECRET, tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY.decode() + " ", header, SECRET, tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(BODY.decode(), header, SECRET + "x", tolerance=300)


def test_we_accept_the_stripe_sdks_signature(monkeypatch):
    import stripe

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    t = int(time.time())
    v1 = stripe.WebhookSignature._compute_signature(f"{t}.{BODY.decode()}", SECRET)
    header = f"t={t},v1={v1}"
    stripe_webhook.verify(_request("https://hooks.example/stripe", {"Stripe-Signature": header}))
    with pytest.raises(Refused):
        stripe_webhook.verify(_request("https://hooks.example/stripe", {"Stripe-Signature": header}, BODY + b" "))
    # ...and the event the SDK builds from it is the body we land
    assert stripe.Webhook.construct_event(BODY.decode(), header, SECRET).id == "evt_1"


# -- HubSpot -----------------------------------------------------------------------------

HUBSPOT_URL = "https://hooks.example.com/webhooks/hubspot?portal=62515"


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_hubspot_sdk_accepts_our_signature(version):
    from hubspot.utils.signature import Signature

    headers = hubspot.sign(BODY, url=HUBSPOT_URL, secret_value=SECRET, version=version)
    signature = headers.get("X-HubSpot-Signature-v3") or headers["X-HubSpot-Signature"]
    timestamp = headers.get("X-HubSpot-Request-Timestamp")
    assert Signature.is_valid(
        signature,
        SECRET,
        BODY.decode(),
        http_uri=HUBSPOT_URL,
        http_method="POST",
        signature_version=version,
        timestamp=timestamp,
    )
    assert not Signature.is_valid(
        signature,
        SECRET,
        BODY.decode() + " ",
        http_uri=HUBSPOT_URL,
        http_method="POST",
        signature_version=version,
        timestamp=timestamp,
    )


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_we_accept_the_hubspot_sdks_signature(monkeypatch, version):
    from hubspot.utils.signature import Signature

    monkeypatch.setenv("HUBSPOT_CLIENT_SECRET", SECRET)
    timestamp = str(int(time.time() * 1000))
    signature = Signature.get_signature(SECRET, BODY.decode(), version, HUBSPOT_URL, "POST", timestamp)
    if version == "v3":
        headers = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp}
    else:
        headers = {"X-HubSpot-Signature": signature, "X-HubSpot-Signature-Version": version}
    hubspot.verify(_request(HUBSPOT_URL, headers))
    with pytest.raises(Refused):
        hubspot.verify(_request(HUBSPOT_URL, headers, BODY + b" "))


# -- Shopify (OAuth callback HMAC) -------------------------------------------------------


def test_shopify_sdk_and_we_agree_on_the_oauth_callback_hmac():
    import shopify

    from ledgerlake.connections.flow import shopify_hmac

    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "host": "bm9ydGh3aW5kLm15c2hvcGlmeS5jb20vYWRtaW4",
        "shop": "northwind.myshopify.com",
        "state": "0.6784241404160823",
        "timestamp": str(int(time.time())),
    }
    shopify.Session.setup(api_key="ledgerlake-test", secret=SECRET)
    ours = shopify_hmac(params, SECRET)
    assert shopify.Session.calculate_hmac(params) == ours
    assert shopify.Session.validate_params({**params, "hmac": ours})
    assert not shopify.Session.validate_hmac({**params, "shop": "evil.myshopify.com", "hmac": ours})
