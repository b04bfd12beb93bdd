"""Compacted parts are cut into row groups by bytes of JSON, so a reader never has to decode
(or DuckDB parse in one chunk) more than about ROW_GROUP_BYTES at once, whatever mix of
small webhook objects and large poll pages a part holds."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest

from ledgerlake.transform import compact


def _row(i: int, payload_bytes: int) -> dict:
    arrival = "poll" if payload_bytes > 10_000 else "webhook"
    return {
        "raw_key": f"raw/source=stripe/entity=events/date=2026-01-01/{arrival}-{i:05d}.json",
        "source": "stripe",
        "entity": "events",
        "partition_date": "2026-01-01",
        "arrival": arrival,
        "received_at": "2026-01-01T00:00:00Z",
        "event_id": f"evt_{i}",
        "api_version": "2024-06-20",
        "envelope": json.dumps({"arrival": arrival}),
        "payload": json.dumps({"id": f"evt_{i}", "pad": "x" * payload_bytes}),
    }


@pytest.fixture
def small_groups(monkeypatch):
    monkeypatch.setattr(compact, "ROW_GROUP_BYTES", 64 * 1024)
    return 64 * 1024


def test_a_part_mixing_webhooks_and_pages_keeps_each_row_group_near_the_byte_budget(small_groups):
    # 300 webhooks of ~1 KB, then 40 pages of ~30 KB, then webhooks again
    rows = (
        [_row(i, 1_000) for i in range(300)]
        + [_row(300 + i, 30_000) for i in range(40)]
        + [_row(340 + i, 1_000) for i in range(100)]
    )
    frame = compact._frame(rows)

    parquet = pq.ParquetFile(io.BytesIO(compact._parquet_bytes(frame)))
    largest_row = max(len(r["payload"]) + len(r["envelope"]) for r in rows)
    groups = [parquet.read_row_group(i) for i in range(parquet.num_row_groups)]
    for group in groups:
        json_bytes = sum(len(p) + len(e) for p, e in zip(group["payload"].to_pylist(), group["envelope"].to_pylist()))
        assert json_bytes <= small_groups + largest_row
    # the pages are not all in one group, and the small rows are not one row per group
    assert parquet.num_row_groups >= 40 * 30_000 // small_groups
    assert parquet.num_row_groups < len(rows) // 10

    back = parquet.read().to_pylist()
    assert [r["raw_key"] for r in back] == [r["raw_key"] for r in rows]
    assert [r["payload"] for r in back] == [r["payload"] for r in rows]


def test_an_empty_part_is_still_a_readable_parquet_file():
    parquet = pq.ParquetFile(io.BytesIO(compact._parquet_bytes(compact._frame([]))))
    assert parquet.metadata.num_rows == 0
    assert "payload" in parquet.schema_arrow.names


def _land(lake, n: int, start: int = 0, pad: int = 2_000) -> set[str]:
    from datetime import date

    keys = set()
    for i in range(start, start + n):
        landed = lake.land(
            source="stripe",
            entity="events",
            identity=f"evt_{i:05d}",
            arrival="webhook",
            event_time=date(2026, 1, 1 + i % 28),
            event_id=f"evt_{i:05d}",
            payload=json.dumps({"id": f"evt_{i:05d}", "object": "event", "pad": "x" * pad}).encode(),
        )
        keys.add(landed.key)
    return keys


def _compacted_raw_keys(local_dir) -> list[str]:
    import polars as pl

    files = [str(p) for p in (local_dir / "source=stripe" / "entity=events").glob("*.parquet")]
    return pl.read_parquet(files, columns=["raw_key"])["raw_key"].to_list()


def test_a_big_first_build_is_written_as_several_bounded_parts_each_object_once(lake, tmp_path, monkeypatch):
    monkeypatch.setattr(compact, "PART_BYTES", 40_000)  # ~18 objects of ~2 KB per part
    monkeypatch.setattr(compact, "FETCH_CHUNK", 7)
    landed = _land(lake, 60)
    mirror = tmp_path / "mirror"

    first = compact.Compactor(lake=lake, local_dir=mirror).run()

    parts = list((mirror / "source=stripe" / "entity=events").glob("*.parquet"))
    assert len(parts) >= 3
    assert first.new_objects == 60
    keys = _compacted_raw_keys(mirror)
    assert sorted(keys) == sorted(landed)  # every object, none twice
    # every row carries the stamp of the build that compacted (and so published) it, one per
    # build, never before the object was received: the lake-to-mart half of webhook latency
    import polars as pl

    rows = pl.read_parquet([str(p) for p in parts], columns=["received_at", "compacted_at"])
    assert rows["compacted_at"].null_count() == 0 and rows["compacted_at"].n_unique() == 1
    assert (rows["compacted_at"] >= rows["received_at"].str.slice(0, 19) + "Z").all()
    again = compact.Compactor(lake=lake, local_dir=mirror).run()
    assert again.new_objects == 0


def test_small_parts_are_merged_once_there_are_too_many_and_keep_every_object_once(lake, tmp_path, monkeypatch):
    monkeypatch.setattr(compact, "MERGE_AT_PARTS", 3)
    mirror = tmp_path / "mirror"
    landed = set()
    for run in range(5):  # five builds, each with a few new objects: five small parts
        landed |= _land(lake, 4, start=run * 4)
        compact.Compactor(lake=lake, local_dir=mirror).run()

    parts = [p.name for p in (mirror / "source=stripe" / "entity=events").glob("*.parquet")]
    assert len(parts) <= 3
    assert any(name.endswith("-merged.parquet") for name in parts)
    assert sorted(_compacted_raw_keys(mirror)) == sorted(landed)


def test_a_lake_compacted_before_the_build_stamp_gets_the_column_without_new_objects(lake, tmp_path):
    import duckdb
    import polars as pl

    mirror = tmp_path / "mirror"
    _land(lake, 3)
    compact.Compactor(lake=lake, local_dir=mirror).run()
    for path in (mirror / "source=stripe" / "entity=events").glob("*.parquet"):  # as the version before wrote it
        body = compact._parquet_bytes(pl.read_parquet(path).drop("compacted_at"))
        lake.s3.put_object(Bucket=lake.bucket, Key=f"compacted/{path.relative_to(mirror)}", Body=body)
        path.write_bytes(body)
    assert compact.Compactor(lake=lake, local_dir=mirror).run().new_objects == 0
    parts = str(mirror / "source=stripe" / "entity=events" / "*.parquet")
    rows = duckdb.sql(f"select raw_key, compacted_at from read_parquet('{parts}', union_by_name = true)").fetchall()
    assert len(rows) == 3 and all(stamp is None for _, stamp in rows)  # readable; the old rows unstamped
