"""The financial statements as the CFO reads them: P&L (accrual or cash basis), balance
sheet, cash-flow statement and trial balance for a span of months, each with its
comparatives (the period just before, of the same length, and the same period a year
earlier); each line's general-ledger lines; CSV and Excel export.

Reads the ledger marts only (`marts.general_ledger`, `profit_and_loss_cash`,
`trial_balance`, `balance_sheet`, `cash_flow_statement`), through the dashboard's `Marts`
and its currency conversion, so a statement in the reporting currency shows the marts'
own `reporting_amount`s and any other currency converts like every other page.
Streamlit-free: the page, the export and the tests call the same functions.

Signs, as a reader expects them: income and the credit side (liabilities, equity)
positive, costs and assets positive; a statement line is `amount`, never a debit/credit
puzzle. The trial balance alone shows debit and credit columns.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from . import dashboard_data as dd
from .dashboard_data import (
    Filters,
    Marts,
    _add_months,
    _money,
    _month_end,
    _rate_join,
    _with,
)

GL = f"{dd.MARTS}.general_ledger"
PNL_CASH = f"{dd.MARTS}.profit_and_loss_cash"
PNL = f"{dd.MARTS}.profit_and_loss"
TRIAL_BALANCE = f"{dd.MARTS}.trial_balance"
BALANCE_SHEET = f"{dd.MARTS}.balance_sheet"
CASH_FLOW = f"{dd.MARTS}.cash_flow_statement"

PNL_LINES = (
    ("revenue", "Revenue"),
    ("cost_of_sales", "Cost of sales"),
    ("operating_expense", "Operating expenses"),
    ("other_income", "Other income"),
    ("fx_realised", "Realised FX gain (loss)"),
    ("fx_unrealised", "Unrealised FX gain (loss)"),
)
INCOME_LINES = ("revenue", "other_income", "fx_realised", "fx_unrealised")  # shown credit-positive
# P&L line of a GL row: the profit_and_loss model's own rule (macro pl_line).
PL_LINE_SQL = """case when document_type = 'FxRealised' then 'fx_realised'
                      when document_type in ('FxRevaluation', 'FxRevaluationReversal') then 'fx_unrealised'
                      when account_class = 'revenue' and is_operating_revenue then 'revenue'
                      when account_class = 'revenue' then 'other_income'
                      when is_cost_of_sales then 'cost_of_sales' else 'operating_expense' end"""
COLUMNS = ("current", "prior", "last_year")
NOT_CODED = "(not coded)"  # a dimension filter's choice for lines their documents leave uncoded


@dataclass(frozen=True)
class Dims:
    """The class and department the accrual P&L and its GL lines are shown for
    (general_ledger.class_name / department_name): None = all, NOT_CODED = lines without one."""

    class_name: str | None = None
    department_name: str | None = None

    def label(self) -> str:
        chosen = (("class", self.class_name), ("department", self.department_name))
        return " · ".join(f"{what} {value}" for what, value in chosen if value)


ALL_DIMS = Dims()


@dataclass(frozen=True)
class Spans:
    """The chosen months and the two comparatives, as (first month, last month)."""

    current: tuple[date, date]
    prior: tuple[date, date]
    last_year: tuple[date, date]

    def labels(self) -> dict[str, str]:
        return {k: _span_label(*getattr(self, k)) for k in COLUMNS}


def spans(f: Filters) -> Spans:
    return Spans(
        (f.period_start, f.period_end),
        dd.previous_period(f),
        (_add_months(f.period_start, -12), _add_months(f.period_end, -12)),
    )


def _span_label(start: date, end: date) -> str:
    return f"{start:%b %Y}" if start == end else f"{start:%b %Y}–{end:%b %Y}"


def _where_entity(f: Filters, column: str = "entity_id") -> tuple[str, list[Any]]:
    return dd._entity_clause(f, column)


def _m(expr: str) -> str:
    """`_money` with the rate qualified: the ledger marts carry an `fx_rate` column of their own."""
    return _money(expr).replace("* fx_rate", "* r.fx_rate")


def _flow_amount(m: Marts, f: Filters, reporting: str, functional: str) -> str:
    """A flow in the chosen currency: the mart's own reporting amount when that is the
    choice; the functional amount when one entity is shown in its own currency; else the
    functional amount converted at the day's rate (`r` joined by the caller)."""
    if f.currency == dd.base_currency(m):
        return reporting
    return _m(functional)


def _period_case(sp: Spans, column: str) -> str:
    """Which comparative column a month belongs to (a month can be in two: prior and last year)."""
    return ", ".join(
        f"sum(amount) filter (where {column} between date '{a}' and date '{b}') as {name}"
        for name, (a, b) in zip(COLUMNS, (sp.current, sp.prior, sp.last_year))
    )


def _where_dims(dims: Dims, alias: str = "g") -> tuple[str, list[Any]]:
    clauses, params = ["true"], []
    for column, value in (("class_name", dims.class_name), ("department_name", dims.department_name)):
        if value == NOT_CODED:
            clauses.append(f"{alias}.{column} is null")
        elif value is not None:
            clauses.append(f"{alias}.{column} = ?")
            params.append(value)
    return " and ".join(clauses), params


def dimension_values(m: Marts, f: Filters) -> dict[str, list[str]]:
    """The classes and departments the entity's P&L lines are coded with (empty lists when
    none is, or the ledger marts predate dimensions)."""
    m.require(GL)
    if "class_name" not in m.columns[GL]:
        return {"class_name": [], "department_name": []}
    where, params = _where_entity(f)
    return {
        column: [
            r[0]
            for r in m.rows(
                f"select distinct {column} from {GL} where {where} and account_class in ('revenue', 'expense')"
                f" and {column} is not null order by 1",
                params,
            )
        ]
        for column in ("class_name", "department_name")
    }


def _any_span(sp: Spans, column: str) -> str:
    return " or ".join(f"{column} between date '{a}' and date '{b}'" for a, b in (sp.current, sp.prior, sp.last_year))


# -- P&L ----------------------------------------------------------------------------------


def profit_and_loss(m: Marts, f: Filters, basis: str = "accrual", dims: Dims = ALL_DIMS) -> pl.DataFrame:
    """P&L lines with the three columns. Accrual: one row per account under its P&L line
    (from the general ledger, the lines profit_and_loss adds up), for the chosen class and
    department (`dims`); cash: one row per P&L line (profit_and_loss_cash has no account
    detail and no dimensions). Subtotals: gross profit, operating profit, net income.
    Columns: section, line, account_key, current, prior, last_year, kind."""
    sp = spans(f)
    where, wparams = _where_entity(f, "g.entity_id")
    if basis == "cash" and dims != ALL_DIMS:
        raise ValueError("the cash-basis P&L has no class or department (profit_and_loss_cash is by P&L line)")
    dim_where, dim_params = _where_dims(dims)
    if basis == "cash":
        m.require(PNL_CASH)
        amount = _flow_amount(m, f, "g.reporting_amount", "g.amount")
        head, params = _with(
            m,
            f,
            f"""src as (
            select g.pl_line as section, null::varchar as account_key, null::varchar as line, g.period_month,
                   {amount} as amount
            from {PNL_CASH} g {_rate_join("r", "g.currency", "last_day(g.period_month)")}
            where {where} and ({_any_span(sp, "g.period_month")}))""",
        )
    else:
        m.require(GL)
        section = (
            PL_LINE_SQL.replace("account_class", "g.account_class")
            .replace("is_", "g.is_")
            .replace("document_type", "g.document_type")
        )
        sign = f"case when ({section}) in {INCOME_LINES} then -1 else 1 end"
        amount = _flow_amount(m, f, f"{sign} * g.reporting_amount", f"{sign} * g.functional_amount")
        head, params = _with(
            m,
            f,
            f"""src as (
            select {section} as section,
                   g.account_key, trim(coalesce(g.account_code, '') || ' ' || g.account_name) as line,
                   g.period_month, {amount} as amount
            from {GL} g {_rate_join("r", "g.functional_currency", "g.posted_on")}
            where {where} and {dim_where} and g.account_class in ('revenue', 'expense')
              and ({_any_span(sp, "g.period_month")}))""",
        )
    rows = m.frame(
        head
        + f""" select section, coalesce(any_value(line), section) as line, account_key,
                   {_period_case(sp, "period_month")} from src group by section, account_key order by section, line""",
        params + wparams + dim_params,
    )
    return _pnl_with_totals(rows, basis)


def _pnl_with_totals(rows: pl.DataFrame, basis: str) -> pl.DataFrame:
    out: list[dict[str, Any]] = []
    totals: dict[str, dict[str, Decimal]] = {}
    for section, title in PNL_LINES:
        part = rows.filter(pl.col("section") == section)
        sums = {c: sum((v for v in part[c] if v is not None), Decimal(0)) for c in COLUMNS}
        totals[section] = sums
        if basis == "accrual":
            for r in part.iter_rows(named=True):
                out.append(
                    {
                        "section": section,
                        "line": r["line"],
                        "account_key": r["account_key"],
                        **{c: r[c] or Decimal(0) for c in COLUMNS},
                        "kind": "account",
                    }
                )
        out.append(
            {
                "section": section,
                "line": f"Total {title.lower()}" if basis == "accrual" else title,
                "account_key": None,
                **sums,
                "kind": "total",
            }
        )
        if section == "cost_of_sales":
            out.append(_derived("Gross profit", totals["revenue"], totals["cost_of_sales"]))
        if section == "operating_expense":
            gross = {c: totals["revenue"][c] - totals["cost_of_sales"][c] for c in COLUMNS}
            out.append(_derived("Operating profit", gross, totals["operating_expense"]))
    net = {
        c: totals["revenue"][c]
        - totals["cost_of_sales"][c]
        - totals["operating_expense"][c]
        + totals["other_income"][c]
        + totals["fx_realised"][c]
        + totals["fx_unrealised"][c]
        for c in COLUMNS
    }
    out.append({"section": "net_income", "line": "Net income", "account_key": None, **net, "kind": "result"})
    return _frame(out)


def _derived(label: str, plus: dict, minus: dict) -> dict[str, Any]:
    return {
        "section": label.lower().replace(" ", "_"),
        "line": label,
        "account_key": None,
        **{c: plus[c] - minus[c] for c in COLUMNS},
        "kind": "result",
    }


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        "section": pl.Utf8,
        "line": pl.Utf8,
        "account_key": pl.Utf8,
        **{c: pl.Decimal(38, 2) for c in COLUMNS},
        "kind": pl.Utf8,
    }
    return pl.DataFrame(
        [
            {**r, **{c: Decimal(r[c]).quantize(Decimal("0.01")) if r[c] is not None else None for c in COLUMNS}}
            for r in rows
        ],
        schema=schema,
    )


# -- balance sheet and trial balance ------------------------------------------------------


def _balances(m: Marts, f: Filters, classes: tuple[str, ...]) -> pl.DataFrame:
    """Closing balance per account (debit-positive, converted at each month end's rate)
    at the end of each span; net movement over the current span."""
    m.require(TRIAL_BALANCE)
    sp = spans(f)
    where, wparams = _where_entity(f, "t.entity_id")
    ends = {name: b for name, (_, b) in zip(COLUMNS, (sp.current, sp.prior, sp.last_year))}
    cls = ", ".join(f"'{c}'" for c in classes)
    head, params = _with(
        m,
        f,
        f"""src as (
        select t.account_key, t.account_class, t.account_code, t.account_name, t.period_month,
               {_m("t.closing_balance")} as closing, {_m("t.net_movement")} as movement
        from {TRIAL_BALANCE} t {_rate_join("r", "t.currency", "last_day(t.period_month)")}
        where {where} and t.account_class in ({cls}))""",
    )
    picks = ", ".join(
        f"sum(closing) filter (where period_month = date '{end}') as {name}" for name, end in ends.items()
    )
    a, b = sp.current
    return m.frame(
        head
        + f""" select account_class, account_key, any_value(account_code) as account_code,
                   any_value(account_name) as account_name, {picks},
                   sum(movement) filter (where period_month between date '{a}' and date '{b}') as movement
                   from src group by account_class, account_key order by account_class, account_code, account_key""",
        params + wparams,
    )


def earnings_to_date(m: Marts, f: Filters) -> dict[str, Decimal]:
    """The balance sheet mart's accumulated profit and loss at each span's end, converted."""
    m.require(BALANCE_SHEET)
    sp = spans(f)
    where, wparams = _where_entity(f, "b.entity_id")
    ends = {name: _month_end(b) for name, (_, b) in zip(COLUMNS, (sp.current, sp.prior, sp.last_year))}
    head, params = _with(
        m,
        f,
        f"""src as (
        select b.month_end, {_m("b.earnings_to_date")} as earnings
        from {BALANCE_SHEET} b {_rate_join("r", "b.currency", "b.month_end")} where {where})""",
    )
    picks = ", ".join(f"sum(earnings) filter (where month_end = date '{e}') as {n}" for n, e in ends.items())
    row = m.frame(head + f" select {picks} from src", params + wparams).row(0, named=True)
    return {c: row[c] for c in COLUMNS}


def balance_sheet(m: Marts, f: Filters) -> pl.DataFrame:
    """Assets, liabilities and equity by account at the period's end (and the comparatives'
    ends); equity includes the earnings to date; the check line is assets − liabilities −
    equity (zero when it balances). Natural signs: assets debit-positive, the rest credit-positive."""
    bal = _balances(m, f, ("asset", "liability", "equity"))
    earnings = earnings_to_date(m, f)
    out: list[dict[str, Any]] = []
    totals: dict[str, dict[str, Decimal]] = {}
    for cls, title in (("asset", "Assets"), ("liability", "Liabilities"), ("equity", "Equity")):
        sign = 1 if cls == "asset" else -1
        part = bal.filter(pl.col("account_class") == cls)
        sums = {c: Decimal(0) for c in COLUMNS}
        for r in part.iter_rows(named=True):
            values = {c: sign * (r[c] or Decimal(0)) for c in COLUMNS}
            if all(v == 0 for v in values.values()):
                continue
            out.append(
                {
                    "section": cls,
                    "line": f"{r['account_code'] or ''} {r['account_name']}".strip(),
                    "account_key": r["account_key"],
                    **values,
                    "kind": "account",
                }
            )
            sums = {c: sums[c] + values[c] for c in COLUMNS}
        if cls == "equity":
            values = {c: earnings[c] or Decimal(0) for c in COLUMNS}
            out.append(
                {
                    "section": cls,
                    "line": "Earnings to date (current and retained)",
                    "account_key": None,
                    **values,
                    "kind": "account",
                }
            )
            sums = {c: sums[c] + values[c] for c in COLUMNS}
        totals[cls] = sums
        out.append({"section": cls, "line": f"Total {title.lower()}", "account_key": None, **sums, "kind": "total"})
    out.append(
        {
            "section": "check",
            "line": "Liabilities and equity",
            "account_key": None,
            **{c: totals["liability"][c] + totals["equity"][c] for c in COLUMNS},
            "kind": "result",
        }
    )
    out.append(
        {
            "section": "check",
            "line": "Difference (assets − liabilities − equity)",
            "account_key": None,
            **{c: totals["asset"][c] - totals["liability"][c] - totals["equity"][c] for c in COLUMNS},
            "kind": "check",
        }
    )
    return _frame(out)


def trial_balance(m: Marts, f: Filters) -> pl.DataFrame:
    """Every account's closing balance at the period's end as debit / credit, and its net
    movement over the period; totals (debits = credits)."""
    bal = _balances(m, f, ("asset", "liability", "equity", "revenue", "expense"))
    rows = []
    for r in bal.iter_rows(named=True):
        closing = r["current"] or Decimal(0)
        if closing == 0 and not r["movement"]:
            continue
        rows.append(
            {
                "account_key": r["account_key"],
                "account_code": r["account_code"],
                "account_name": r["account_name"],
                "account_class": r["account_class"],
                "debit": closing if closing > 0 else Decimal(0),
                "credit": -closing if closing < 0 else Decimal(0),
                "net_movement": r["movement"] or Decimal(0),
            }
        )
    money = pl.Decimal(38, 2)
    frame = pl.DataFrame(
        rows,
        schema={
            "account_key": pl.Utf8,
            "account_code": pl.Utf8,
            "account_name": pl.Utf8,
            "account_class": pl.Utf8,
            "debit": money,
            "credit": money,
            "net_movement": money,
        },
    )
    total = pl.DataFrame(
        [
            {
                "account_key": None,
                "account_code": None,
                "account_name": "Total",
                "account_class": None,
                "debit": frame["debit"].sum() or Decimal(0),
                "credit": frame["credit"].sum() or Decimal(0),
                "net_movement": frame["net_movement"].sum() or Decimal(0),
            }
        ],
        schema=frame.schema,
    )
    return pl.concat([frame, total])


# -- cash flow ----------------------------------------------------------------------------


def cash_flow(m: Marts, f: Filters) -> pl.DataFrame:
    """The direct-method cash-flow statement over the period: opening cash (the first
    month's), each operating / investing / financing line summed, net change, the effect of
    exchange rates (when shown in another currency than the books'), closing cash (the last
    month's). Columns: section, line, current, prior, last_year, kind."""
    m.require(CASH_FLOW)
    sp = spans(f)
    where, wparams = _where_entity(f, "c.entity_id")
    head, params = _with(
        m,
        f,
        f"""src as (
        select c.section, c.cash_flow_line, c.line_order, c.period_month, {_m("c.amount")} as amount
        from {CASH_FLOW} c {_rate_join("r", "c.currency", "last_day(c.period_month)")}
        where {where} and ({_any_span(sp, "c.period_month")}))""",
    )
    lines = m.frame(
        head
        + """ select section, cash_flow_line, min(line_order) as line_order, period_month,
                    sum(amount) as amount from src group by section, cash_flow_line, period_month""",
        params + wparams,
    )
    out: list[dict[str, Any]] = []
    names = (
        (
            lines.select("section", "cash_flow_line", "line_order")
            .unique()
            .sort("line_order", "cash_flow_line")
            .iter_rows(named=True)
        )
        if lines.height
        else []
    )
    spans_by = dict(zip(COLUMNS, (sp.current, sp.prior, sp.last_year)))

    def value(line: str, col: str, month: str = "all") -> Decimal | None:
        a, b = spans_by[col]
        part = lines.filter((pl.col("cash_flow_line") == line) & pl.col("period_month").is_between(a, b))
        if month == "first":
            part = part.filter(pl.col("period_month") == part["period_month"].min())
        elif month == "last":
            part = part.filter(pl.col("period_month") == part["period_month"].max())
        return part["amount"].sum() if part.height else None

    flows = {c: Decimal(0) for c in COLUMNS}
    opening = closing = None
    for r in names:
        line, section = r["cash_flow_line"], r["section"]
        if section == "cash":
            low = line.lower()
            if "opening" in low:
                opening = line
            elif "closing" in low:
                closing = line
            continue  # net change is recomputed over the period
        values = {c: value(line, c) or Decimal(0) for c in COLUMNS}
        flows = {c: flows[c] + values[c] for c in COLUMNS}
        out.append(
            {
                "section": section,
                "line": line.replace("_", " ").capitalize(),
                "account_key": None,
                **values,
                "kind": "account",
            }
        )
    first = {c: (value(opening, c, "first") if opening else None) or Decimal(0) for c in COLUMNS}
    last = {c: (value(closing, c, "last") if closing else None) or Decimal(0) for c in COLUMNS}
    out.insert(0, {"section": "cash", "line": "Opening cash", "account_key": None, **first, "kind": "total"})
    out.append({"section": "cash", "line": "Net change in cash", "account_key": None, **flows, "kind": "result"})
    fx = {c: last[c] - first[c] - flows[c] for c in COLUMNS}
    if any(v != 0 for v in fx.values()):
        out.append(
            {"section": "cash", "line": "Effect of exchange rates", "account_key": None, **fx, "kind": "account"}
        )
    out.append({"section": "cash", "line": "Closing cash", "account_key": None, **last, "kind": "total"})
    return _frame(out)


# -- drill-down ---------------------------------------------------------------------------


def gl_lines(
    m: Marts,
    f: Filters,
    account_key: str | None = None,
    section: str | None = None,
    limit: int = 2000,
    dims: Dims = ALL_DIMS,
) -> pl.DataFrame:
    """The general-ledger lines behind a statement line over the current period: one
    account's, or one P&L section's, in the chosen class and department; each with its
    dimensions and lineage (source system, id, raw key)."""
    m.require(GL)
    a, b = spans(f).current
    where, wparams = _where_entity(f, "g.entity_id")
    dim_where, dim_params = _where_dims(dims)
    coded = "class_name" in m.columns[GL]
    cond, cparams = "true", []
    if account_key:
        cond, cparams = "g.account_key = ?", [account_key]
    elif section:
        pl_line = PL_LINE_SQL.replace("account_class", "g.account_class").replace("is_", "g.is_")
        cond = f"g.account_class in ('revenue', 'expense') and ({pl_line}) = ?"
        cparams = [section]
    head, params = _with(
        m,
        f,
        f"""src as (
        select g.posted_on, g.entity_id, g.account_code, g.account_name, g.document_type, g.doc_number,
               {"g.party_name" if "party_name" in m.columns[GL] else "null::varchar"} as party,
               {"g.class_name" if coded else "null::varchar"} as class_name,
               {"g.department_name" if coded else "null::varchar"} as department_name,
               g.description, g.functional_currency as currency, g.functional_amount as amount,
               {_m("g.functional_amount")} as amount_shown, g.source_system, g.source_id, g.raw_key,
               g.journal_line_id
        from {GL} g {_rate_join("r", "g.functional_currency", "g.posted_on")}
        where {where} and {dim_where} and {cond} and g.period_month between ? and ?)""",
    )
    return m.frame(
        head + f" select * from src order by posted_on, journal_line_id limit {int(limit)}",
        params + wparams + dim_params + cparams + [a, b],
    )


# -- export -------------------------------------------------------------------------------


def for_export(frame: pl.DataFrame, sp: Spans) -> pl.DataFrame:
    """A statement as a reader sees it: the line and the three period columns, named."""
    names = sp.labels()
    cols = [c for c in ("section", "line") if c in frame.columns]
    return frame.select(
        *cols,
        *[
            pl.col(c).alias(
                f"{names[c]}" if c == "current" else f"{names[c]} ({'prior period' if c == 'prior' else 'last year'})"
            )
            for c in COLUMNS
        ],
        "kind",
    )


def workbook(sheets: dict[str, pl.DataFrame], title: str) -> bytes:
    """An Excel workbook, one sheet per statement, money as numbers with two decimals.
    (Excel stores numbers as binary floats; each cell is written from the exact decimal and
    shown to the cent, and the CSV export keeps the decimals exactly.)"""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00;[Red]-#,##0.00"})
    money_bold = book.add_format({"num_format": "#,##0.00;[Red]-#,##0.00", "bold": True, "top": 1})
    for name, frame in sheets.items():
        sheet = book.add_worksheet(name[:31])
        sheet.write(0, 0, f"{title} — {name}", bold)
        for j, col in enumerate(frame.columns):
            sheet.write(2, j, col, bold)
            sheet.set_column(j, j, 44 if j == 1 or col in ("line", "account_name") else 18)
        kinds = frame["kind"].to_list() if "kind" in frame.columns else [None] * frame.height
        for i, row in enumerate(frame.iter_rows()):
            strong = kinds[i] in ("total", "result", "check") or (
                row[frame.columns.index("account_name")] == "Total" if "account_name" in frame.columns else False
            )
            for j, value in enumerate(row):
                if isinstance(value, Decimal):
                    sheet.write_number(3 + i, j, float(value), money_bold if strong else money)
                elif value is not None:
                    sheet.write(
                        3 + i, j, value if not isinstance(value, date) else value.isoformat(), bold if strong else None
                    )
    book.close()
    return buf.getvalue()


def all_statements(m: Marts, f: Filters, basis: str = "accrual", dims: Dims = ALL_DIMS) -> dict[str, pl.DataFrame]:
    """Every statement for the period, ready to export (the workbook's sheets); the P&L for
    the chosen class and department."""
    sp = spans(f)
    return {
        f"P&L ({basis})": for_export(profit_and_loss(m, f, basis, dims), sp),
        "Balance sheet": for_export(balance_sheet(m, f), sp),
        "Cash flow": for_export(cash_flow(m, f), sp),
        "Trial balance": trial_balance(m, f),
    }


def excel(m: Marts, f: Filters, basis: str = "accrual", dims: Dims = ALL_DIMS) -> bytes:
    """The workbook of every statement for the period (one sheet each); the title names the
    P&L's class and department when chosen."""
    who = "All entities" if f.entity == dd.ALL else f.entity
    title = f"{who}, {_span_label(f.period_start, f.period_end)}, {f.currency}"
    if dims != ALL_DIMS:
        title += f", P&L for {dims.label()}"
    return workbook(all_statements(m, f, basis, dims), title)
