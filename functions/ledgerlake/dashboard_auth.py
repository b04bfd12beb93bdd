"""Is the dashboard's login configured, and configured right? Fail closed.

The dashboard uses Streamlit's OIDC login (`st.login`) when `.streamlit/secrets.toml` has
an `[auth]` section. Three answers, never a guess:
- no secrets file at all, or one with no auth-like section: no login (a local dashboard
  on 127.0.0.1; `ledgerlake dashboard` refuses any other address without login unless
  told `--no-auth`);
- a complete `[auth]` section (redirect_uri ending /oauth2callback, cookie_secret, and at
  least one provider with client_id, client_secret, server_metadata_url) and Authlib
  installed: login required, with those providers;
- anything else that looks like an attempt at auth (a secrets file that does not parse,
  `[Auth]`, `[auth]` missing keys, no Authlib): `AuthMisconfigured`, and the dashboard
  refuses to serve with the reason. Before, any error reading the secrets meant "no
  login": a typo served every page to anyone.
Used by dashboard/shared.py (each session) and by `ledgerlake dashboard` (before it
starts the server). Secrets values are never put in a message.
"""

from __future__ import annotations

import difflib
import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class AuthMisconfigured(RuntimeError):
    """Auth is configured but cannot work: refuse to serve rather than serve unprotected."""


@dataclass(frozen=True)
class AuthConfig:
    required: bool
    providers: tuple[str, ...] = ()  # "default" = the keys sit directly under [auth]


def read_secrets(paths: list[str | Path]) -> dict | None:
    """The merged secrets files (later override earlier, as Streamlit does); None when no
    file exists. A file that exists but does not parse raises AuthMisconfigured."""
    merged: dict = {}
    found = False
    for path in map(Path, paths):
        if not path.is_file():
            continue
        found = True
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise AuthMisconfigured(
                f"cannot read {path}: {err}. Fix it (or remove it to run without login on 127.0.0.1)."
            ) from None
    return merged if found else None


def check(secrets: Mapping | None, *, authlib_installed: bool | None = None) -> AuthConfig:
    """What the secrets say about login; AuthMisconfigured when they say it wrongly."""
    if not secrets:
        return AuthConfig(required=False)
    if "auth" not in secrets:
        near = [k for k in secrets if isinstance(k, str) and (k.lower() == "auth" or difflib.get_close_matches(k.lower(), ["auth"], cutoff=0.75))]
        if near:
            raise AuthMisconfigured(
                f"secrets.toml has a [{near[0]}] section but Streamlit reads only [auth] (lower case): "
                "the dashboard will not serve until it is named [auth] (or removed)."
            )
        return AuthConfig(required=False)
    auth = secrets["auth"]
    if not isinstance(auth, Mapping):
        raise AuthMisconfigured("secrets.toml: `auth` must be a [auth] table.")
    problems = []
    redirect = auth.get("redirect_uri")
    if not isinstance(redirect, str) or not redirect.rstrip("/").endswith("/oauth2callback"):
        problems.append("redirect_uri must be set to the dashboard's URL + /oauth2callback")
    if not isinstance(auth.get("cookie_secret"), str) or len(auth["cookie_secret"]) < 32:
        problems.append("cookie_secret must be a random string of at least 32 characters")
    providers = []
    if all(key in auth for key in PROVIDER_KEYS):
        providers.append("default")
    for name, section in auth.items():
        if isinstance(section, Mapping):
            missing = [key for key in PROVIDER_KEYS if not section.get(key)]
            if missing:
                problems.append(f"[auth.{name}] is missing {', '.join(missing)}")
            elif "_" in name:
                problems.append(f"[auth.{name}]: Streamlit provider names cannot contain '_'")
            else:
                providers.append(name)
    if not providers:
        problems.append("no provider: put client_id, client_secret and server_metadata_url under [auth] or [auth.<provider>]")
    if authlib_installed is None:
        authlib_installed = _authlib_installed()
    if not authlib_installed:
        problems.append("Authlib >= 1.3.2 is not installed (pip install 'streamlit[auth]')")
    if problems:
        raise AuthMisconfigured("the dashboard's [auth] configuration is broken: " + "; ".join(problems) + ".")
    return AuthConfig(required=True, providers=tuple(providers))


def _authlib_installed() -> bool:
    try:
        import authlib
    except ImportError:
        return False
    return tuple(int(p) for p in authlib.__version__.split(".")[:3] if p.isdigit()) >= (1, 3, 2)


def streamlit_secrets_files() -> list[str]:
    """Where Streamlit looks for secrets.toml (its `secrets.files` option)."""
    from streamlit import config

    return list(config.get_option("secrets.files"))


def configured() -> AuthConfig:
    """The auth configuration a dashboard started from here would use."""
    return check(read_secrets(streamlit_secrets_files()))


def is_loopback(address: str) -> bool:
    if address.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False
