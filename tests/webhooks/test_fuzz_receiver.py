"""Handler-level fuzzing of the webhook receiver (issue #15: no crash from bad input).

Every case goes through `ledgerlake.handlers.receiver.handler` with a real API Gateway
HTTP API (v2) event, as the Lambda receives it, against a lake on a local S3 server.
Classes of bad input, per provider:

* unauthenticated: no, wrong, truncated or stale signatures, nesting bombs and junk in the
  signature headers (Plaid's JWT header and claims included), junk bodies;
* authentic (correctly signed) but unusable: nesting bombs in the body, out-of-range
  numbers where timestamps belong, values of the wrong JSON type where objects belong;
* header tampering around a correctly signed body.

Each case asserts the status, that nothing landed on a refusal, that a signed-but-bad
body is in quarantine (and only there), and that no secret, signature or body reaches
the logs. Hypothesis runs derandomized (a fixed seed) with bounded example counts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_kit import SOURCES, TOKENS, sample, sign

FUZZ = settings(
    derandomize=True,  # a fixed seed: the same examples on every run and machine
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SECRETS = (
    "STRIPE_WEBHOOK_SECRET",
    "SHOPIFY_WEBHOOK_SECRET",
    "HUBSPOT_CLIENT_SECRET",
    "QBO_WEBHOOK_VERIFIER_TOKEN",
    "XERO_WEBHOOK_KEY",
)
SIGNATURE_HEADERS = {
    "stripe": ["Stripe-Signature"],
    "shopify": ["X-Shopify-Hmac-Sha256", "shopify-hmac-sha256"],
    "hubspot": [
        "X-HubSpot-Signature-v3",
        "X-HubSpot-Request-Timestamp",
        "X-HubSpot-Signature",
        "X-HubSpot-Signature-Version",
    ],
    "qbo": ["intuit-signature"],
    "xero": ["x-xero-signature"],
    "plaid": ["Plaid-Verification"],
}


def bomb(depth: int, kind: str = "list") -> str:
    return ("[" * depth + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


def b64url(data: bytes | str) -> str:
    data = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LogSpy(logging.Handler):
    """Everything the receiver logs, rendered with its extra fields."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage() + " " + repr(record.__dict__))

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def spy():
    handler = LogSpy()
    loggers = [logging.getLogger(name) for name in ("", "ledgerlake-receiver", "ledgerlake")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def _url(receiver, source):
    return f"{receiver.base_url}/webhooks/{source}"


def assert_clean_logs(spy, body: bytes, headers: dict):
    """No secret, no signature value, no body (nor a 16-byte slice of one) in the logs."""
    logged = spy.text()
    for name in SECRETS + ("PLAID_SECRET",):
        value = os.environ.get(name) or TOKENS.get(name)
        assert value and value not in logged, name
    for name, value in headers.items():
        if any(name.lower() == h.lower() for hs in SIGNATURE_HEADERS.values() for h in hs) and len(value) >= 12:
            assert value not in logged, name
    text = body.decode("utf-8", "replace")
    if len(text) >= 16:
        for start in range(0, len(text) - 16, max(16, len(text) // 8)):
            assert text[start : start + 16] not in logged


def post(receiver, source, body: bytes, headers: dict) -> tuple[int, object]:
    status, answer = receiver.post(source, body, headers)
    assert status < 500, (source, status, answer)
    return status, answer


# -- strategies --------------------------------------------------------------------------

junk_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    junk_text,
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(junk_text, inner, max_size=4)),
    max_leaves=12,
)
bombs = st.builds(bomb, st.integers(min_value=1_000, max_value=100_000), st.sampled_from(["list", "dict"]))
junk_bodies = st.one_of(
    st.binary(max_size=300),
    bombs.map(str.encode),
    json_value.map(lambda v: json.dumps(v).encode()),
)
header_values = st.one_of(junk_text.filter(lambda t: "\x00" not in t), bombs.map(lambda b: b[:8000]))


def jwt_bombs():
    """`Plaid-Verification` values that nest JSON deeply in the JWT header or claims."""
    ok_header = b64url(json.dumps({"alg": "ES256", "kid": "k1", "typ": "JWT"}))
    ok_claims = b64url(json.dumps({"iat": int(time.time()), "request_body_sha256": "0" * 64}))
    return st.builds(
        lambda depth, where, kind: (
            f"{b64url(bomb(depth, kind))}.{ok_claims}.{'A' * 86}"
            if where == "header"
            else f"{ok_header}.{b64url(bomb(depth, kind))}.{'A' * 86}"
        ),
        st.integers(min_value=50, max_value=3_000),
        st.sampled_from(["header", "claims"]),
        st.sampled_from(["list", "dict"]),
    )


# -- unauthenticated input: always 4xx, nothing written --------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_unsigned_junk_is_refused_without_trace(receiver, spy, source):
    @FUZZ
    @given(body=junk_bodies, values=st.lists(header_values, min_size=4, max_size=4))
    def check(body, values):
        names = SIGNATURE_HEADERS[source]
        headers = {name: values[i % len(values)] for i, name in enumerate(names)}
        headers.update({"X-Shopify-Topic": values[-1], "X-HubSpot-Signature-Version": "v1"})
        status, _ = post(receiver, source, body, headers)
        assert 400 <= status < 500
        assert_clean_logs(spy, body, headers)

    check()
    assert receiver.everything() == [] and not receiver.queue.jobs  # a write would still be there
    assert any("webhook refused" in line and "reason" in line for line in spy.lines)  # the spy does see the logs


@FUZZ
@given(
    name=st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%", min_size=1, max_size=40
    ).filter(lambda n: n not in SOURCES and n.strip(".") != ""),
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
)
def test_unknown_sources_and_methods_are_4xx(receiver, name, method):
    status, _ = receiver.post(name, b"{}", {"Stripe-Signature": "t=1,v1=00"}, method=method)
    assert 400 <= status < 500
    assert receiver.everything() == []


def test_plaid_jwt_nesting_bombs_are_401_before_any_key_fetch(receiver, spy, providers):
    providers.reset()
    body, headers = sample("plaid")

    @FUZZ
    @given(token=jwt_bombs())
    def check(token):
        status, _ = post(receiver, "plaid", body, {**headers, "Plaid-Verification": token})
        assert status == 401
        assert_clean_logs(spy, body, {"Plaid-Verification": token})

    check()
    assert receiver.everything() == []
    assert not [r for r in providers.requests if r[1] == "/webhook_verification_key/get"]


@pytest.mark.parametrize("source", ["stripe", "hubspot", "plaid"])
def test_stale_signatures_are_refused(receiver, spy, providers, source):
    """Signed correctly, but long ago (or far ahead): a replay, refused like a forgery."""

    @FUZZ
    @given(
        offset=st.one_of(st.integers(min_value=301, max_value=10**8), st.integers(min_value=-(10**8), max_value=-301))
    )
    def check(offset):
        body, headers = sample(source)
        signed = sign(source, body, _url(receiver, source), now=time.time() - offset, providers=providers)
        status, _ = post(receiver, source, body, {**headers, **signed})
        assert status == 401
        assert_clean_logs(spy, body, signed)

    check()
    assert receiver.everything() == []


# -- authentic but unusable: 400, in quarantine, nothing in raw ---------------------------------


# A correctly shaped delivery per source, and where in it the fuzzer puts bad values.
def _mutations(source: str):
    """(path into the sample document, what goes there) pairs that make it unusable."""
    out_of_range = st.one_of(
        st.integers(min_value=10**13 * 1000, max_value=10**40),
        st.integers(max_value=-(10**12) * 1000, min_value=-(10**40)),
        st.sampled_from(
            [
                "/Date(99999999999999999)/",
                "/Date(-99999999999999999)/",
                "9999-12-31T23:59:59-23:59",
                "0001-01-01T00:00:00+14:00",
                "2200-01-01T00:00:00Z",
                "1969-12-31T23:59:59Z",
            ]
        ),
    )
    wrong_type = st.one_of(junk_text, st.integers(), st.lists(st.integers(), min_size=1, max_size=3), st.booleans())
    paths = {
        "stripe": [(("created",), out_of_range), ((), wrong_type)],
        "shopify": [(("updated_at",), out_of_range), ((), wrong_type)],
        "hubspot": [((0, "occurredAt"), out_of_range), ((0,), wrong_type), ((), wrong_type)],
        "qbo": [
            (("eventNotifications", 0, "dataChangeEvent", "entities", 0, "lastUpdated"), out_of_range),
            (("eventNotifications", 0, "dataChangeEvent"), wrong_type),
            (("eventNotifications", 0, "dataChangeEvent", "entities"), wrong_type),
            (("eventNotifications", 0), wrong_type),
            (("eventNotifications",), wrong_type),
        ],
        "xero": [(("events", 0, "eventDateUtc"), out_of_range), (("events", 0), wrong_type), (("events",), wrong_type)],
        "plaid": [((), wrong_type)],
    }[source]
    return st.one_of(*[st.tuples(st.just(path), values) for path, values in paths])


def _put(document, path, value):
    if not path:
        return value
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


def _assert_quarantined(receiver, source, bodies: list[bytes]):
    """Each body verbatim under quarantine/ (a body refused for the same reason twice
    lands on one key), nothing in raw/, no job queued."""
    keys = receiver.everything()
    assert not [k for k in keys if not k.startswith(f"quarantine/source={source}/")]
    by_digest = {k.rsplit("/", 1)[-1].split("-")[0]: k for k in keys}
    for body in bodies:
        key = by_digest[hashlib.sha256(body).hexdigest()]
        assert receiver.lake.read_bytes(key) == body
    assert len(by_digest) == len({hashlib.sha256(b).hexdigest() for b in bodies})
    assert not receiver.queue.jobs


def send_signed_bad(receiver, spy, providers, source, bad: bytes, headers: dict, sent: list) -> None:
    """Sign `bad` as the provider would, send it: 400, and nothing of it in the logs."""
    signed = sign(source, bad, _url(receiver, source), providers=providers)
    status, answer = post(receiver, source, bad, {**headers, **signed})
    assert status == 400, answer
    sent.append(bad)
    assert_clean_logs(spy, bad, signed)


@pytest.mark.parametrize("source", SOURCES)
def test_signed_but_unusable_is_400_and_quarantined(receiver, spy, providers, source):
    sent = []

    @FUZZ
    @given(mutation=_mutations(source))
    def check(mutation):
        path, value = mutation
        body, headers = sample(source)
        bad = json.dumps(_put(json.loads(body), path, value)).encode()
        send_signed_bad(receiver, spy, providers, source, bad, headers, sent)

    check()
    _assert_quarantined(receiver, source, sent)


@pytest.mark.parametrize("source", SOURCES)
def test_signed_nesting_bombs_are_400_and_quarantined(receiver, spy, providers, source):
    sent = []

    @FUZZ
    @given(
        depth=st.integers(min_value=33, max_value=200_000),
        kind=st.sampled_from(["list", "dict"]),
        where=st.sampled_from(["whole", "inside"]),
    )
    def check(depth, kind, where):
        body, headers = sample(source)
        if where == "whole":
            bad = bomb(depth, kind).encode()
        else:  # a real delivery with one deeply nested field
            document = json.loads(body)
            target = document[0] if isinstance(document, list) else document
            bad = json.dumps(target).encode()[:-1] + b',"nested":' + bomb(depth, kind).encode() + b"}"
            bad = b"[" + bad + b"]" if isinstance(document, list) else bad
        if len(bad) > 1024 * 1024:
            bad = bomb((1024 * 1024) // 2 - 10, "list").encode()
        send_signed_bad(receiver, spy, providers, source, bad, headers, sent)

    check()
    _assert_quarantined(receiver, source, sent)


# -- header tampering around a signed body ------------------------------------------------------


def test_shopify_header_tampering_never_lands_a_second_object(receiver, spy):
    body, headers = sample("shopify")
    signed = sign("shopify", body, _url(receiver, "shopify"))
    status, answer = post(receiver, "shopify", body, {**headers, **signed})
    assert status == 200 and answer["landed"] == 1
    (original,) = receiver.everything()
    assert original.startswith("raw/source=shopify/entity=orders/date=2008-01-10/")  # the order's updated_at

    @FUZZ
    @given(
        topic=st.one_of(
            st.sampled_from(["refunds/create", "products/update", "orders/delete", "customers/redact"]), junk_text
        ),
        webhook_id=junk_text,
        triggered=st.one_of(st.sampled_from(["2019-01-01T00:00:00Z", "2099-12-31T00:00:00Z"]), junk_text),
        unprefixed=st.booleans(),
    )
    def check(topic, webhook_id, triggered, unprefixed):
        prefix = "" if unprefixed else "X-"
        tampered = {
            f"{prefix}Shopify-Topic": topic,
            f"{prefix}Shopify-Webhook-Id": webhook_id,
            f"{prefix}Shopify-Triggered-At": triggered,
            f"{prefix}Shopify-Hmac-Sha256": signed["X-Shopify-Hmac-Sha256"],
        }
        status, answer = post(receiver, "shopify", body, tampered)
        assert status == 200 and answer["landed"] == 0 and answer["duplicates"] == 1
        assert receiver.everything() == [original]
        assert_clean_logs(spy, body, tampered)

    check()
