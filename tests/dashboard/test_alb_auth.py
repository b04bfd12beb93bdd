"""The check a deployed dashboard makes on every session (ledgerlake.dashboard_auth):
the load balancer's signed claims, or no page. Fast cases, no server; the image run as a
process is tests/deploy/test_dashboard_image.py."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlake.commands.dashboard import refusal
from ledgerlake.dashboard_auth import (
    AuthMisconfigured,
    NotSignedIn,
    alb_identity,
    deployment_mode,
)

ARN = "arn:aws:elasticloadbalancing:eu-west-2:111122223333:loadbalancer/app/ledgerlake-dash/0123456789abcdef"
KID = "a1b2c3d4-0000-1111-2222-333344445555"
KEY = ec.generate_private_key(ec.SECP256R1())
fetched: list[tuple[str, str]] = []


def _fetch(kid: str, region: str):
    fetched.append((kid, region))
    if kid != KID:
        raise ValueError("no such key")
    return KEY.public_key()


def _token(*, key=KEY, signer=ARN, kid=KID, exp=120, claims=None, algorithm="ES256") -> str:
    body = {"sub": "s-1", "email": "ap@example.com", "exp": int(time.time()) + exp} | (claims or {})
    return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid, "signer": signer})


def _who(headers: dict[str, str]) -> str:
    return alb_identity(headers, ARN, fetch_key=_fetch).user


def test_valid_claims_name_the_user_and_fetch_the_regional_key():
    fetched.clear()
    assert _who({"X-Amzn-Oidc-Data": _token()}) == "ap@example.com"
    assert fetched == [(KID, "eu-west-2")]
    no_email = _token(claims={"email": None, "username": "ap-user"})
    assert _who({"x-amzn-oidc-data": no_email}) == "ap-user"


@pytest.mark.parametrize(
    "case,headers",
    [
        ("no header", {}),
        (
            "only the identity header a client can type",
            {"x-amzn-oidc-identity": "ceo@example.com"},
        ),
        ("not a JWT", {"x-amzn-oidc-data": "hello"}),
        (
            "another load balancer",
            {"x-amzn-oidc-data": _token(signer=ARN.replace("111122223333", "999999999999"))},
        ),
        ("expired", {"x-amzn-oidc-data": _token(exp=-3600)}),
        (
            "forged signature",
            {"x-amzn-oidc-data": _token(key=ec.generate_private_key(ec.SECP256R1()))},
        ),
        ("unknown key id", {"x-amzn-oidc-data": _token(kid="b" * 8)}),
        (
            "a key id that is a path",
            {"x-amzn-oidc-data": _token(kid="../../latest/meta-data")},
        ),
        (
            "symmetric algorithm",
            {"x-amzn-oidc-data": _token(key="k" * 32, algorithm="HS256")},
        ),
        (
            "names nobody",
            {"x-amzn-oidc-data": _token(claims={"email": None, "sub": None})},
        ),
    ],
)
def test_anything_else_is_not_signed_in(case, headers):
    fetched.clear()
    with pytest.raises(NotSignedIn):
        _who(headers)
    if case == "a key id that is a path":
        assert not fetched, "a kid that is not a plain id is never put in a URL"


def test_the_deployed_mode_needs_its_load_balancer_and_knows_no_other_mode(monkeypatch):
    assert deployment_mode({}) is None
    assert deployment_mode({"LEDGERLAKE_DASHBOARD_AUTH": "alb", "LEDGERLAKE_ALB_ARN": ARN}) == "alb"
    for env in (
        {"LEDGERLAKE_DASHBOARD_AUTH": "alb"},
        {
            "LEDGERLAKE_DASHBOARD_AUTH": "alb",
            "LEDGERLAKE_ALB_ARN": "arn:aws:iam::1:role/x",
        },
        {"LEDGERLAKE_DASHBOARD_AUTH": "none"},
    ):
        with pytest.raises(AuthMisconfigured):
            deployment_mode(env)
    # `ledgerlake dashboard` (the image's CMD) listens on 0.0.0.0 only when every session is checked
    monkeypatch.setenv("LEDGERLAKE_DASHBOARD_AUTH", "alb")
    monkeypatch.setenv("LEDGERLAKE_ALB_ARN", ARN)
    assert refusal("0.0.0.0") is None
    monkeypatch.delenv("LEDGERLAKE_ALB_ARN")
    assert "LEDGERLAKE_ALB_ARN" in refusal("0.0.0.0")
