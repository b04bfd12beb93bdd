"""`ledgerlake sql`: typical analyst queries through -c, the shell, formats and the lake."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections import defaultdict
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import pytest
from mini_ledger import LEDGER_END

from ledgerlake.analyst.examples import AR_AGING, EXAMPLES, REVENUE_BY_MONTH, TOP_VENDORS
from ledgerlake.cli import main

REPO = Path(__file__).resolve().parents[2]


def sql(capsys, warehouse, *args) -> tuple[int, str, str]:
    code = main(["sql", "--warehouse", str(warehouse), "--no-lake", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_revenue_by_month(mini_ledger, capsys):
    code, out, _ = sql(capsys, mini_ledger.path, "-c", REVENUE_BY_MONTH, "--format", "csv")
    assert code == 0
    got = {row["month"]: Decimal(row["revenue"]) for row in csv.DictReader(io.StringIO(out))}
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for month, _entity, _cur, _amount, reporting in mini_ledger.revenue:
        expected[month.isoformat()] += reporting
    assert got == expected


def test_ar_aging(mini_ledger, capsys):
    code, out, _ = sql(capsys, mini_ledger.path, "-c", AR_AGING, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    expected: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for kind, entity, _contact, due, currency, _total, open_amount, status, _v in mini_ledger.documents:
        if kind != "AR" or open_amount <= 0 or status not in ("open", "partially_paid"):
            continue
        late = (LEDGER_END - due).days
        bucket = (
            "current"
            if late <= 0
            else "1-30"
            if late <= 30
            else "31-60"
            if late <= 60
            else "61-90"
            if late <= 90
            else "90+"
        )
        expected[(entity, currency)][bucket] += open_amount
        expected[(entity, currency)]["total"] += open_amount
    assert {(r["entity_id"], r["currency"]) for r in rows} == set(expected)
    for r in rows:
        want = expected[(r["entity_id"], r["currency"])]
        for bucket in ("current", "1-30", "31-60", "61-90", "90+", "total"):
            assert Decimal(r[bucket]) == want[bucket], (r["entity_id"], bucket)  # JSON keeps money exact: strings


def test_top_vendors(mini_ledger, capsys):
    code, out, _ = sql(capsys, mini_ledger.path, "-c", TOP_VENDORS, "--format", "csv")
    assert code == 0
    got = [
        (r["vendor"], r["entity_id"], r["currency"], int(r["bills"]), Decimal(r["billed"]))
        for r in csv.DictReader(io.StringIO(out))
    ]
    totals: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for kind, entity, contact, _due, currency, total, _open, _status, voided in mini_ledger.documents:
        if kind == "AP" and not voided:
            totals[(contact, entity, currency)][0] += 1
            totals[(contact, entity, currency)][1] += total
    expected = sorted(((*k, n, t) for k, (n, t) in totals.items()), key=lambda r: (-r[4], r[0]))[:10]
    assert got == expected


def test_table_format_and_errors(mini_ledger, capsys):
    code, out, _ = sql(capsys, mini_ledger.path, "-c", TOP_VENDORS)
    lines = out.splitlines()
    assert code == 0 and lines[1].split("|")[1].strip() == "vendor"
    assert len({len(line) for line in lines[:-1]}) == 1  # every table line has the same width
    assert lines[-1] == "(10 rows)"
    code, _, err = sql(capsys, mini_ledger.path, "-c", "select * from marts.no_such_mart")
    assert code == 1 and "no_such_mart" in err


def test_shell_session(mini_ledger):
    """The REPL: multi-line statements, dot commands, a bad statement that does not end it."""
    from ledgerlake.analyst import connect
    from ledgerlake.analyst.shell import Shell

    script = iter(
        [
            ".tables",
            "select count(*) as docs",
            "  from ar_ap_documents   -- current schema is marts",
            "  where document_kind = 'AP';",
            "select oops;",
            ".mode csv",
            ".schema marts.revenue_by_month",
            "create temp table scratch as select 41 + 1 as answer; select answer from scratch;",
            ".quit",
            "select 'never reached';",
        ]
    )
    out, err = io.StringIO(), io.StringIO()
    conn = connect(mini_ledger.path, source="warehouse", lake=False)

    def read(_prompt):
        try:
            return next(script)
        except StopIteration:
            raise EOFError from None

    errors = Shell(conn, out=out, err=err).run(read_line=read)
    text = out.getvalue()
    ap_docs = sum(1 for d in mini_ledger.documents if d[0] == "AP")
    assert "| marts  | revenue_by_month | table |" in text
    assert re.search(rf"^\| docs +\|\n\+-+\+\n\| +{ap_docs} \|$", text, re.M)  # the multi-line statement ran
    assert errors == 1 and "oops" in err.getvalue()
    assert "Start here: finance_kpis_monthly" in err.getvalue()  # .tables names where to begin
    assert 'revenue_reporting,"DECIMAL(38,6)"' in text  # .schema, after .mode csv
    assert text.rstrip().endswith("answer\n42")
    assert "never reached" not in text


def test_piped_script_through_the_real_command(mini_ledger):
    """`ledgerlake sql < file.sql` as a subprocess: the installed entry point, stdin, exit code."""
    exe = Path(sys.executable).parent / "ledgerlake"
    proc = subprocess.run(
        [str(exe), "sql", "--warehouse", str(mini_ledger.path), "--no-lake", "--format", "csv"],
        input="select count(*) as n\nfrom marts.revenue_by_month;\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["n", str(len(mini_ledger.revenue))]


def test_the_lake_is_readable(lake, mini_ledger, capsys):
    """Raw objects on S3 are queryable in the same session as the marts."""
    from datetime import datetime

    for n in range(3):
        lake.land(
            source="stripe",
            entity="events",
            payload=json.dumps({"id": f"evt_{n}", "object": "event"}).encode(),
            identity=f"evt_{n}",
            event_time=datetime(2025, 6, 1, tzinfo=UTC),
            arrival="webhook",
        )
    query = (
        f"select count(*) as n, min(json_extract_string(payload, '$.id')) as first "
        f"from read_json('s3://{lake.bucket}/raw/source=stripe/entity=events/*/*.json', "
        "columns={'envelope':'JSON','payload':'JSON'}, hive_partitioning=true)"
    )
    code = main(["sql", "--warehouse", str(mini_ledger.path), "-c", query, "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines() == ["n,first", "3,evt_0"]


def test_start_here_lists_the_same_dozen_marts_everywhere():
    from ledgerlake.analyst.examples import START_HERE

    for doc in (REPO / "docs" / "analysts.md", REPO / "transforms" / "models" / "overview.md"):
        text = doc.read_text()
        table = text[text.index("| mart | one row per | ask it |") :]
        table = table[: table.index("\n\n")]
        named = re.findall(r"^\| `([a-z_]+)` \|", table, re.M)
        assert tuple(named) == START_HERE, (doc.name, named)


def test_docs_quote_every_example():
    doc = (REPO / "docs" / "analysts.md").read_text()
    for name, query in EXAMPLES.items():
        assert query in doc, f"docs/analysts.md does not show the {name} example as it runs"


def test_missing_warehouse_is_a_clear_error(tmp_path, capsys):
    code = main(["sql", "--source", "warehouse", "--warehouse", str(tmp_path / "nope.duckdb"), "-c", "select 1"])
    _, err = capsys.readouterr()
    assert code == 2 and "ledgerlake run" in err


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_every_format_keeps_cents(mini_ledger, capsys, fmt):
    code, out, _ = sql(capsys, mini_ledger.path, "-c", "select 1234567.895::decimal(38,6) as amount", "--format", fmt)
    assert code == 0 and "1234567.895000" in out
