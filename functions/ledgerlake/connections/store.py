"""Where connections (provider credentials) live: one record per source.

* `FileStore` (local default): `$LEDGERLAKE_HOME/connections/{source}.json`, mode 0600 from
  the moment it exists (written to a temp file opened with mode 0600, then renamed over the
  old one), in a 0700 directory; a per-source lock file serialises compare-and-swap writes.
* `SecretsManagerStore` (AWS): one secret per connection, `{prefix}{source}`. A write is a
  compare-and-swap on the version: the new value is put under a private staging label and
  AWSCURRENT is moved to it *from the version the writer read*; Secrets Manager refuses the
  move when AWSCURRENT has moved on, so the loser of a race learns it and re-reads.

Both expose `read(source) -> (record | None, version)` and
`write(source, record, expected_version) -> new_version` (raises `Conflict`). Records are
dicts (see connections/__init__.py); nothing here logs a value.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from ..config import home


class Conflict(Exception):
    """Someone else wrote the connection since it was read: re-read and decide again."""


def store_from_env():
    """The configured store: `LEDGERLAKE_SECRET_STORE=file` (default) or `secretsmanager`."""
    kind = os.environ.get("LEDGERLAKE_SECRET_STORE", "file").lower()
    if kind == "secretsmanager":
        return SecretsManagerStore(os.environ.get("LEDGERLAKE_SECRET_PREFIX", "ledgerlake/connections/"))
    if kind != "file":
        raise ValueError(f"LEDGERLAKE_SECRET_STORE must be 'file' or 'secretsmanager', not {kind!r}")
    return FileStore(Path(os.environ.get("LEDGERLAKE_CONNECTIONS_DIR") or home() / "connections"))


class FileStore:
    kind = "file"

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, source: str) -> Path:
        return self.root / f"{source}.json"

    def describe(self, source: str) -> str:
        return str(self._path(source))

    def read(self, source: str) -> tuple[dict[str, Any] | None, str | None]:
        try:
            record = json.loads(self._path(source).read_text())
        except FileNotFoundError:
            return None, None
        return record, str(record.get("_version", 0))

    @contextlib.contextmanager
    def _locked(self, source: str):
        import fcntl

        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.root / f".{source}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def write(self, source: str, record: dict[str, Any], expected: str | None) -> str:
        with self._locked(source):
            _, current = self.read(source)
            if current != expected:
                raise Conflict(f"{source} connection changed (version {current}, expected {expected})")
            version = str(int(current or 0) + 1)
            body = json.dumps({**record, "_version": int(version)}, indent=1, sort_keys=True).encode()
            tmp = self.root / f".{source}.{uuid.uuid4().hex}.tmp"
            # O_EXCL + mode: the file is 0600 from its first instant (umask can only remove bits).
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, body)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self._path(source))
            return version


class SecretsManagerStore:
    kind = "secretsmanager"
    CANDIDATE = "LEDGERLAKE_NEXT"  # staging label of a version being swapped in

    def __init__(self, prefix: str, client=None):
        self.prefix = prefix
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager")
        return self._client

    def name(self, source: str) -> str:
        return f"{self.prefix}{source}"

    def describe(self, source: str) -> str:
        return f"secretsmanager:{self.name(source)}"

    def read(self, source: str) -> tuple[dict[str, Any] | None, str | None]:
        try:
            answer = self.client.get_secret_value(SecretId=self.name(source), VersionStage="AWSCURRENT")
        except self.client.exceptions.ResourceNotFoundException:
            return None, None
        text = answer.get("SecretString") or ""
        if not text.strip().startswith("{"):
            return None, answer["VersionId"]  # created by the template, never connected
        return json.loads(text), answer["VersionId"]

    def write(self, source: str, record: dict[str, Any], expected: str | None) -> str:
        body = json.dumps(record, sort_keys=True)
        name = self.name(source)
        if expected is None:
            try:
                return self.client.create_secret(Name=name, SecretString=body, ClientRequestToken=str(uuid.uuid4()))[
                    "VersionId"
                ]
            except self.client.exceptions.ResourceExistsException as err:
                raise Conflict(f"{source} connection appeared meanwhile") from err
        version = str(uuid.uuid4())
        self.client.put_secret_value(
            SecretId=name, SecretString=body, ClientRequestToken=version, VersionStages=[self.CANDIDATE]
        )
        try:
            self.client.update_secret_version_stage(
                SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=version, RemoveFromVersionId=expected
            )
        except self.client.exceptions.InvalidParameterException as err:
            raise Conflict(f"{source} connection changed since version {expected}") from err
        return version
