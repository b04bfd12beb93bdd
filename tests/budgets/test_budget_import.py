"""`ledgerlake budgets import`: a budget CSV checked against the chart of accounts and
published to the lake (a moto S3 server) all or nothing."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

GOOD = """entity,account,month,amount,note
US,4000,2025-04,120000.00,subscriptions
US,Rent,2025-04,8500,
UK,Sales,2025-04-01,30000.50,
"""


@pytest.fixture
def warehouse(tmp_path):
    """The two tables an import reads: the entities and their charts of accounts."""
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema seeds; create schema intermediate")
        con.execute(
            "create table seeds.legal_entities as select * from (values ('US', 'USD'), ('UK', 'GBP')) "
            "t(entity_id, functional_currency)"
        )
        con.execute("""create table intermediate.int_ledger_accounts as select * from (values
            ('US', 'qbo:1', '4000', 'Subscription Revenue', 'revenue', false),
            ('US', 'qbo:2', '6100', 'Rent', 'expense', false),
            ('US', 'qbo:3', '1000', 'Checking', 'asset', false),
            ('US', 'qbo:4', null, 'Travel', 'expense', false),
            ('US', 'qbo:5', null, 'Travel', 'expense', false),
            ('UK', 'xero:a', '200', 'Sales', 'revenue', false),
            ('UK', 'xero:b', '400', 'Old Rent', 'expense', true))
            t(entity_id, account_key, account_code, account_name, account_class, is_deleted)""")
    return path


def _objects(lake) -> list[str]:
    listing = lake.s3.list_objects_v2(Bucket=lake.bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_a_good_file_is_published_normalized(lake, warehouse, tmp_path):
    from ledgerlake.budgets import Chart, import_file

    src = tmp_path / "fy26.csv"
    src.write_text(GOOD)
    done = import_file(
        src,
        Chart.from_warehouse(warehouse),
        lake,
        name="FY26 plan",
        by="cfo@example.com",
    )
    assert done.key == "reference/budgets/FY26_plan.csv" and done.lines == 3
    assert done.key in _objects(lake) and done.history_key in _objects(lake)
    body = lake.s3.get_object(Bucket=lake.bucket, Key=done.key)["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [
        (
            r["entity_id"],
            r["account_key"],
            r["period_month"],
            r["amount"],
            r["currency"],
        )
        for r in rows
    ] == [
        ("US", "qbo:1", "2025-04-01", "120000.00", "USD"),
        ("US", "qbo:2", "2025-04-01", "8500", "USD"),
        ("UK", "xero:a", "2025-04-01", "30000.50", "GBP"),
    ]
    assert {r["budget_name"] for r in rows} == {"FY26 plan"} and rows[0]["imported_by"] == "cfo@example.com"
    assert [r["line"] for r in rows] == ["2", "3", "4"]


BAD_LINES = [
    ("FR,4000,2025-04,1.00", "unknown entity 'FR' (known: UK, US)"),
    ("US,4999,2025-04,1.00", "unknown account '4999' in US's ledger"),
    ("US,1000,2025-04,1.00", "is a asset account: budgets are for P&L"),
    (
        "US,Travel,2025-04,1.00",
        "account 'Travel' is ambiguous in US's ledger (qbo:4, qbo:5)",
    ),
    ("UK,Old Rent,2025-04,1.00", "unknown account 'Old Rent'"),  # deleted in the ledger
    ("US,4000,2025-13,1.00", "month '2025-13' is not a month"),
    ("US,4000,April 2025,1.00", "month 'April 2025' is not a month"),
    ('US,4000,2025-04,"1,000.00"', "amount '1,000.00' is not a plain number"),
    ("US,4000,2025-04,$100", "amount '$100' is not a plain number"),
    ("US,4000,2025-04,1.001", "amount '1.001' has more decimals than USD has (2)"),
    ("US,4000,2025-04,", "amount '' is not a plain number"),
    ("US,4000,2025-04,1.00,EUR", "currency EUR is not US's functional currency USD"),
    (
        "US,4000,2025-04,1.00,USD,note,extra",
        "1 cell(s) more than the header's 6 columns",
    ),
]


@pytest.mark.parametrize("row,reason", BAD_LINES, ids=[r for _, r in BAD_LINES])
def test_each_bad_line_is_refused_with_its_line_and_reason(lake, warehouse, tmp_path, row, reason):
    from ledgerlake.budgets import BudgetRefused, Chart, import_file

    src = tmp_path / "bad.csv"
    src.write_text("entity,account,month,amount,currency,note\nUS,4000,2025-05,10.00,,\n" + row + "\n")
    before = _objects(lake)
    with pytest.raises(BudgetRefused) as refused:
        import_file(src, Chart.from_warehouse(warehouse), lake)
    assert len(refused.value.problems) == 1
    line, why = refused.value.problems[0]
    assert line == 3 and reason in why, why
    assert _objects(lake) == before  # nothing written


def test_header_problems_and_duplicates_refuse_the_file(warehouse):
    from ledgerlake.budgets import BudgetRefused, Chart, parse

    chart = Chart.from_warehouse(warehouse)
    with pytest.raises(BudgetRefused) as refused:
        parse("entity,acount,month,amount\nUS,4000,2025-04,1\n", chart)
    assert refused.value.problems == [
        (
            1,
            "missing column(s) account (the header must name entity, account, month, amount)",
        ),
        (
            1,
            "unknown column(s) acount (allowed: entity, account, month, amount, currency, note, class, department)",
        ),
    ]
    with pytest.raises(BudgetRefused) as refused:
        parse(
            "entity,account,month,amount\nUS,4000,2025-04,1\nUS,subscription revenue,2025-04-01,2\n",
            chart,
        )
    assert refused.value.problems == [(3, "duplicate of line 2 (US, Subscription Revenue, 2025-04)")]
    with pytest.raises(BudgetRefused, match="no budget lines"):
        parse("entity,account,month,amount\n\n", chart)
    with pytest.raises(BudgetRefused, match="the file is empty"):
        parse("", chart)


def test_a_line_may_budget_one_class_or_department_of_the_ledger(lake, warehouse, tmp_path):
    """Optional class / department columns: checked against what the entity's ledger codes
    lines with (int_ledger_dimensions), spelt as the ledger spells them, published in their
    own columns; the same account and month may be budgeted once per class; an unknown
    class refuses the file with its line."""
    import duckdb

    from ledgerlake.budgets import BudgetRefused, Chart, import_file

    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table seeds.source_tenants as select * from (values ('qbo', 'r1', 'US'), ('xero', 't1', 'UK'))"
            " t(source_system, tenant_id, entity_id)"
        )
        con.execute("""create table intermediate.int_ledger_dimensions as select * from (values
            ('qbo', 'r1', 'class', '5001', 'Subscriptions'), ('qbo', 'r1', 'class', '5002', 'Services'),
            ('qbo', 'r1', 'department', '1', 'Engineering'), ('xero', 't1', 'class', 'o1', 'Online Store'))
            t(source_system, tenant_id, dimension, dimension_id, dimension_name)""")
    chart = Chart.from_warehouse(warehouse)
    src = tmp_path / "by-class.csv"
    src.write_text(
        "entity,account,month,class,department,amount\n"
        "US,4000,2025-04,subscriptions,,100000\n"
        "US,4000,2025-04,Services,,20000\n"
        "US,Rent,2025-04,,engineering,3000\n"
        "US,Rent,2025-04,,,5500\n"
    )
    done = import_file(src, chart, lake, name="By class")
    body = lake.s3.get_object(Bucket=lake.bucket, Key=done.key)["Body"].read().decode()
    published = csv.DictReader(io.StringIO(body))
    rows = [(r["account_key"], r["class_name"], r["department_name"], r["amount"]) for r in published]
    assert rows == [
        ("qbo:1", "Subscriptions", "", "100000"),
        ("qbo:1", "Services", "", "20000"),
        ("qbo:2", "", "Engineering", "3000"),
        ("qbo:2", "", "", "5500"),
    ]
    src.write_text(
        "entity,account,month,class,department,amount\n"
        "US,4000,2025-04,Retail,,1\n"
        "UK,200,2025-04,Online Store,,1\n"
        "US,Rent,2025-04,,Engineering,1\n"
        "US,Rent,2025-04,Services,,1\n"
    )
    with pytest.raises(BudgetRefused) as refused:
        import_file(src, chart, lake, name="By class")
    assert refused.value.problems == [
        (2, "unknown class 'Retail' in US's ledger (known: Services, Subscriptions)"),
        (
            5,
            (
                "budgets US, Rent, 2025-04 by class, line 4 by department: budget one account and month by one"
                " set of dimensions, or a posting would count twice"
            ),
        ),
    ]


def test_a_refused_reimport_keeps_the_previous_budget(lake, warehouse, tmp_path):
    from ledgerlake.budgets import BudgetRefused, Chart, import_file

    chart = Chart.from_warehouse(warehouse)
    src = tmp_path / "plan.csv"
    src.write_text(GOOD)
    done = import_file(src, chart, lake)
    first = lake.s3.get_object(Bucket=lake.bucket, Key=done.key)["Body"].read()
    src.write_text(GOOD + "US,9999,2025-04,5\n")
    before = _objects(lake)
    with pytest.raises(BudgetRefused):
        import_file(src, chart, lake)
    assert _objects(lake) == before
    assert lake.s3.get_object(Bucket=lake.bucket, Key=done.key)["Body"].read() == first


def test_the_command_refuses_with_lines_and_exit_2_and_imports_a_good_file(lake, warehouse, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("entity,account,month,amount\nUS,4000,2025-04,ten\nZZ,4000,2025-04,1\n")
    run = [sys.executable, "-m", "ledgerlake", "budgets", "import"]
    out = subprocess.run(
        [*run, str(bad), "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2, out.stderr
    assert "bad.csv:2: amount 'ten' is not a plain number" in out.stderr
    assert "bad.csv:3: unknown entity 'ZZ'" in out.stderr and "nothing imported" in out.stderr
    assert not any(k.startswith("reference/") for k in _objects(lake))
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    out = subprocess.run(
        [*run, str(good), "--warehouse", str(warehouse), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "dry run" in out.stdout and not _objects(lake)
    out = subprocess.run(
        [*run, str(good), "--warehouse", str(warehouse), "--name", "Plan"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "reference/budgets/Plan.csv" in _objects(lake)
    listed = subprocess.run(
        [sys.executable, "-m", "ledgerlake", "budgets", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "reference/budgets/Plan.csv" in listed.stdout
