"""The raw lake: the one module that knows the S3 layout, the envelope and the way in.

Layout (Hive-style partitions, so DuckDB and Athena prune by source, entity and date):

    s3://{raw_bucket}/raw/source={source}/entity={entity}/date={YYYY-MM-DD}/{arrival}-{identity}.json
    s3://{raw_bucket}/quarantine/source={source}/date={YYYY-MM-DD}/{sha256 of body}-{sha256 of reason, 12}.bin

* `identity` comes from the provider's identity of the thing (event id, webhook id, or a
  hash of identity fields), and `date` from the thing's own timestamp, never from when it
  arrived: a redelivery on another day lands on the same key.
* A raw object is JSON: `{"envelope": {...}, "payload": <provider body, byte for byte>}`.
  The payload bytes are spliced in verbatim, not re-serialised, so signatures could be
  re-checked and nothing the provider sent is normalised away.
* Raw is never rewritten: landing on an existing key is a no-op that says so.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .config import Settings

ARRIVALS = ("webhook", "poll", "hydrate")
# Headers worth keeping for lineage and debugging. Signatures and auth never are.
HEADER_ALLOWLIST = frozenset(
    {
        "content-type",
        "user-agent",
        "stripe-version",
        "x-shopify-topic",
        "x-shopify-shop-domain",
        "x-shopify-webhook-id",
        "x-shopify-event-id",
        "x-shopify-triggered-at",
        "x-shopify-api-version",
        "shopify-topic",  # Shopify's current spellings, without the X- prefix
        "shopify-shop-domain",
        "shopify-webhook-id",
        "shopify-event-id",
        "shopify-triggered-at",
        "shopify-api-version",
        "x-hubspot-request-timestamp",
        "intuit-t-id",
        "x-request-id",
        "plaid-version",
    }
)
_SAFE_IDENTITY = re.compile(r"^[A-Za-z0-9._:=-]{1,200}$")


def identity_hash(*parts: Any) -> str:
    """A stable identity for things the provider gives no id to (sha256 of the parts)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def safe_identity(identity: str) -> str:
    return identity if _SAFE_IDENTITY.match(identity) else identity_hash(identity)


def raw_prefix(source: str | None = None, entity: str | None = None) -> str:
    prefix = "raw/"
    if source:
        prefix += f"source={source}/"
        if entity:
            prefix += f"entity={entity}/"
    return prefix


def raw_key(source: str, entity: str, event_date: date, arrival: str, identity: str) -> str:
    if arrival not in ARRIVALS:
        raise ValueError(f"arrival must be one of {ARRIVALS}, not {arrival!r}")
    return f"{raw_prefix(source, entity)}date={event_date.isoformat()}/{arrival}-{safe_identity(identity)}.json"


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Envelope:
    source: str
    entity: str
    arrival: str
    received_at: str
    event_id: str | None = None
    api_version: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    occurred_at: str | None = None  # the provider's event time (webhooks), for webhook-to-mart latency

    def to_json(self) -> dict[str, Any]:
        data = {
            "source": self.source,
            "entity": self.entity,
            "arrival": self.arrival,
            "received_at": self.received_at,
            "event_id": self.event_id,
            "api_version": self.api_version,
            "headers": self.headers,
        }
        if self.extra:
            data["extra"] = self.extra
        if self.occurred_at:
            data["occurred_at"] = self.occurred_at
        return data


def allowed_headers(headers: dict[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items() if k.lower() in HEADER_ALLOWLIST}


def _ascii(text: str, limit: int = 200) -> str:
    """S3 user metadata is US-ASCII: escape anything else (a caller's header may hold it)."""
    return str(text)[:limit].encode("ascii", "backslashreplace").decode("ascii")


def encode_raw_object(envelope: Envelope, payload: bytes) -> bytes:
    """Envelope plus the payload bytes spliced in verbatim (the payload must be JSON)."""
    head = json.dumps({"envelope": envelope.to_json()}, separators=(",", ":"))[:-1]
    return head.encode() + b',"payload":' + payload.strip() + b"}"


def decode_raw_object(data: bytes) -> tuple[dict[str, Any], Any]:
    obj = json.loads(data)
    return obj["envelope"], obj["payload"]


@dataclass(frozen=True)
class Landed:
    key: str
    created: bool  # False when the key already existed (a redelivery)


def s3_client(settings: Settings | None = None):
    import boto3
    from botocore.config import Config

    settings = settings or Settings.from_env()
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name=settings.region,
        # Read the keys now: boto3's default session caches the credentials it first
        # resolved, so a process whose settings change (local.env loaded later, tests)
        # would otherwise keep signing with stale keys. None falls back to the chain.
        **_env_credentials(),
        config=Config(
            retries={"max_attempts": 5, "mode": "standard"},
            s3={"addressing_style": "path"} if settings.s3_endpoint else {},
            max_pool_connections=32,
        ),
    )


def _env_credentials() -> dict[str, str]:
    key_id, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not (key_id and secret):
        return {}
    creds = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    if os.environ.get("AWS_SESSION_TOKEN"):
        creds["aws_session_token"] = os.environ["AWS_SESSION_TOKEN"]
    return creds


class Lake:
    """Writes and reads the raw lake through the S3 API (AWS, the local server or moto)."""

    def __init__(self, settings: Settings | None = None, client=None):
        self.settings = settings or Settings.from_env()
        self.bucket = self.settings.raw_bucket
        self.s3 = client or s3_client(self.settings)
        self._conditional_puts = True

    # -- setup -------------------------------------------------------------------------
    def ensure_buckets(self) -> None:
        """Create the raw and marts buckets if missing (local and test setups only)."""
        from botocore.exceptions import ClientError

        for bucket in (self.settings.raw_bucket, self.settings.marts_bucket):
            try:
                self.s3.head_bucket(Bucket=bucket)
            except ClientError:
                self.s3.create_bucket(Bucket=bucket)

    # -- writing -----------------------------------------------------------------------
    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def land(
        self,
        *,
        source: str,
        entity: str,
        payload: bytes,
        identity: str,
        event_time: datetime | date,
        arrival: str,
        event_id: str | None = None,
        api_version: str | None = None,
        headers: dict[str, str] | None = None,
        received_at: datetime | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Landed:
        """Land one delivered event or polled page; a second landing of the same thing is a no-op."""
        event_date = event_time.date() if isinstance(event_time, datetime) else event_time
        key = raw_key(source, entity, event_date, arrival, identity)
        envelope = Envelope(
            source=source,
            entity=entity,
            arrival=arrival,
            received_at=_utc_iso(received_at or datetime.now(UTC)),
            event_id=event_id,
            api_version=api_version,
            headers=allowed_headers(headers),
            extra=extra or {},
            occurred_at=_utc_iso(event_time) if arrival != "poll" and isinstance(event_time, datetime) else None,
        )
        return Landed(key, created=self._put_if_absent(key, encode_raw_object(envelope, payload)))

    def _put_if_absent(self, key: str, body: bytes) -> bool:
        """Write unless the key exists; True if this call wrote it.

        A conditional PUT (`If-None-Match: *`, answered 412 when the key exists) makes two
        copies of one event arriving at the same instant race-free, and costs one request.
        Servers that do not implement it get a HEAD-then-PUT instead.
        """
        from botocore.exceptions import ClientError

        if self._conditional_puts:
            try:
                self.s3.put_object(
                    Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*"
                )
                return True
            except ClientError as err:
                code = err.response.get("Error", {}).get("Code")
                status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412):
                    return False
                if code not in ("NotImplemented", "InvalidArgument") and status != 501:
                    raise
                self._conditional_puts = False
        if self.exists(key):
            return False
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        return True

    def quarantine(self, *, source: str, body: bytes, reason: str, headers: dict[str, str] | None = None) -> str:
        """Keep a refused-but-authentic body (e.g. malformed JSON) for inspection, verbatim.

        The key holds the body's hash and the reason's: the same body refused for two
        reasons (say, before and after a fix) keeps both, while a retry refused for the
        same reason lands on the same key.
        """
        digest = hashlib.sha256(body).hexdigest()
        why = hashlib.sha256(reason.encode("utf-8", "backslashreplace")).hexdigest()[:12]
        today = datetime.now(UTC).date().isoformat()
        key = f"quarantine/source={source}/date={today}/{digest}-{why}.bin"
        meta = {"reason": _ascii(reason), "source": source}
        meta.update({f"h-{k}": _ascii(v) for k, v in allowed_headers(headers).items()})
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, Metadata=meta)
        return key

    # -- reading -----------------------------------------------------------------------
    def keys(self, prefix: str = "raw/") -> Iterator[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def read_bytes(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def read(self, key: str) -> tuple[dict[str, Any], Any]:
        """(envelope, payload) of one raw object."""
        return decode_raw_object(self.read_bytes(key))

    def count(self, prefix: str = "raw/") -> int:
        return sum(1 for _ in self.keys(prefix))


# -- the DuckDB way in ----------------------------------------------------------------


def httpfs_extension_path() -> str:
    """The httpfs extension file shipped by the duckdb-extension-httpfs wheel.

    DuckDB cannot download extensions here (nor in a locked-down Lambda), so it is
    installed from the pip package's file instead of the extension repository.
    """
    import duckdb
    import duckdb_extension_httpfs

    base = os.path.dirname(duckdb_extension_httpfs.__file__)
    wanted = os.path.join(base, "extensions", f"v{duckdb.__version__}", "httpfs.duckdb_extension")
    if os.path.exists(wanted):
        return wanted
    found = sorted(glob.glob(os.path.join(base, "extensions", "*", "httpfs.duckdb_extension")))
    if not found:
        raise RuntimeError("duckdb-extension-httpfs is installed but holds no httpfs extension")
    return found[-1]


def duckdb_s3_secret_sql(settings: Settings | None = None, name: str = "ledgerlake_s3") -> str:
    """CREATE SECRET for the lake, from the same settings boto3 uses.

    DuckDB ignores AWS_ENDPOINT_URL, so the endpoint, path style and SSL are spelled out.
    On AWS (no endpoint) the keys Lambda puts in the environment are used, session token
    included; elsewhere boto3's credential chain supplies them.
    """
    from urllib.parse import urlparse

    settings = settings or Settings.from_env()

    def q(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    key_id = os.environ.get("AWS_ACCESS_KEY_ID", "")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not settings.s3_endpoint and not key_id:
        # No static keys (e.g. an EC2/ECS role outside Lambda): resolve them through boto3's
        # chain, because DuckDB's own credential_chain needs the `aws` extension, which
        # cannot be downloaded here and is not packaged.
        import boto3

        creds = boto3.Session().get_credentials()
        if creds is None:
            raise RuntimeError("no AWS credentials found for DuckDB's S3 access")
        frozen = creds.get_frozen_credentials()
        key_id, secret = frozen.access_key, frozen.secret_key
        token = frozen.token
    else:
        token = os.environ.get("AWS_SESSION_TOKEN")
    parts = [
        "TYPE s3",
        f"KEY_ID {q(key_id)}",
        f"SECRET {q(secret)}",
        f"REGION {q(settings.region)}",
    ]
    if settings.s3_endpoint:
        url = urlparse(settings.s3_endpoint)
        parts += [
            f"ENDPOINT {q(url.netloc)}",
            "URL_STYLE 'path'",
            f"USE_SSL {'true' if url.scheme == 'https' else 'false'}",
        ]
    if token:
        parts.append(f"SESSION_TOKEN {q(token)}")
    return f"CREATE OR REPLACE SECRET {name} ({', '.join(parts)})"


def configure_duckdb(conn, settings: Settings | None = None) -> None:
    """Make an open DuckDB connection able to read and write the lake over S3."""
    conn.execute(f"INSTALL '{httpfs_extension_path()}'")
    conn.execute("LOAD httpfs")
    conn.execute(duckdb_s3_secret_sql(settings))


def duckdb_connect(database: str = ":memory:", read_only: bool = False, settings: Settings | None = None):
    """A DuckDB connection that can read the lake: shared by dbt, the dashboard and analysts."""
    import duckdb

    conn = duckdb.connect(database, read_only=read_only)
    configure_duckdb(conn, settings)
    return conn


def raw_glob(settings: Settings | None = None, source: str = "*", entity: str = "*") -> str:
    settings = settings or Settings.from_env()
    return f"s3://{settings.raw_bucket}/raw/source={source}/entity={entity}/*/*.json"
