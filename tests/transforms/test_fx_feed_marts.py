"""FX through the ECB feed gives the same marts as the simulator's rates file, to the cent.

The session's company (tests/conftest.py `built_company`) got its FX rates the production
way: the `ecb` poller read the simulated ECB feed from the local provider API, no file was
uploaded, and staging derived every pair through EUR. Here the same compacted lake, minus
the ECB pages, with the simulator's `reference/fx_rates.csv` uploaded as the hand override,
rebuilds the FX staging model and everything downstream of it (every mart that converts
currency) over a copy of the company's warehouse: every mart must be identical, row for
row and cent for cent.
"""

from __future__ import annotations

import pytest

from .lake_copy import own_lake_copy


def _tables(con, db):
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'marts' "
            "order by 1",
            [db],
        ).fetchall()
    ]


@pytest.mark.timeout(1800)  # may be the test that lands and builds the session's company
def test_marts_from_the_ecb_feed_equal_marts_from_the_rates_file(built_company, tmp_path_factory, monkeypatch):
    import duckdb

    from ledgerlake.transform import build

    feed_lake, sim_dir = built_company["lake"], built_company["sim_dir"]
    assert not list(feed_lake.keys("reference/fx_rates/")), "the company's FX must come from the feed alone"
    assert list(feed_lake.keys("raw/source=ecb/")), "the ecb poller landed nothing"

    lake = own_lake_copy(  # the same raw, already compacted; no ECB pages
        built_company,
        tmp_path_factory,
        monkeypatch,
        "fx",
        warehouse=built_company["warehouse"],  # a writable copy of the feed build
        keep=lambda key: "/source=ecb/" not in key,
    )
    lake.s3.put_object(
        Bucket=lake.bucket,
        Key="reference/fx_rates/fx_rates.csv",
        Body=(sim_dir / "reference" / "fx_rates.csv").read_bytes(),
    )
    from_file = build(select=["stg_reference__fx_rates+"], stream=None, export=False)
    assert from_file.success, from_file.failures
    assert from_file.models >= 15  # FX staging, the FX intermediates and every converting mart rebuilt

    con = duckdb.connect()
    try:
        con.execute(f"attach '{built_company['warehouse']}' as feed (read_only)")
        con.execute(f"attach '{from_file.warehouse}' as file (read_only)")
        sources = {
            db: dict(
                con.execute(
                    f"select rate_source, count(*) from {db}.staging.stg_reference__fx_rates group by 1"
                ).fetchall()
            )
            for db in ("feed", "file")
        }
        assert set(sources["feed"]) == {"ecb"} and set(sources["file"]) == {"file"}
        assert sources["feed"]["ecb"] == sources["file"]["file"] > 0  # the same days and pairs
        tables = _tables(con, "feed")
        assert tables == _tables(con, "file") and len(tables) > 20
        differing, converted = {}, 0
        for name in tables:
            # every column but rate_source, which says 'ecb' in one build and 'file' in the other
            cols = ", ".join(
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_catalog = 'feed' and "
                    "table_schema = 'marts' and table_name = ? and column_name <> 'rate_source' "
                    "order by ordinal_position",
                    [name],
                ).fetchall()
            )
            rows = con.execute(f"select count(*) from feed.marts.{name}").fetchone()[0]
            extra = con.execute(
                f"select count(*) from (select {cols} from feed.marts.{name} except all "
                f"select {cols} from file.marts.{name})"
            ).fetchone()[0]
            missing = con.execute(
                f"select count(*) from (select {cols} from file.marts.{name} except all "
                f"select {cols} from feed.marts.{name})"
            ).fetchone()[0]
            # source_health counts the lake's raw objects by source, and other tests of the
            # session land into the same lake after the feed build (coding runs, budgets): its
            # FX rows are compared above (the same ECB days and pairs as the file's)
            if (extra or missing) and name != "source_health":
                differing[name] = (rows, extra, missing)
        converted = con.execute(
            "select count(*) from feed.marts.general_ledger where transaction_currency <> reporting_currency"
        ).fetchone()[0]
    finally:
        con.close()
    assert not differing  # mart: (rows, rows only in the feed build, rows only in the file build)
    assert converted > 0  # the comparison covers amounts that were actually converted
