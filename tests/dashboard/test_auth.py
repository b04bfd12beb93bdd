"""The dashboard's login fails closed.

A secrets.toml that does not parse, an `[Auth]` section, an `[auth]` missing keys: the app
refuses to serve (with the reason) instead of serving every page to anyone; a correct
`[auth]` serves the sign-in page and nothing else; `ledgerlake dashboard` refuses a
non-loopback address without login unless told --no-auth. Secrets never reach a message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlake.dashboard_auth import (
    AuthMisconfigured,
    check,
    is_loopback,
    read_secrets,
)

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
SECRET = "s3cr3t-value-never-shown"
GOOD = f"""
[auth]
redirect_uri = "https://dash.example.com/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef-cookie"
client_id = "ledgerlake-dashboard"
client_secret = "{SECRET}"
server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"
"""
BROKEN = {
    "does not parse": GOOD.replace('client_id = "ledgerlake-dashboard"', "client_id = ledgerlake-dashboard"),
    "[Auth]": GOOD.replace("[auth]", "[Auth]"),
    "[AUTH]": GOOD.replace("[auth]", "[AUTH]"),
    "[auht]": GOOD.replace("[auth]", "[auht]"),
    "no cookie_secret": GOOD.replace('cookie_secret = "0123456789abcdef0123456789abcdef-cookie"', ""),
    "short cookie_secret": GOOD.replace("0123456789abcdef0123456789abcdef-cookie", "abc"),
    "bad redirect_uri": GOOD.replace("/oauth2callback", "/"),
    "provider missing a key": GOOD.replace(
        'server_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"', ""
    ),
    "named provider missing a key": "\n".join(
        line for line in GOOD.splitlines() if not line.startswith(("client_", "server_"))
    )
    + '\n[auth.google]\nclient_id = "x"\n',
}


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_auth_is_refused_with_a_reason_and_no_secret(tmp_path, case):
    path = _write(tmp_path, BROKEN[case])
    with pytest.raises(AuthMisconfigured) as caught:
        check(read_secrets([path]), authlib_installed=True)
    assert SECRET not in str(caught.value)


def test_correct_auth_requires_login_and_no_auth_is_local_use(tmp_path):
    assert check(read_secrets([_write(tmp_path, GOOD)]), authlib_installed=True).providers == ("default",)
    named = "\n".join(line for line in GOOD.splitlines() if not line.startswith(("client_", "server_")))
    named += f'\n[auth.google]\nclient_id = "x"\nclient_secret = "{SECRET}"\nserver_metadata_url = "https://accounts.google.com/.well-known/openid-configuration"\n'
    assert check(read_secrets([_write(tmp_path, named)]), authlib_installed=True).providers == ("google",)
    with pytest.raises(AuthMisconfigured, match="Authlib"):
        check(read_secrets([_write(tmp_path, GOOD)]), authlib_installed=False)
    assert not check(read_secrets([tmp_path / "absent.toml"])).required
    assert not check(read_secrets([_write(tmp_path, 'LEDGERLAKE_HOME = "/srv"\n')])).required


def test_loopback():
    assert all(is_loopback(a) for a in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(a) for a in ("0.0.0.0", "::", "10.0.0.5", "dash.example.com"))


# -- the app (AppTest) and the command ---------------------------------------------------------


@pytest.fixture
def secrets_at(monkeypatch):
    """Point Streamlit's secrets.files at one path (restored afterwards)."""
    import streamlit as st
    from streamlit import config

    saved = config.get_option("secrets.files")

    def use(path: Path) -> None:
        config.set_option("secrets.files", [str(path)])
        st.secrets._reset()

    yield use
    config.set_option("secrets.files", saved)
    st.secrets._reset()


def _run_app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_the_app_refuses_to_serve_with_a_broken_auth_section(tmp_path, secrets_at):
    secrets_at(_write(tmp_path, BROKEN["[Auth]"]))
    at = _run_app()
    assert [e.value for e in at.error] and "refuses to serve" in at.error[0].value and "[auth]" in at.error[0].value
    assert not at.button and not at.metric and not at.tabs  # no page drawn, no way in
    assert SECRET not in str([e.value for e in at.error])


def test_the_app_serves_only_a_sign_in_page_with_a_correct_auth_section(tmp_path, secrets_at):
    secrets_at(_write(tmp_path, GOOD))
    at = _run_app()
    assert not at.error
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.tabs


def test_the_command_refuses_what_it_cannot_protect(tmp_path, secrets_at, monkeypatch, capsys):
    from ledgerlake.cli import main
    from ledgerlake.commands import dashboard

    started = []

    class Served:
        def wait(self):
            return 0

    monkeypatch.setattr(dashboard, "serve", lambda port, address: started.append(address) or Served())
    monkeypatch.setattr("signal.signal", lambda *args: None)  # the command's SIGTERM handler: not in pytest
    secrets_at(tmp_path / "none.toml")
    assert main(["dashboard", "--address", "0.0.0.0", "--port", "0"]) == 2
    assert "without login" in capsys.readouterr().err and started == []
    assert main(["dashboard", "--address", "0.0.0.0", "--port", "0", "--no-auth"]) == 0 and started == ["0.0.0.0"]
    secrets_at(_write(tmp_path, BROKEN["does not parse"]))
    assert main(["dashboard", "--port", "0"]) == 2  # even on loopback: broken auth never serves
    err = capsys.readouterr().err
    assert "cannot read" in err and SECRET not in err and started == ["0.0.0.0"]
    secrets_at(_write(tmp_path, GOOD))
    assert main(["dashboard", "--address", "0.0.0.0", "--port", "0"]) == 0 and started[-1] == "0.0.0.0"
