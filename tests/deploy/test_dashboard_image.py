"""The dashboard image (docker/dashboard), without Docker: checked statically, then run.

Statically: every COPY source exists and passes .dockerignore, it runs as a non-root user,
and its requirements.txt (pinned by the lock) ships every third-party module the dashboard's
code can import. Run: a throwaway venv gets exactly the image's requirements (uv, the
lock as constraints, uv's cache), the files are laid out as the Dockerfile's COPY lines
lay them out, and the image's CMD starts as a plain process with the image's ENV plus the
task definition's environment (template.yaml), against the local S3 server. Then, over
Streamlit's own WebSocket, the way a browser asks for a page:

- no sign-in header, a header signed by another load balancer, a forged signature, an
  expired one: no page, only "Sign-in required";
- the load balancer's valid signed claims: the page is served, and the container's log
  names the signed-in user.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from deploy_support import (
    REPO,
    distribution_closure,
    requirement_names,
    static_imports,
    template,
)

DOCKERFILE = REPO / "docker" / "dashboard" / "Dockerfile"
REQUIREMENTS = REPO / "docker" / "dashboard" / "requirements.txt"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/ledgerlake-dash/0123456789abcdef"
OTHER_ALB = "arn:aws:elasticloadbalancing:us-east-1:999999999999:loadbalancer/app/someone-else/fedcba9876543210"
KID = "5e4d8c3b-1a2f-4b6c-9d0e-7f8a9b0c1d2e"
USER = "cfo@example.com"
# Reachable from the dashboard's code but deliberately not in the image: Authlib serves
# Streamlit's own OIDC login ([auth] in secrets.toml), which the deployed image does not
# use (the load balancer signs users in); Powertools reads secrets from SSM for
# ledgerlake.config.secret(), which no dashboard page calls (the task may read no secret).
NOT_IN_IMAGE = {"authlib", "aws_lambda_powertools"}


def _instructions(name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", DOCKERFILE.read_text(), flags=re.MULTILINE)


def _copies() -> list[tuple[str, str]]:
    return [tuple(line.split()) for line in _instructions("COPY")]


def _env() -> dict[str, str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    (line,) = re.findall(r"^ENV\s+(.+)$", text, flags=re.MULTILINE)
    return dict(pair.split("=", 1) for pair in line.split())


def _dockerignored(path: str) -> bool:
    """Docker's rule: the last matching pattern decides; `!` re-includes."""
    ignored = False
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = path.split("/")
        if any(fnmatch.fnmatch("/".join(parts[:i]), pattern) for i in range(1, len(parts) + 1)):
            ignored = not negate
    return ignored


def test_every_copy_source_exists_and_reaches_the_build_context():
    copies = _copies()
    assert copies
    for source, _ in copies:
        assert (REPO / source).exists(), f"COPY source {source} does not exist"
        assert not _dockerignored(source), f".dockerignore keeps {source} out of the build context"
    assert _dockerignored("dashboard/.streamlit/secrets.toml"), "a local login's secrets must never enter the image"
    (user,) = _instructions("USER")
    assert user.split(":")[0] not in ("root", "0"), "the dashboard runs as a non-root user"
    (cmd,) = _instructions("CMD")
    assert json.loads(cmd)[:4] == ["python", "-m", "ledgerlake", "dashboard"], (
        "the image serves through `ledgerlake dashboard`"
    )


def _dashboard_imports() -> set[str]:
    """Third-party top-level modules the dashboard's scripts import (eagerly or lazily),
    and everything ledgerlake code they import can reach."""
    import ast

    external: set[str] = set()
    for path in sorted((REPO / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module and not node.level
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top == "ledgerlake":
                    external |= static_imports(name)
                elif top not in sys.stdlib_module_names and top not in (
                    "shared",
                    "charts",
                    "__future__",
                ):
                    external.add(top)
    return external | static_imports("ledgerlake.commands.dashboard") | static_imports("ledgerlake.cli")


def test_the_image_requirements_ship_every_module_the_dashboard_imports():
    import importlib.metadata

    owners = importlib.metadata.packages_distributions()
    available = distribution_closure(requirement_names(REQUIREMENTS))
    missing = {
        m: owners.get(m, [])
        for m in _dashboard_imports() - NOT_IN_IMAGE
        if not any(o.lower().replace("_", "-") in available for o in owners.get(m, []))
    }
    assert not missing, f"docker/dashboard/requirements.txt lacks what the dashboard imports: {missing}"


# -- the image's CMD as a plain process ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory) -> Path:
    """A venv holding only the image's requirements, at the lock's versions. uv reuses its
    cache (the project's own install filled it), so this takes seconds, not minutes."""
    uv = Path(sys.executable).parent / "uv"
    if not uv.exists():
        pytest.skip("uv is not in the project's venv (make install puts it there)")
    venv = tmp_path_factory.mktemp("dashboard-image") / "venv"
    subprocess.run(
        [str(uv), "venv", "-q", "--python", sys.executable, str(venv)],
        check=True,
        timeout=120,
    )
    proc = subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            "-c",
            str(REPO / "requirements.lock"),
            "-r",
            str(REQUIREMENTS),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return venv


@pytest.fixture(scope="module")
def signing_key():
    """The load balancer's key pair, its public half served like public-keys.auth.elb.<region>."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path == f"/{KID}"
            self.send_response(200 if found else 404)
            self.end_headers()
            if found:
                self.wfile.write(pem)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _task_environment(values: dict[str, str]) -> dict[str, str]:
    """The container's environment as template.yaml's task definition sets it, each value
    resolved from `values` (by the Ref it names)."""
    (container,) = template()["Resources"]["DashboardTaskDefinition"]["Properties"]["ContainerDefinitions"]
    out = {}
    for item in container["Environment"]:
        value = item["Value"]
        out[item["Name"]] = values[value["Ref"]] if isinstance(value, dict) else value
    return out


@pytest.fixture(scope="module")
def served(image_venv, signing_key, s3_endpoint, tmp_path_factory):
    """The image's CMD running from the image's file layout, with only the image's
    requirements; yields (port, log lines)."""
    import boto3

    root = tmp_path_factory.mktemp("dashboard-root")  # stands for the image's "/"
    for source, dest in _copies():
        if dest.startswith("/tmp/"):
            continue  # the pip install's inputs
        target = root / dest.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / source).is_dir():
            shutil.copytree(REPO / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(REPO / source, target)
    (root / "tmp").mkdir()
    workdir = root / _instructions("WORKDIR")[0].lstrip("/")

    suffix = os.urandom(4).hex()
    buckets = {
        "RawBucket": f"raw-image-{suffix}",
        "MartsBucket": f"marts-image-{suffix}",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    for bucket in buckets.values():
        s3.create_bucket(Bucket=bucket)

    # the image's absolute paths, rooted at `root` (paths only at the start of a value)
    env = {k: re.sub(r"^/(app|tmp)\b", lambda m: str(root / m.group(1)), v) for k, v in _env().items()}
    env |= _task_environment(
        {
            **buckets,
            "DashboardLoadBalancer": ALB_ARN,
            "AWS::Region": "us-east-1",
            "ReportingCurrency": "USD",
            "FiscalYearStartMonth": "4",
        }
    )
    env |= {
        "PATH": f"{image_venv / 'bin'}:/usr/bin:/bin",
        "LEDGERLAKE_S3_ENDPOINT": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "LEDGERLAKE_ALB_PUBLIC_KEYS_URL": signing_key[1],
    }
    port = _free_port()
    cmd = json.loads(_instructions("CMD")[0])
    cmd = [str(image_venv / "bin" / "python") if c == "python" else c for c in cmd]
    cmd[cmd.index("--port") + 1] = str(port)
    cmd[cmd.index("--address") + 1] = "127.0.0.1"  # never listen beyond this machine in a test
    proc = subprocess.Popen(
        cmd,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if "ledgerlake dashboard: ready" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(300):
            pytest.fail("the dashboard did not become ready:\n" + "".join(lines[-60:]))
        yield port, lines
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _token(key, signer: str = ALB_ARN, expires_in: int = 120, email: str = USER) -> str:
    import jwt

    now = int(time.time())
    claims = {
        "sub": "0b6e1f52-aaaa-bbbb-cccc-1234567890ab",
        "email": email,
        "exp": now + expires_in,
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
    }
    return jwt.encode(
        claims,
        key,
        algorithm="ES256",
        headers={
            "kid": KID,
            "signer": signer,
            "client": "ledgerlake-dashboard-alb",
            "iss": claims["iss"],
        },
    )


def _page(port: int, headers: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Open a session as the browser does (Streamlit's WebSocket, a rerun of the default
    page) and return everything the server sent for it, as protobuf text."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    sent: list[str] = []
    deadline = time.monotonic() + timeout
    with connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        additional_headers=headers or {},
        open_timeout=timeout,
    ) as ws:
        request = BackMsg()
        request.rerun_script.page_script_hash = ""
        ws.send(request.SerializeToString())
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=max(deadline - time.monotonic(), 1)))
            sent.append(str(msg))
            if msg.WhichOneof("type") == "script_finished":
                return "\n".join(sent)


def test_the_image_serves_streamlits_health_check(served):
    port, _ = served
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as response:
        assert response.status == 200 and response.read().strip() == b"ok"


REFUSED = {
    "no sign-in header": lambda key: {},
    "claims signed by another load balancer": lambda key: {"x-amzn-oidc-data": _token(key, signer=OTHER_ALB)},
    "expired claims": lambda key: {"x-amzn-oidc-data": _token(key, expires_in=-600)},
    "a forged signature": lambda key: {"x-amzn-oidc-data": _token(_other_key())},
    "a client-made identity header": lambda key: {
        "x-amzn-oidc-identity": USER,
        "x-amzn-oidc-data": "not-a-jwt",
    },
}


def _other_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_deployed_dashboard_serves_no_page_without_a_signed_in_user(served, signing_key, case):
    port, _ = served
    page = _page(port, REFUSED[case](signing_key[0]))
    assert "Sign-in required" in page
    assert "marts are not built yet" not in page and "Entity" not in page  # nothing past the gate


def test_the_load_balancers_signed_in_user_gets_the_page_and_is_logged(served, signing_key):
    port, lines = served
    page = _page(port, {"x-amzn-oidc-data": _token(signing_key[0])})
    assert "Sign-in required" not in page
    # the Overview ran past the gate: over an empty marts bucket it says what to build
    assert "marts are not built yet" in page
    logged = [json.loads(line) for line in lines if line.startswith("{") and '"sign_in"' in line]
    assert {
        "event": "sign_in",
        "user": USER,
        "sub": "0b6e1f52-aaaa-bbbb-cccc-1234567890ab",
    } in logged
