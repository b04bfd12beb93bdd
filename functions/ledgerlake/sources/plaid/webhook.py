"""Plaid webhooks: thin pings signed with a `Plaid-Verification` JWT (ES256).

Verification, as Plaid documents it:
1. the JWT header's `alg` must be `ES256` (anything else, `none` and `HS256` included,
   is refused before any key is touched);
2. the public key is fetched by the header's `kid` from
   `POST {PLAID_API_BASE_URL}/webhook_verification_key/get` (client_id/secret from
   configuration) and cached per kid; an expired key is refused;
3. the signature is checked, `iat` must be within 5 minutes of now, and the claim
   `request_body_sha256` must equal the SHA-256 of the raw body.

Plaid bodies carry no event id and no timestamp, and two pings about the same item can be
byte-identical. Identity is therefore the SHA-256 of the body and the date is the day
the delivery was signed (`iat`): retries of one delivery (same body, same day) land once.

Locally there is no Plaid: `sign_local(body)` signs with an EC P-256 key kept in the
local home (`$LEDGERLAKE_HOME/plaid-webhook-key.pem`, created on first use) and the
local API server serves `local_verification_jwk()` at `/webhook_verification_key/get`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path

from ...config import home, secret
from ...webhooks.core import Landing, Refused, Request, check_fresh, event_time, load_json, require_header, same
from ...webhooks.http import FetchError, base_url, request_json

SOURCE = "plaid"
THIN = True
TOLERANCE_SECONDS = 300
DEFAULT_API = "https://production.plaid.com"
LOCAL_KEY_FILE = "plaid-webhook-key.pem"
# Pings after which new transactions can be fetched with /transactions/sync.
SYNC_CODES = {"SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE", "INITIAL_UPDATE", "HISTORICAL_UPDATE"}

KEY_MAX_AGE = 3600  # refetch a cached key hourly, so a key Plaid expires stops verifying
UNKNOWN_KID_TTL = 60  # remember unknown kids briefly
UNKNOWN_KIDS_KEPT = 1000  # ... and at most this many (oldest forgotten first, good keys never)
# Outbound key fetches carry the Plaid secret and are triggered by whoever sends a kid,
# so they are bounded for the whole process, whatever the kids: one at a time, at most
# FETCH_BURST at once and FETCH_PER_MINUTE on average. Plaid rotates keys rarely; a
# delivery refused while the budget is spent is retried by Plaid.
FETCH_BURST = 3
FETCH_PER_MINUTE = 6
FETCH_WAIT = 5.0  # seconds a request waits for the single in-flight fetch before refusing
MAX_TOKEN_CHARS = 4096  # a real Plaid-Verification JWT is ~500 characters
_KID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_KEYS: dict[str, tuple[float, dict]] = {}  # kid -> (fetched at, JWK): keys Plaid vouched for
_UNKNOWN: OrderedDict[str, float] = OrderedDict()  # kid -> when Plaid said it does not exist
_KEYS_LOCK = threading.Lock()  # guards the two caches (held briefly)
_FETCH_LOCK = threading.Lock()  # held for the one outbound fetch in flight


class _Budget:
    """A token bucket: `burst` fetches at once, refilled at `per_minute`."""

    def __init__(self, burst: int, per_minute: float):
        self.burst, self.rate = burst, per_minute / 60.0
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


_BUDGET = _Budget(FETCH_BURST, FETCH_PER_MINUTE)
FETCHES = {"sent": 0, "refused_by_budget": 0}  # observability (and the tests)


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- verification -----------------------------------------------------------------------


def _cached(kid: str, now: float) -> tuple[dict | None, bool]:
    """(cached key if fresh, whether the kid is known not to exist)."""
    with _KEYS_LOCK:
        entry = _KEYS.get(kid)
        if entry is not None and now - entry[0] < KEY_MAX_AGE:
            return entry[1], False
        unknown_at = _UNKNOWN.get(kid)
        return None, unknown_at is not None and now - unknown_at < UNKNOWN_KID_TTL


def fetch_key(kid: str) -> dict:
    """The JWK for `kid`, from Plaid (or the configured local server), cached per process.

    A kid seen before answers from the cache. Otherwise at most one fetch is in flight
    at a time and fetches are rationed by a process-wide budget, so a flood of forged kids
    costs Plaid a handful of calls a minute, not one call each. A key Plaid vouched for
    stays cached however many unknown kids arrive; when its hourly refresh is refused by
    the budget or fails, the cached key keeps serving until a refresh succeeds.
    """
    if not _KID.fullmatch(kid):
        raise Refused("JWT kid is not a key id")
    key, unknown = _cached(kid, time.monotonic())
    if key is not None:
        return key
    if unknown:
        raise Refused(f"verification key {kid[:40]!r} unknown")
    if not _FETCH_LOCK.acquire(timeout=FETCH_WAIT):
        raise Refused("verification key fetch busy")
    try:
        now = time.monotonic()
        key, unknown = _cached(kid, now)  # the fetch we waited for may have been this kid
        if key is not None:
            return key
        if unknown:
            raise Refused(f"verification key {kid[:40]!r} unknown")
        with _KEYS_LOCK:
            stale = _KEYS.get(kid)
        if not _BUDGET.take():
            FETCHES["refused_by_budget"] += 1
            if stale is not None:
                return stale[1]  # a key Plaid vouched for, due a refresh: keep using it
            raise Refused("verification key fetches over budget")
        FETCHES["sent"] += 1
        return _fetch(kid, now, stale)
    finally:
        _FETCH_LOCK.release()


def _fetch(kid: str, now: float, stale: tuple[float, dict] | None) -> dict:
    url = base_url(SOURCE, DEFAULT_API) + "/webhook_verification_key/get"
    body = {"client_id": secret("PLAID_CLIENT_ID"), "secret": secret("PLAID_SECRET"), "key_id": kid}
    try:
        _, answer = request_json("POST", url, body=body)
        key = answer.get("key") if isinstance(answer, dict) else None
        if not isinstance(key, dict) or key.get("kid", kid) != kid:
            raise FetchError("the answer holds no matching key", status=400)
    except FetchError as err:
        # Unknown kid (Plaid answers 400) or Plaid unreachable: the delivery cannot be
        # verified, so it is refused; Plaid retries it later. Only a definite "no such
        # key" is remembered, never an outage; an outage keeps a known key serving.
        if err.status is not None and 400 <= err.status < 500:
            with _KEYS_LOCK:
                _KEYS.pop(kid, None)
                _UNKNOWN[kid] = now
                _UNKNOWN.move_to_end(kid)
                while len(_UNKNOWN) > UNKNOWN_KIDS_KEPT:
                    _UNKNOWN.popitem(last=False)
        elif stale is not None:
            return stale[1]
        raise Refused(
            f"verification key {kid[:40]!r} unavailable ({err.__class__.__name__}, HTTP {err.status})"
        ) from err
    with _KEYS_LOCK:
        _KEYS[kid] = (now, key)
        _UNKNOWN.pop(kid, None)
    return key


def _public_key(jwk: dict):
    import jwt  # PyJWT, imported on the first Plaid delivery: the receiver's cold start stays light

    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or jwk.get("alg", "ES256") != "ES256":
        raise Refused("verification key is not an ES256 P-256 key")
    try:
        return jwt.algorithms.ECAlgorithm.from_jwk(json.dumps({k: jwk[k] for k in ("kty", "crv", "x", "y")}))
    except (KeyError, jwt.exceptions.InvalidKeyError) as err:
        raise Refused("verification key is not a usable P-256 point") from err


def _jwt_part(segment: str, what: str) -> dict:
    """One decoded JWT segment: a JSON object, or `Refused` (never another exception)."""
    try:
        raw = _b64url_decode(segment)
    except (ValueError, TypeError) as err:  # binascii.Error is a ValueError
        raise Refused(f"JWT {what} is not base64url") from err
    try:
        document = load_json(raw, what=f"JWT {what}", limit=4)
    except Refused as refused:
        raise Refused(refused.reason) from None  # 401: nothing here is verified yet
    if not isinstance(document, dict):
        raise Refused(f"JWT {what} is not an object")
    return document


def verify(request: Request) -> None:
    token = require_header(request, "Plaid-Verification")
    if len(token) > MAX_TOKEN_CHARS:
        raise Refused("Plaid-Verification is too long to be a JWT")
    parts = token.split(".")
    if len(parts) != 3:
        raise Refused("Plaid-Verification is not a JWT")
    header = _jwt_part(parts[0], "header")
    if header.get("alg") != "ES256":
        raise Refused(f"JWT alg {str(header.get('alg'))[:20]!r} is not ES256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Refused("JWT header has no kid")
    claims = _jwt_part(parts[1], "claims")
    try:
        signature = _b64url_decode(parts[2])
    except (ValueError, TypeError) as err:
        raise Refused("JWT signature is not base64url") from err
    if len(signature) != 64:
        raise Refused("ES256 signature is not 64 bytes")
    jwk = fetch_key(kid)
    expired_at = jwk.get("expired_at")
    if expired_at is not None and (not isinstance(expired_at, (int, float)) or expired_at <= request.now):
        raise Refused("verification key has expired")

    import jwt

    # PyJWT checks the ES256 signature only: freshness (iat against the request's clock)
    # and the body hash are Plaid's rules, checked below with the receiver's own helpers.
    unchecked = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
        "require": [],
    }
    try:
        jwt.decode(token, key=_public_key(jwk), algorithms=["ES256"], options=unchecked)
    except jwt.exceptions.InvalidSignatureError as err:
        raise Refused("JWT signature does not verify") from err
    except jwt.exceptions.PyJWTError as err:
        raise Refused(f"JWT is not valid: {type(err).__name__}") from err
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not math.isfinite(iat):
        raise Refused("JWT has no iat")
    check_fresh(claims["iat"], request.now, TOLERANCE_SECONDS, what="iat")
    if not same(hashlib.sha256(request.body).hexdigest(), str(claims.get("request_body_sha256", ""))):
        raise Refused("request_body_sha256 does not match the body")


def _signed_at(request: Request) -> float:
    """`iat` of an already verified delivery (the day it was signed)."""
    return float(_jwt_part(request.header("Plaid-Verification").split(".")[1], "claims")["iat"])


def landings(request: Request, document) -> list[Landing]:
    if not isinstance(document, dict) or not document.get("webhook_type"):
        raise Refused("Plaid body has no webhook_type", status=400)
    kind, code, item = document.get("webhook_type"), document.get("webhook_code"), document.get("item_id")
    job = None
    if kind == "TRANSACTIONS" and code in SYNC_CODES and item:
        job = {"source": SOURCE, "item_id": str(item), "webhook_code": code}
    return [
        Landing(
            entity="notifications",
            identity=hashlib.sha256(request.body).hexdigest()[:32],
            event_time=event_time(_signed_at(request)),
            payload=request.body,
            api_version=request.header("Plaid-Version"),
            extra={"webhook_type": kind, "webhook_code": code, "item_id": item},
            jobs=(job,) if job else (),
        )
    ]


# -- local signing (replay, the local API server, tests) ---------------------------------

_LOCAL_LOCK = threading.Lock()


def local_key_path() -> Path:
    return home() / LOCAL_KEY_FILE


def local_private_key():
    """The local EC P-256 signing key, created in the local home on first use."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = local_key_path()
    with _LOCAL_LOCK:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
        return serialization.load_pem_private_key(path.read_bytes(), password=None)


def jwk_of(private_key, *, created_at: int | None = None) -> dict:
    """The public JWK of a P-256 key in the shape `/webhook_verification_key/get` returns."""
    numbers = private_key.public_key().public_numbers()
    x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
    kid = hashlib.sha256(x + y).hexdigest()[:32]
    return {
        "alg": "ES256",
        "created_at": created_at if created_at is not None else 1700000000,
        "crv": "P-256",
        "expired_at": None,
        "kid": kid,
        "kty": "EC",
        "use": "sig",
        "x": _b64url(x),
        "y": _b64url(y),
    }


def local_verification_jwk() -> dict:
    """What the local API server answers to `/webhook_verification_key/get`: `{"key": <this>}`."""
    return jwk_of(local_private_key())


def sign_jwt(body: bytes, private_key, *, now: float | None = None, alg: str = "ES256", kid: str | None = None) -> str:
    """A `Plaid-Verification` JWT over `body`, signed the way Plaid signs it (ES256; `alg` only
    changes what the header claims, for tests of tokens that lie about it)."""
    import jwt

    header = {"alg": alg, "kid": kid or jwk_of(private_key)["kid"], "typ": "JWT"}
    claims = {
        "iat": int(now if now is not None else time.time()),
        "request_body_sha256": hashlib.sha256(body).hexdigest(),
    }
    return jwt.encode(claims, private_key, algorithm="ES256", headers=header)


def trust_local_key() -> dict:
    """Verify against the local key without asking any server (in-process delivery of the
    simulated company, where this process is the one that signs). Verification itself
    (ES256, iat, body hash) is unchanged."""
    jwk = local_verification_jwk()
    with _KEYS_LOCK:
        _KEYS[jwk["kid"]] = (float("inf"), jwk)  # never ages out
    return jwk


def sign_local(body: bytes, *, now: float | None = None) -> str:
    return sign_jwt(body, local_private_key(), now=now)


def sign(
    body: bytes, *, url: str = "", method: str = "POST", now: float | None = None, secret_value=None
) -> dict[str, str]:
    """Headers for a locally signed delivery (`secret_value` may be another private key)."""
    return {"Plaid-Verification": sign_jwt(body, secret_value or local_private_key(), now=now)}


def reset_verification_keys() -> None:
    """Forget every cached key and refill the fetch budget (tests; a fresh process)."""
    global _BUDGET
    with _KEYS_LOCK:
        _KEYS.clear()
        _UNKNOWN.clear()
    _BUDGET = _Budget(FETCH_BURST, FETCH_PER_MINUTE)
    FETCHES.update(sent=0, refused_by_budget=0)
