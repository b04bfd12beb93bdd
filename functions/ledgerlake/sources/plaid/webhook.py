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
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from ...config import home, secret
from ...webhooks.core import Landing, Refused, Request, check_fresh, require_header, same
from ...webhooks.http import FetchError, base_url, request_json

SOURCE = "plaid"
THIN = True
TOLERANCE_SECONDS = 300
DEFAULT_API = "https://production.plaid.com"
LOCAL_KEY_FILE = "plaid-webhook-key.pem"
# Pings after which new transactions can be fetched with /transactions/sync.
SYNC_CODES = {"SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE", "INITIAL_UPDATE", "HISTORICAL_UPDATE"}

KEY_MAX_AGE = 3600  # refetch a cached key hourly, so a key Plaid expires stops verifying
UNKNOWN_KID_TTL = 60  # remember unknown kids briefly: forged kids must not each cost a Plaid call
_KEYS: dict[str, tuple[float, dict | None]] = {}  # kid -> (fetched at, key or None if unknown)
_KEYS_LOCK = threading.Lock()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- verification -----------------------------------------------------------------------


def fetch_key(kid: str) -> dict:
    """The JWK for `kid`, from Plaid (or the configured local server), cached per process."""
    now = time.monotonic()
    with _KEYS_LOCK:
        entry = _KEYS.get(kid)
    if entry is not None:
        fetched_at, cached = entry
        if cached is not None and now - fetched_at < KEY_MAX_AGE:
            return cached
        if cached is None and now - fetched_at < UNKNOWN_KID_TTL:
            raise Refused(f"verification key {kid[:40]!r} unknown")
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
        # key" is remembered, never an outage.
        if err.status is not None and 400 <= err.status < 500:
            with _KEYS_LOCK:
                if len(_KEYS) > 1000:  # forged kids must not grow the cache without bound
                    _KEYS.clear()
                _KEYS[kid] = (now, None)
        raise Refused(f"verification key {kid[:40]!r} unavailable ({err})") from err
    with _KEYS_LOCK:
        _KEYS[kid] = (now, key)
    return key


def _public_key(jwk: dict):
    from cryptography.hazmat.primitives.asymmetric import ec

    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or jwk.get("alg", "ES256") != "ES256":
        raise Refused("verification key is not an ES256 P-256 key")
    x = int.from_bytes(_b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(_b64url_decode(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def verify(request: Request) -> None:
    token = require_header(request, "Plaid-Verification")
    parts = token.split(".")
    if len(parts) != 3:
        raise Refused("Plaid-Verification is not a JWT")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except ValueError as err:
        raise Refused("Plaid-Verification is not a readable JWT") from err
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise Refused(f"JWT alg {str(header.get('alg') if isinstance(header, dict) else None)[:20]!r} is not ES256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Refused("JWT header has no kid")
    jwk = fetch_key(kid)
    expired_at = jwk.get("expired_at")
    if expired_at is not None and float(expired_at) <= request.now:
        raise Refused("verification key has expired")
    if len(signature) != 64:
        raise Refused("ES256 signature is not 64 bytes")

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        _public_key(jwk).verify(der, (parts[0] + "." + parts[1]).encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as err:
        raise Refused("JWT signature does not verify") from err
    if not isinstance(claims, dict) or not isinstance(claims.get("iat"), (int, float)):
        raise Refused("JWT has no iat")
    check_fresh(claims["iat"], request.now, TOLERANCE_SECONDS, what="iat")
    if not same(hashlib.sha256(request.body).hexdigest(), str(claims.get("request_body_sha256", ""))):
        raise Refused("request_body_sha256 does not match the body")


def _signed_at(request: Request) -> float:
    """`iat` of an already verified delivery (the day it was signed)."""
    claims = json.loads(_b64url_decode(request.header("Plaid-Verification").split(".")[1]))
    return float(claims["iat"])


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
            event_time=datetime.fromtimestamp(_signed_at(request), tz=timezone.utc),
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
    """A `Plaid-Verification` JWT over `body`, signed the way Plaid signs it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    header = {"alg": alg, "kid": kid or jwk_of(private_key)["kid"], "typ": "JWT"}
    claims = {"iat": int(now if now is not None else time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()}
    signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
    r, s = decode_dss_signature(private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


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


def sign(body: bytes, *, url: str = "", method: str = "POST", now: float | None = None, secret_value=None) -> dict[str, str]:
    """Headers for a locally signed delivery (`secret_value` may be another private key)."""
    return {"Plaid-Verification": sign_jwt(body, secret_value or local_private_key(), now=now)}
