"""Compaction: raw JSON objects → Parquet, only for objects not compacted before.

The raw lake holds one small JSON object per delivered event or polled page. Reading
hundreds of thousands of them through S3 GETs on every build would dominate the
transform, so each build first copies the *new* raw objects of every source/entity into
Parquet, one file per ~256 MB of JSON (PART_BYTES) per build:

    s3://{raw_bucket}/compacted/source={source}/entity={entity}/part-{batch}-{n}.parquet

with one row per raw object (raw key, envelope fields, the envelope and payload as JSON
text). dbt's staging models read only these files. Raw stays the source of truth and is
never rewritten: `compacted/` is a derived cache that can be deleted and rebuilt from raw
at any time (`build(recompact=True)`, `ledgerlake build --recompact`, does exactly that).

Which raw objects are already compacted is read from the `raw_key` column of the
existing Parquet files, so the batch file itself is the state: a crash before the file
is written compacts the same objects next time; nothing is lost or counted twice
(staging also dedupes on raw_key, in case a merge crashed half-way).

A local mirror (`local_dir`, by default `$LEDGERLAKE_HOME/compacted/`) holds a copy of
every part file: dbt reads the mirror, not S3, and the compactor reads which raw keys are
done from it. Parts are immutable (a new batch or merge gets a new name), so the mirror
only downloads parts it has not seen and deletes the ones S3 no longer lists; deleting the
mirror costs one download of `compacted/`, never a re-read of raw.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from ..config import Settings
from ..lake import Lake, configure_duckdb, decode_raw_object

log = logging.getLogger(__name__)

COMPACTED_PREFIX = "compacted/"

# Every raw entity the staging models read (docs/architecture.md, "Raw entities per
# source"). An entity with no objects yet still gets an empty file, so its staging model
# compiles and returns no rows instead of failing on "no files found".
KNOWN_ENTITIES: dict[str, tuple[str, ...]] = {
    "stripe": ("events", "balance_transactions"),
    "shopify": ("orders", "refunds", "payouts", "balance_transactions"),
    "hubspot": ("notifications", "deals", "companies", "pipelines", "line_items", "line_item_deals"),
    "qbo": (
        "notifications",
        "cdc",
        "invoice",
        "payment",
        "bill",
        "billpayment",
        "customer",
        "vendor",
        "account",
        "journalentry",
        "creditmemo",
        "purchase",
        "deposit",
        "salesreceipt",
        "refundreceipt",
        "class",
        "department",
        "budget",  # the query API's Budget pages (sources/qbo/poll.py)
    ),
    "xero": (
        "notifications",
        "invoices",
        "payments",
        "banktransactions",
        "creditnotes",
        "accounts",
        "contacts",
        "manualjournals",
        "trackingcategories",
        "budgets",
    ),
    "plaid": ("notifications", "transactions_sync", "accounts"),
    "ecb": ("eurofxref",),  # FX reference rates (sources/ecb)
    # ledgerlake's own inputs: the categoriser's suggestions and people's coding corrections
    "ledgerlake": ("coding_suggestions", "coding_corrections"),
}

SCHEMA = {
    "raw_key": pl.Utf8,
    "source": pl.Utf8,
    "entity": pl.Utf8,
    "partition_date": pl.Date,
    "arrival": pl.Utf8,
    "received_at": pl.Utf8,
    "event_id": pl.Utf8,
    "api_version": pl.Utf8,
    "envelope": pl.Utf8,
    "payload": pl.Utf8,
    # When the build that first read the object compacted it (UTC ISO, like received_at): that
    # build published it, so received_at -> compacted_at is the object's wait for a build
    # (finance_kpis_source_latency). A recompaction restamps every object (a recovery path).
    "compacted_at": pl.Utf8,
}

# Past this many *small* part files in one entity the small parts are merged into one, so
# a lake built every few minutes for a year does not turn back into many small objects.
# Only parts under MERGE_PART_BYTES are merged: a merge reads its parts into memory, and
# the big parts of a first build need no merging.
MERGE_AT_PARTS = 48
MERGE_PART_BYTES = 1024 * 1024

# One part holds at most about this much JSON (envelope + payload): a first build of a big
# lake writes several parts per entity instead of holding the whole entity in memory
# (770k raw objects in one pass peaked at 8.4 GB). Objects are fetched this many at a time.
PART_BYTES = 256 * 1024 * 1024
FETCH_CHUNK = 2000

# Entity prefixes of raw listed at once.
LIST_THREADS = 8

# An entity with fewer compacted objects than this is listed with one glob (~60 MB at most
# in DuckDB); a bigger one, or one compacted for the first time, a month at a time.
WHOLE_ENTITY_GLOB_KEYS = 50_000


@dataclass
class CompactionResult:
    new_objects: int = 0
    total_objects: int = 0
    files_written: int = 0
    seconds: float = 0.0
    per_entity: dict[str, int] = field(default_factory=dict)


def _parse_key(key: str) -> dict[str, str]:
    parts = dict(p.split("=", 1) for p in key.split("/")[1:-1] if "=" in p)
    parts["arrival"] = key.rsplit("/", 1)[-1].split("-", 1)[0]
    return parts


def _row(key: str, data: bytes) -> dict:
    envelope, payload = decode_raw_object(data)
    parts = _parse_key(key)
    return {
        "raw_key": key,
        "source": parts.get("source"),
        "entity": parts.get("entity"),
        "partition_date": parts.get("date"),
        "arrival": envelope.get("arrival") or parts["arrival"],
        "received_at": envelope.get("received_at"),
        "event_id": envelope.get("event_id"),
        "api_version": envelope.get("api_version"),
        "envelope": json.dumps(envelope, separators=(",", ":")),
        "payload": json.dumps(payload, separators=(",", ":")),
    }


def _frame(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={k: (pl.Utf8 if v == pl.Date else v) for k, v in SCHEMA.items()})
    return frame.with_columns(pl.col("partition_date").str.to_date("%Y-%m-%d", strict=False))


# Row groups are cut by bytes, not rows. DuckDB scans a row group in chunks of up to 2,048
# rows and parses every JSON document of a chunk before it frees any: a row group holding
# hundreds of polled pages (300 KB each) made one chunk need gigabytes, and a part of 100k
# Shopify orders written as a single row group needed a 1 GiB allocation to decode. Groups
# of ~32 MB of JSON keep both bounded whatever mix of webhooks and pages a part holds.
ROW_GROUP_BYTES = 32 * 1024 * 1024


def _row_group_bounds(frame: pl.DataFrame) -> list[tuple[int, int]]:
    """(offset, length) of each row group: consecutive rows up to ROW_GROUP_BYTES of JSON."""
    if frame.height == 0:
        return [(0, 0)]
    row_bytes = frame.select(
        pl.col("payload").str.len_bytes().fill_null(0) + pl.col("envelope").str.len_bytes().fill_null(0)
    ).to_series()
    # a row starts a new group when the bytes before it cross a multiple of ROW_GROUP_BYTES
    group = ((row_bytes.cum_sum() - row_bytes) // ROW_GROUP_BYTES).to_list()
    bounds, start = [], 0
    for i in range(1, len(group) + 1):
        if i == len(group) or group[i] != group[i - 1]:
            bounds.append((start, i - start))
            start = i
    return bounds


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    # polars writes one row-group size only; pyarrow writes one group per write_table call
    table = frame.to_arrow()
    buf = io.BytesIO()
    with pq.ParquetWriter(buf, table.schema, compression="zstd") as writer:
        for offset, length in _row_group_bounds(frame):
            writer.write_table(table.slice(offset, length), row_group_size=max(length, 1))
    return buf.getvalue()


def _put_parquet(lake: Lake, key: str, frame: pl.DataFrame) -> bytes:
    body = _parquet_bytes(frame)
    lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=body)
    return body


class Compactor:
    def __init__(
        self,
        lake: Lake | None = None,
        settings: Settings | None = None,
        workers: int = 32,
        local_dir: Path | None = None,
    ):
        self.settings = settings or Settings.from_env()
        self.lake = lake or Lake(self.settings)
        self.workers = workers
        self.local_dir = Path(local_dir) if local_dir else None
        self._duck = None
        self._all_parts: dict[tuple[str, str], list[str]] | None = None

    @property
    def duck(self):
        if self._duck is None:
            import duckdb

            duck = duckdb.connect()
            configure_duckdb(duck, self.settings)
            self._duck = duck  # only once it can reach the lake
        return self._duck

    def _list_parts(self) -> dict[tuple[str, str], list[str]]:
        """Every part file, by (source, entity), from one listing of `compacted/` (one LIST per
        1,000 parts instead of one per entity)."""
        parts: dict[tuple[str, str], list[str]] = {}
        for key in self.lake.keys(COMPACTED_PREFIX):
            p = _parse_key(key)
            if "source" in p and "entity" in p and key.endswith(".parquet"):
                parts.setdefault((p["source"], p["entity"]), []).append(key)
        return {k: sorted(v) for k, v in parts.items()}

    def _parts(self, source: str, entity: str) -> list[str]:
        if self._all_parts is None:
            self._all_parts = self._list_parts()
        return self._all_parts.get((source, entity), [])

    def _local(self, key: str) -> Path:
        return self.local_dir / key[len(COMPACTED_PREFIX) :]

    def _mirror(self, key: str, body: bytes | None = None) -> Path | None:
        """The local copy of a part (downloaded once; parts never change under one name)."""
        if self.local_dir is None:
            return None
        path = self._local(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            if body is None:
                body = self.lake.read_bytes(key)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)
        return path

    def _child_prefixes(self, prefix: str) -> list[str]:
        pages = self.lake.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.lake.bucket, Prefix=prefix, Delimiter="/"
        )
        return [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]

    def _listing_chunks(self, prefix: str) -> list[str]:
        """Globs that together list an entity prefix, one month of partitions each.

        DuckDB's S3 glob holds ~1.25 KB per key until it returns (296k Shopify order keys:
        370 MB), so one glob per entity would need GBs at scale 100; a month of one entity
        is tens of MB. The months come from one delimited LIST of the date partitions."""
        months: set[str] = set()
        others: list[str] = []
        for child in self._child_prefixes(prefix):
            name = child[len(prefix) :]
            if name.startswith("date=") and len(name) >= len("date=YYYY-MM"):
                months.add(name[: len("date=YYYY-MM")])
            else:
                others.append(f"{child}*")
        return [f"{prefix}{m}-*/*" for m in sorted(months)] + others

    def _diff_entity(self, prefix: str) -> tuple[tuple[str, str], int, list[str]]:
        """(source, entity), how many raw objects it has, and the keys not compacted yet.

        DuckDB lists the prefix (`glob`, in C++: boto3 spent 16 s parsing the XML pages of
        265k keys under the GIL, DuckDB 4 s), a month of partitions at a time, and
        anti-joins each month with the `raw_key` column of the entity's parts, so Python
        holds only the new keys (scale-30 listing: 1.2 GB -> 357 MB, docs/benchmarks.md).
        """
        key = _parse_key(prefix + "-")
        source, entity = key["source"], key["entity"]
        parts = [p for p in self._parts(source, entity) if not p.endswith("-empty.parquet")]
        done = (
            [str(self._mirror(p)) for p in parts]
            if self.local_dir is not None
            else [f"s3://{self.lake.bucket}/{p}" for p in parts]
        )
        # a month per glob costs a LIST per month: worth it only where the keys are many
        # (the part footers of the local mirror say how many; no mirror, no cheap count)
        few = (
            bool(done)
            and self.local_dir is not None
            and sum(pq.ParquetFile(path).metadata.num_rows for path in done) < WHOLE_ENTITY_GLOB_KEYS
        )
        patterns = [f"{prefix}*/*"] if few else self._listing_chunks(prefix)
        listed = f"select substr(file, {len(f's3://{self.lake.bucket}/') + 1}) as raw_key from glob(?)"
        unseen = (
            (
                "select list(raw_key order by raw_key) from listed anti join (select raw_key from "
                "read_parquet(?) where starts_with(raw_key, ?)) as done using (raw_key)"
            )
            if done
            else "select list(raw_key order by raw_key) from listed"
        )
        sql = f"with listed as materialized ({listed}) select (select count(*) from listed), ({unseen})"
        total, new = 0, []
        cursor = self.duck.cursor()  # its own cursor: threads overlap their round trips
        try:
            for pattern in patterns:
                params: list = [f"s3://{self.lake.bucket}/{pattern}"]
                if done:
                    params += [done, pattern.split("*", 1)[0]]
                count, keys = cursor.execute(sql, params).fetchone()
                total += count
                new += keys or []
        finally:
            cursor.close()
        return (source, entity), total, new

    def _diff_raw(self) -> dict[tuple[str, str], tuple[int, list[str]]]:
        """(raw object count, new keys) of every raw entity, LIST_THREADS entities at once."""
        entity_prefixes = [e for s in self._child_prefixes("raw/") for e in self._child_prefixes(s)]
        _ = self.duck  # connect (and configure S3) once, before the threads share it
        if self._all_parts is None:  # list compacted/ once, before the threads read it
            self._all_parts = self._list_parts()
        with ThreadPoolExecutor(LIST_THREADS) as pool:
            return {name: (total, new) for name, total, new in pool.map(self._diff_entity, entity_prefixes)}

    def sync_mirror(self) -> None:
        """Make the local mirror hold exactly the parts S3 lists (download new, drop gone)."""
        if self.local_dir is None:
            return
        listed = {key for keys in self._list_parts().values() for key in keys}
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(self._mirror, sorted(listed)))
        wanted = {self._local(k) for k in listed}
        for path in self.local_dir.rglob("*.parquet"):
            if path not in wanted:
                path.unlink()

    def reset(self) -> None:
        """Delete every compacted file (a full refresh re-reads raw)."""
        keys = list(self.lake.keys(COMPACTED_PREFIX))
        for i in range(0, len(keys), 1000):
            self.lake.s3.delete_objects(
                Bucket=self.lake.bucket,
                Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True},
            )

    def run(self, progress=None) -> CompactionResult:
        started = time.monotonic()
        result = CompactionResult()
        raw_by_entity = self._diff_raw()
        for source, entities in KNOWN_ENTITIES.items():
            for entity in entities:
                raw_by_entity.setdefault((source, entity), (0, []))

        batch = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
        pool = ThreadPoolExecutor(self.workers)
        try:
            for (source, entity), (total, new) in sorted(raw_by_entity.items()):
                result.total_objects += total
                parts = self._parts(source, entity)
                prefix = f"{COMPACTED_PREFIX}source={source}/entity={entity}/"
                if not parts and not new:
                    key = prefix + "part-00000000-empty.parquet"
                    self._mirror(key, _put_parquet(self.lake, key, _frame([])))
                    result.files_written += 1
                    continue
                if not new:
                    continue
                written = self._write_parts(pool, prefix, batch, new, progress)
                result.files_written += written
                result.new_objects += len(new)
                result.per_entity[f"{source}/{entity}"] = len(new)
                if len(parts) + written > MERGE_AT_PARTS:
                    self._merge_small_parts(source, entity)
        finally:
            pool.shutdown()
        self._ensure_current_columns(batch)
        self.sync_mirror()
        result.seconds = time.monotonic() - started
        return result

    def _ensure_current_columns(self, batch: str) -> None:
        """A lake compacted before a column existed (compacted_at) gets one empty part with
        today's columns, so the readers, which union the parts by name, see the column (NULL
        in the older rows) even before a build compacts anything new."""
        source, entity = "stripe", "events"
        parts = self._parts(source, entity)
        if not parts or self.local_dir is None:
            return
        if any(set(SCHEMA) <= set(pq.read_schema(self._mirror(p)).names) for p in parts):
            return
        key = f"{COMPACTED_PREFIX}source={source}/entity={entity}/part-{batch}-columns-empty.parquet"
        self._mirror(key, _put_parquet(self.lake, key, _frame([])))

    def _write_parts(self, pool: ThreadPoolExecutor, prefix: str, batch: str, new: list[str], progress) -> int:
        """Fetch `new` raw objects FETCH_CHUNK at a time into parts of about PART_BYTES of
        JSON each; returns how many parts were written. A crash leaves the parts written so
        far, and the next run compacts only what they do not hold."""
        rows: list[dict] = []
        size = written = 0

        stamp = f"{batch[0:4]}-{batch[4:6]}-{batch[6:8]}T{batch[9:11]}:{batch[11:13]}:{batch[13:15]}Z"

        def flush() -> None:
            nonlocal rows, size, written
            key = f"{prefix}part-{batch}-{written:04d}.parquet"
            frame = _frame(rows).with_columns(pl.lit(stamp, dtype=pl.Utf8).alias("compacted_at"))
            self._mirror(key, _put_parquet(self.lake, key, frame))
            rows, size, written = [], 0, written + 1

        for start in range(0, len(new), FETCH_CHUNK):
            chunk = new[start : start + FETCH_CHUNK]
            for row in pool.map(lambda k: _row(k, self.lake.read_bytes(k)), chunk):
                rows.append(row)
                size += len(row["payload"]) + len(row["envelope"])
                if size >= PART_BYTES:
                    flush()
            if progress is not None:
                progress.advance(len(chunk))
        if rows:
            flush()
        return written

    def _part_size(self, key: str) -> int:
        if self.local_dir is not None:
            return self._mirror(key).stat().st_size
        return self.lake.s3.head_object(Bucket=self.lake.bucket, Key=key)["ContentLength"]

    def _merge_small_parts(self, source: str, entity: str) -> None:
        """Merge the entity's small parts into one once there are more than MERGE_AT_PARTS."""
        parts = [p for p in self._list_parts().get((source, entity), []) if not p.endswith("-empty.parquet")]
        small = [p for p in parts if self._part_size(p) < MERGE_PART_BYTES]
        if len(small) <= MERGE_AT_PARTS:
            return
        urls = [f"s3://{self.lake.bucket}/{p}" for p in small]
        merged = self.duck.execute(
            "select * from read_parquet(?, union_by_name = true) qualify row_number() over (partition by raw_key) = 1",
            [urls],
        ).pl()
        prefix = f"{COMPACTED_PREFIX}source={source}/entity={entity}/"
        _put_parquet(self.lake, f"{prefix}part-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-merged.parquet", merged)
        self.lake.s3.delete_objects(
            Bucket=self.lake.bucket, Delete={"Objects": [{"Key": k} for k in small], "Quiet": True}
        )


def compact(
    full_refresh: bool = False, settings: Settings | None = None, progress=None, local_dir: Path | None = None
) -> CompactionResult:
    compactor = Compactor(settings=settings, local_dir=local_dir)
    if full_refresh:
        compactor.reset()
        if local_dir is not None and Path(local_dir).exists():
            import shutil

            shutil.rmtree(local_dir)
    return compactor.run(progress=progress)
