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

On AWS the sign-in happens in front of the app: the Application Load Balancer's
authenticate-cognito / authenticate-oidc action (template.yaml, DashboardHttpsListener)
signs every forwarded request's user claims into the `x-amzn-oidc-data` header (ES256,
with the load balancer's ARN as `signer`). `LEDGERLAKE_DASHBOARD_AUTH=alb` (set by the
image and the task definition) makes the app check that header itself before drawing
anything: a request that did not come through that load balancer's sign-in gets no page,
whatever the network in front of it allows (`alb_identity`).
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
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
        near = [
            k
            for k in secrets
            if isinstance(k, str)
            and (k.lower() == "auth" or difflib.get_close_matches(k.lower(), ["auth"], cutoff=0.75))
        ]
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
        problems.append(
            "no provider: put client_id, client_secret and server_metadata_url under [auth] or [auth.<provider>]"
        )
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


# -- behind the load balancer's sign-in (AWS) ------------------------------------------------

AUTH_MODE_ENV = "LEDGERLAKE_DASHBOARD_AUTH"  # "alb": signed in by the load balancer; unset: [auth] or local
ALB_ARN_ENV = "LEDGERLAKE_ALB_ARN"  # the one load balancer whose signature is accepted
ALB_KEYS_URL_ENV = "LEDGERLAKE_ALB_PUBLIC_KEYS_URL"  # default: https://public-keys.auth.elb.<region>.amazonaws.com
CLAIMS_HEADER = "x-amzn-oidc-data"
_ALB_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):[0-9]{12}:loadbalancer/app/[A-Za-z0-9-]+/[0-9a-f]+$"
)
_KID = re.compile(r"^[A-Za-z0-9-]{1,128}$")
_keys: dict[str, object] = {}


class NotSignedIn(PermissionError):
    """The request carries no valid sign-in from the expected load balancer."""


@dataclass(frozen=True)
class Identity:
    user: str  # what acknowledgements and approvals record: the email, else the username, else the subject
    subject: str


def deployment_mode(env: Mapping[str, str] | None = None) -> str | None:
    """ "alb" when the dashboard runs behind the load balancer's sign-in, None otherwise.
    AuthMisconfigured for an unknown mode or a missing / malformed load balancer ARN: a
    deployed dashboard that cannot check its users must not start."""
    env = os.environ if env is None else env
    mode = (env.get(AUTH_MODE_ENV) or "").strip()
    if not mode:
        return None
    if mode != "alb":
        raise AuthMisconfigured(
            f"{AUTH_MODE_ENV}={mode!r}: the only deployed mode is 'alb' (or unset for [auth] / local use)."
        )
    arn = env.get(ALB_ARN_ENV, "")
    if not _ALB_ARN.match(arn):
        raise AuthMisconfigured(
            f"{AUTH_MODE_ENV}=alb needs {ALB_ARN_ENV}, the Application Load Balancer's ARN "
            "(the task definition sets it); without it no sign-in can be checked."
        )
    return mode


def alb_identity(headers: Mapping[str, str] | object, alb_arn: str, *, fetch_key=None, leeway: int = 60) -> Identity:
    """The signed-in user of a request forwarded by the load balancer `alb_arn`.

    Checked as AWS documents ("Authenticate users using an Application Load Balancer",
    user claims encoding and signature verification): the JWT's `signer` header must be
    exactly our load balancer (so no other ALB's users, and no client-made header, get
    in), its ES256 signature must verify with the regional public key named by its `kid`,
    and it must not have expired. NotSignedIn otherwise, with the reason."""
    import jwt

    token = _header(headers, CLAIMS_HEADER)
    if not token:
        raise NotSignedIn(f"no {CLAIMS_HEADER} header: the request did not come through the load balancer's sign-in")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise NotSignedIn(f"{CLAIMS_HEADER} is not a JWT ({err})") from None
    if header.get("signer") != alb_arn:
        raise NotSignedIn("the claims were not signed by this dashboard's load balancer")
    if header.get("alg") != "ES256":
        raise NotSignedIn(f"unexpected signing algorithm {header.get('alg')!r}")
    kid = str(header.get("kid") or "")
    if not _KID.match(kid):
        raise NotSignedIn("the claims name no valid key id")
    try:
        key = (fetch_key or _alb_public_key)(kid, _ALB_ARN.match(alb_arn).group(1))
    except (OSError, ValueError) as err:  # unreachable endpoint, unknown kid, not a PEM key
        raise NotSignedIn(f"cannot fetch the load balancer's public key {kid}: {type(err).__name__}") from None
    try:
        claims = jwt.decode(
            token, key=key, algorithms=["ES256"], leeway=leeway, options={"require": ["exp"], "verify_aud": False}
        )
    except jwt.PyJWTError as err:
        raise NotSignedIn(f"the sign-in claims do not verify ({type(err).__name__})") from None
    subject = str(claims.get("sub") or "")
    user = str(claims.get("email") or claims.get("username") or claims.get("preferred_username") or subject)
    if not user:
        raise NotSignedIn("the sign-in claims name nobody")
    return Identity(user=user, subject=subject)


def _header(headers, name: str) -> str | None:
    items = headers.items() if hasattr(headers, "items") else headers
    for key, value in items:
        if key.lower() == name:
            return value
    return None


def _alb_public_key(kid: str, region: str):
    """The load balancer's public key `kid` (PEM) from the regional endpoint; keys are
    immutable per kid, so each is fetched once per process."""
    if kid not in _keys:
        import urllib.request

        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        base = os.environ.get(ALB_KEYS_URL_ENV) or f"https://public-keys.auth.elb.{region}.amazonaws.com"
        with urllib.request.urlopen(f"{base.rstrip('/')}/{kid}", timeout=5) as response:
            _keys[kid] = load_pem_public_key(response.read())
    return _keys[kid]
