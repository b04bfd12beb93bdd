"""Deployed behind the load balancer (LEDGERLAKE_DASHBOARD_AUTH=alb), the dashboard records
the signed-in user on what people do: an alert acknowledged through the page carries the
user the load balancer's signed claims name, and `shared.current_user()` (what write-back
approvals record too) returns that user. Without valid claims the app draws no page.

The app runs in Streamlit's AppTest on the simulated company's warehouse; the request
headers a browser session would carry through the load balancer are supplied to
`st.context.headers`, signed with a test key standing for the load balancer's.
"""

from __future__ import annotations

import time

import pytest

ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/ledgerlake-dash/0123456789abcdef"
KID = "0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"
USER = "controller@example.com"


@pytest.fixture
def behind_the_alb(dashboard_env, monkeypatch):
    """ALB mode, with the load balancer's public key known; returns a function that sets
    the session's request headers."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from streamlit.runtime.context import ContextProxy

    from ledgerlake import dashboard_auth

    key = ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setitem(dashboard_auth._keys, KID, key.public_key())
    monkeypatch.setenv("LEDGERLAKE_DASHBOARD_AUTH", "alb")
    monkeypatch.setenv("LEDGERLAKE_ALB_ARN", ALB_ARN)
    headers: dict[str, str] = {}
    monkeypatch.setattr(ContextProxy, "headers", property(lambda self: headers))

    def sign_in(email: str | None) -> None:
        headers.clear()
        if email:
            claims = {"sub": "sub-1234", "email": email, "exp": int(time.time()) + 120}
            headers["X-Amzn-Oidc-Data"] = jwt.encode(
                claims, key, algorithm="ES256", headers={"kid": KID, "signer": ALB_ARN}
            )

    return sign_in


def test_no_signed_claims_no_page(behind_the_alb, fresh_app):
    behind_the_alb(None)
    at = fresh_app(120)
    assert [e.value for e in at.error] == ["Sign-in required: open the dashboard through its address to sign in."]
    assert not at.metric and not at.dataframe and not at.selectbox


def test_an_acknowledgement_records_the_signed_in_user(behind_the_alb, dashboard_env, fresh_app):
    import duckdb

    from ledgerlake.alerts.state import AlertState

    behind_the_alb(USER)
    at = fresh_app(120)
    assert at.metric, "the Overview is drawn for a signed-in user"
    with duckdb.connect(str(dashboard_env["warehouse"]), read_only=True) as con:
        candidates = [
            a
            for (a,) in con.execute(
                "select alert_id from forecast.alerts where rule <> 'duplicate_payment' order by severity, alert_id"
            ).fetchall()
        ]
    state = AlertState.default()
    alert_id = next(a for a in candidates if state.status(a) == "new")
    at.switch_page("pages/alerts.py").run()
    at.selectbox(key="alert_pick").set_value(alert_id).run()
    at.button(key=f"ack_{alert_id}").click().run()
    assert not at.exception, [e.message for e in at.exception]
    entry = AlertState.default().alerts[alert_id]
    assert entry["status"] == "acknowledged"
    assert entry["history"][-1]["by"] == USER
