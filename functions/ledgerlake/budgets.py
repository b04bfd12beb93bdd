"""Budgets an FP&A person keeps in a spreadsheet: a CSV, validated against the ledgers' chart
of accounts and published to the lake for the `budget_vs_actual` mart (docs/budgets.md).

The file (one row per entity, account and month; a header row names the columns, in any order):

    entity    a legal entity id (seeds/legal_entities.csv: US, UK)
    account   the account's code, or its name, in that entity's ledger (a P&L account:
              revenue or expense); matched without regard to case
    month     the budget month, YYYY-MM (or the month's first day, YYYY-MM-01)
    amount    the budget in the entity's functional currency, a plain number (1234.50; no
              thousands separators, at most the currency's minor digits); income and costs
              both positive, as a P&L shows them
    currency  optional: when present it must be the entity's functional currency
    note      optional: free text, kept
    class     optional: a class (business line) of that entity's ledger (QBO Class, Xero
              tracking option; docs/marts.md "Dimensions"); the line then budgets only the
              account's postings coded with it. Empty: the whole account
    department optional: a department of that entity's ledger, likewise

An import is all or nothing: every line is checked first, and a file with any problem is
refused with each problem's line number and reason, and nothing is written. An accepted
file replaces the budget of the same name (`--name`, default "Budget") as one S3 object,
`reference/budgets/<name>.csv`, a normalized copy (account keys resolved); each accepted
version is also kept under `reference/budgets-history/` with who imported it and when.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .money import exponent

PREFIX = "reference/budgets/"
HISTORY_PREFIX = "reference/budgets-history/"
REQUIRED = ("entity", "account", "month", "amount")
OPTIONAL = ("currency", "note", "class", "department")
DIMENSIONS = {"class": "class_name", "department": "department_name"}  # CSV column -> output column
PNL_CLASSES = ("revenue", "expense")
OUTPUT_COLUMNS = (
    "budget_name",
    "line",
    "entity_id",
    "account_key",
    "account_code",
    "account_name",
    "account_class",
    "period_month",
    "currency",
    "amount",
    "note",
    "imported_at",
    "imported_by",
    "source_file",
    # appended last: files published before dimensions read as NULL here (all classes)
    "class_name",
    "department_name",
)
_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})(-01)?$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


class BudgetRefused(ValueError):
    """The file was refused: `problems` lists (line number, reason), header = line 1."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("; ".join(f"line {n}: {why}" for n, why in problems))


@dataclass(frozen=True)
class Account:
    account_key: str
    account_code: str | None
    account_name: str
    account_class: str


@dataclass(frozen=True)
class Chart:
    """What a budget line is checked against: entities (→ functional currency) and each
    entity's accounts."""

    entities: dict[str, str]
    accounts: dict[str, list[Account]]  # entity_id → accounts
    # (entity_id, "class" | "department") → the names its ledger codes lines with
    dimensions: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_warehouse(cls, path: Path) -> Chart:
        import duckdb

        if not Path(path).exists():
            raise FileNotFoundError(
                f"no warehouse at {path}: run `ledgerlake run` (or build) first, so the chart of accounts is known"
            )
        with duckdb.connect(str(path), read_only=True) as con:
            entities = dict(con.execute("select entity_id, functional_currency from seeds.legal_entities").fetchall())
            rows = con.execute("""select entity_id, account_key, account_code, account_name, account_class
                                  from intermediate.int_ledger_accounts where not coalesce(is_deleted, false)
                                  order by entity_id, account_key""").fetchall()
            try:
                coded = con.execute("""select t.entity_id, d.dimension, d.dimension_name
                                         from intermediate.int_ledger_dimensions as d
                                         join seeds.source_tenants as t using (source_system, tenant_id)
                                         order by 1, 2, 3""").fetchall()
            except duckdb.CatalogException:  # a warehouse built before dimensions
                coded = []
        accounts: dict[str, list[Account]] = {}
        for entity_id, *fields in rows:
            accounts.setdefault(entity_id, []).append(Account(*fields))
        dimensions: dict[tuple[str, str], tuple[str, ...]] = {}
        for entity_id, dimension, name in coded:
            dimensions[(entity_id, dimension)] = (*dimensions.get((entity_id, dimension), ()), name)
        return cls(entities, accounts, dimensions)

    def find(self, entity_id: str, text: str) -> tuple[Account | None, str | None]:
        """The account a budget line names (by code first, then by name), or why none."""
        wanted = text.strip().lower()
        accounts = self.accounts.get(entity_id, [])
        by_code = [a for a in accounts if (a.account_code or "").lower() == wanted]
        by_name = [a for a in accounts if a.account_name.lower() == wanted]
        found = by_code or by_name
        if not found:
            return (
                None,
                f"unknown account '{text}' in {entity_id}'s ledger (give its code or its exact name)",
            )
        if len(found) > 1:
            return None, (
                f"account '{text}' is ambiguous in {entity_id}'s ledger "
                f"({', '.join(a.account_key for a in found)}): give its code"
            )
        return found[0], None

    def dimension(self, entity_id: str, dimension: str, text: str) -> tuple[str | None, str | None]:
        """The class or department a budget line names, as its ledger spells it, or why none."""
        known = self.dimensions.get((entity_id, dimension), ())
        found = [name for name in known if name.lower() == text.strip().lower()]
        if not found:
            listed = ", ".join(known) if known else f"its ledger codes no line with a {dimension}"
            return None, f"unknown {dimension} '{text}' in {entity_id}'s ledger (known: {listed})"
        return found[0], None


@dataclass(frozen=True)
class BudgetLine:
    line: int
    entity_id: str
    account: Account
    period_month: date
    currency: str
    amount: Decimal
    note: str
    class_name: str | None = None
    department_name: str | None = None


def parse(text: str, chart: Chart) -> list[BudgetLine]:
    """Every line of the file, checked; raises BudgetRefused listing every problem found."""
    problems: list[tuple[int, str]] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # a BOM from Excel's "CSV UTF-8"
    header = [h.strip().lower() for h in (reader.fieldnames or []) if h is not None]
    if not header:
        raise BudgetRefused([(1, "the file is empty: expected a header row " + ",".join(REQUIRED))])
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing:
        problems.append(
            (
                1,
                f"missing column(s) {', '.join(missing)} (the header must name {', '.join(REQUIRED)})",
            )
        )
    if unknown:
        problems.append(
            (
                1,
                f"unknown column(s) {', '.join(unknown)} (allowed: {', '.join(REQUIRED + OPTIONAL)})",
            )
        )
    if problems:
        raise BudgetRefused(problems)
    reader.fieldnames = header
    lines: list[BudgetLine] = []
    seen: dict[tuple[str, str, date, str | None, str | None], int] = {}
    shapes: dict[tuple[str, str, date], tuple[tuple[bool, bool], int]] = {}
    for row in reader:
        n = reader.line_num
        if None in row:  # more cells than the header has columns
            problems.append(
                (
                    n,
                    f"{len(row[None])} cell(s) more than the header's {len(header)} columns",
                )
            )
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue  # a blank line
        found = _line(n, values, chart)
        if isinstance(found, str):
            problems.append((n, found))
            continue
        key = (
            found.entity_id,
            found.account.account_key,
            found.period_month,
            found.class_name,
            found.department_name,
        )
        if key in seen:
            dims = "".join(f", {d}" for d in (found.class_name, found.department_name) if d)
            where = f"{found.entity_id}, {found.account.account_name}, {found.period_month:%Y-%m}{dims}"
            problems.append((n, f"duplicate of line {seen[key]} ({where})"))
            continue
        seen[key] = n
        mixed = _mixed_dimensions(found, shapes)
        if mixed:
            problems.append((n, mixed))
            continue
        lines.append(found)
    if not lines and not problems:
        problems.append((1, "no budget lines under the header"))
    if problems:
        raise BudgetRefused(problems)
    return lines


def _mixed_dimensions(b: BudgetLine, shapes: dict) -> str | None:
    """Why a line cannot join the account and month's other lines: one budgets it by class and
    another by department (a posting coded with both would count twice), else None. The lines
    of one account and month name the same dimensions, plus at most one line for the rest."""
    shape = (b.class_name is not None, b.department_name is not None)
    if shape == (False, False):
        return None
    key = (b.entity_id, b.account.account_key, b.period_month)
    first = shapes.setdefault(key, (shape, b.line))
    if first[0] == shape:
        return None

    def words(s: tuple[bool, bool]) -> str:
        return " and ".join(name for name, named in zip(("class", "department"), s) if named)

    return (
        f"budgets {b.entity_id}, {b.account.account_name}, {b.period_month:%Y-%m} by {words(shape)}, line {first[1]}"
        f" by {words(first[0])}: budget one account and month by one set of dimensions, or a posting would count twice"
    )


def _line(n: int, v: dict[str, str], chart: Chart) -> BudgetLine | str:
    """One row as a budget line, or the reason it is not one (the first problem)."""
    entity = v["entity"]
    if entity not in chart.entities:
        return f"unknown entity '{entity}' (known: {', '.join(sorted(chart.entities))})"
    functional = chart.entities[entity]
    account, why = chart.find(entity, v["account"])
    if account is None:
        return why
    if account.account_class not in PNL_CLASSES:
        return (
            f"account '{v['account']}' ({account.account_name}) is a {account.account_class} account: "
            "budgets are for P&L (revenue and expense) accounts"
        )
    m = _MONTH.match(v["month"])
    if not m or not 1 <= int(m.group(2)) <= 12:
        return f"month '{v['month']}' is not a month (write YYYY-MM, e.g. 2025-04)"
    amount_text = v["amount"]
    if not _AMOUNT.match(amount_text):
        return f"amount '{amount_text}' is not a plain number (write e.g. 12500.00: no currency sign or separators)"
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return f"amount '{amount_text}' is not a number"
    places = -amount.as_tuple().exponent if amount.as_tuple().exponent < 0 else 0
    if places > exponent(functional):
        return f"amount '{amount_text}' has more decimals than {functional} has ({exponent(functional)})"
    currency = v.get("currency", "").upper() or functional
    if currency != functional:
        return (
            f"currency {currency} is not {entity}'s functional currency {functional}: "
            "budget each entity in its own currency"
        )
    named: dict[str, str | None] = {}
    for column in DIMENSIONS:
        named[column] = None
        if v.get(column):
            named[column], why = chart.dimension(entity, column, v[column])
            if why:
                return why
    return BudgetLine(
        n,
        entity,
        account,
        date(int(m.group(1)), int(m.group(2)), 1),
        functional,
        amount,
        v.get("note", ""),
        named["class"],
        named["department"],
    )


def budget_name(name: str) -> str:
    """The budget's name as given, checked: it names the S3 object."""
    if not _NAME.match(name):
        raise BudgetRefused(
            [
                (
                    0,
                    f"budget name '{name}' must be 1-64 letters, digits, spaces, '.', '_' or '-'",
                )
            ]
        )
    return name


def object_key(name: str) -> str:
    return f"{PREFIX}{budget_name(name).replace(' ', '_')}.csv"


def to_csv(lines: list[BudgetLine], name: str, by: str, source_file: str, at: datetime) -> bytes:
    """The normalized file the mart reads (one header, the resolved account per line)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(OUTPUT_COLUMNS)
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for b in lines:
        a = b.account
        w.writerow(
            [
                name,
                b.line,
                b.entity_id,
                a.account_key,
                a.account_code or "",
                a.account_name,
                a.account_class,
                b.period_month.isoformat(),
                b.currency,
                format(b.amount, "f"),
                b.note,
                stamp,
                by,
                source_file,
                b.class_name or "",
                b.department_name or "",
            ]
        )
    return out.getvalue().encode()


@dataclass(frozen=True)
class Imported:
    key: str
    history_key: str
    lines: int
    entities: tuple[str, ...]
    months: tuple[date, date]


def import_file(
    path: Path,
    chart: Chart,
    lake,
    *,
    name: str = "Budget",
    by: str = "local",
    dry_run: bool = False,
    now: datetime | None = None,
) -> Imported:
    """Check `path` and, unless `dry_run`, publish it: the history copy first, then the
    current object in one PUT, so a failure leaves the previous budget in place. Refused
    files raise BudgetRefused and write nothing."""
    key = object_key(name)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise BudgetRefused(
            [
                (
                    0,
                    f"not UTF-8 text ({err.reason} at byte {err.start}): save it as CSV UTF-8",
                )
            ]
        ) from err
    lines = parse(text, chart)
    at = now or datetime.now(UTC)
    body = to_csv(lines, name, by, Path(path).name, at)
    history_key = f"{HISTORY_PREFIX}{key[len(PREFIX) : -4]}/{at:%Y%m%dT%H%M%SZ}.csv"
    if not dry_run:
        lake.s3.put_object(Bucket=lake.bucket, Key=history_key, Body=body, ContentType="text/csv")
        lake.s3.put_object(Bucket=lake.bucket, Key=key, Body=body, ContentType="text/csv")
    months = sorted(b.period_month for b in lines)
    return Imported(
        key,
        history_key,
        len(lines),
        tuple(sorted({b.entity_id for b in lines})),
        (months[0], months[-1]),
    )


def published(lake) -> list[dict]:
    """The budgets in the lake: key, size, last modified."""
    out = []
    for page in lake.s3.get_paginator("list_objects_v2").paginate(Bucket=lake.bucket, Prefix=PREFIX):
        for item in page.get("Contents", []):
            out.append(
                {
                    "key": item["Key"],
                    "bytes": item["Size"],
                    "modified": item["LastModified"],
                    "etag": item.get("ETag", ""),
                }
            )
    return out
