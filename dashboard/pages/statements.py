"""Statements: P&L (accrual or cash basis), balance sheet, cash flow and trial balance for
the chosen period with comparatives; a line opens its general-ledger lines, a GL line its
source record; CSV per statement and one Excel workbook with a sheet per statement."""

from decimal import Decimal

import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd
from ledgerlake import statements as stm

st.title("Statements")
f = shared.filters()
if f is None:
    st.stop()
cur = f.currency
sp = stm.spans(f)
labels = sp.labels()
st.caption(
    f"{f.entity} · amounts in {cur} · {labels['current']}, compared with the period just before "
    f"({labels['prior']}) and the same period a year earlier ({labels['last_year']}). "
    "Select a line to see its general-ledger lines."
)

basis = st.segmented_control("P&L basis", ["Accrual", "Cash"], default="Accrual", key="pnl_basis") or "Accrual"


def dimension_filter() -> stm.Dims:
    """Class and department pickers for the P&L, side by side (the classes and departments
    its lines are coded with: QBO Class / Department, Xero tracking categories); "All" is
    everything, "(not coded)" the lines their documents leave uncoded."""
    try:
        values = shared.cached(stm.dimension_values, f)
    except dd.MissingMart:
        return stm.ALL_DIMS
    if not values["class_name"] and not values["department_name"]:
        return stm.ALL_DIMS
    chosen = []
    for place, column, label in zip(st.columns(2), ("class_name", "department_name"), ("Class", "Department")):
        options = ["All", *values[column], stm.NOT_CODED]
        key = f"dim_{column}"
        if st.session_state.get(key) not in options:  # another entity's class, say
            st.session_state[key] = "All"
        choice = place.selectbox(label, options, key=key)
        chosen.append(None if choice == "All" else choice)
    return stm.Dims(*chosen)


dims = dimension_filter()
if dims != stm.ALL_DIMS and basis == "Cash":
    st.info("Class and department filter the accrual P&L: the cash basis is by P&L line only, shown for all.")
pnl_dims = dims if basis == "Accrual" else stm.ALL_DIMS
COLUMN_CONFIG = {
    "line": st.column_config.Column("Line", width="large"),
    "current": st.column_config.NumberColumn(labels["current"], format="accounting"),
    "prior": st.column_config.NumberColumn(f"{labels['prior']} (prior)", format="accounting"),
    "last_year": st.column_config.NumberColumn(f"{labels['last_year']} (last year)", format="accounting"),
}


def statement(frame: pl.DataFrame, name: str, key: str) -> dict | None:
    """Show a statement; return the selected line's row (or None)."""
    styled = frame.select("line", "current", "prior", "last_year")
    event = st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config=COLUMN_CONFIG,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        height=min(38 + 35 * frame.height, 700),
    )
    st.download_button(
        f"Download {name} (CSV)",
        stm.for_export(frame, sp).write_csv().encode(),
        file_name=f"{name.replace(' ', '_').replace('&', 'and').lower()}.csv",
        mime="text/csv",
        key=f"csv_{key}",
    )
    rows = event.selection.rows if event and event.selection else []
    return frame.row(rows[0], named=True) if rows else None


def drill(row: dict | None, key: str, section_drill: bool = False) -> None:
    """The GL lines behind a statement line, and from a GL line its source record."""
    if row is None or row["kind"] not in ("account", "total"):
        return
    # a P&L line's GL lines are those of its class and department; a balance's are all
    line_dims = pnl_dims if key == "pnl" else stm.ALL_DIMS
    if row.get("account_key"):
        lines = shared.cached(stm.gl_lines, f, row["account_key"], None, 2000, line_dims)
    elif section_drill and row["section"] in dict(stm.PNL_LINES):
        lines = shared.cached(stm.gl_lines, f, None, row["section"], 2000, line_dims)
    else:
        return
    st.markdown(
        f"**{row['line']}** — {lines.height} general-ledger lines in {labels['current']}"
        + (" (first 2,000)" if lines.height >= 2000 else "")
    )
    event = st.dataframe(
        lines.drop("raw_key", "journal_line_id"),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"gl_{key}",
        column_config={"amount_shown": st.column_config.NumberColumn(f"Amount ({cur})", format="accounting")},
    )
    st.download_button(
        "Download these GL lines (CSV)",
        lines.write_csv().encode(),
        file_name="gl_lines.csv",
        mime="text/csv",
        key=f"csv_gl_{key}",
    )
    picked = event.selection.rows if event and event.selection else []
    if not picked:
        st.caption("Select a GL line to see the source record it came from.")
        return
    gl = lines.row(picked[0], named=True)
    st.markdown(f"Source: **{gl['source_system']}** {gl['document_type']} `{gl['source_id']}` · raw `{gl['raw_key']}`")
    found = shared.cached(dd.lineage_rows, gl["source_system"], [str(gl["source_id"])])
    for table, rows in found.items():
        if table.endswith("general_ledger"):
            continue
        st.markdown(f"`{table}`")
        st.dataframe(rows, hide_index=True, width="stretch")
    if gl["raw_key"] and st.button("Show the raw provider record", key=f"raw_{key}"):
        try:
            st.json(dd.raw_record(gl["raw_key"], ids=[str(gl["source_id"])]), expanded=2)
        except Exception as err:  # noqa: BLE001 - the lake unreachable or the object gone
            st.warning(f"Could not read {gl['raw_key']}: {err}")


tabs = st.tabs(["Profit and loss", "Balance sheet", "Cash flow", "Trial balance"])
try:
    with tabs[0]:
        pnl = shared.cached(stm.profit_and_loss, f, basis.lower(), pnl_dims)
        net = pnl.filter(pl.col("kind") == "result").row(-1, named=True)
        c1, c2 = st.columns(2)
        for_dims = f", {pnl_dims.label()}" if pnl_dims != stm.ALL_DIMS else ""
        c1.metric(f"Net income, {labels['current']} ({basis.lower()}{for_dims})", shared.money(net["current"], cur))
        c2.metric(f"Net income, {labels['last_year']}", shared.money(net["last_year"], cur))
        if basis == "Cash":
            st.caption(
                "Cash basis: invoices and bills reach the P&L as they are paid, line by line "
                "(profit_and_loss_cash). Select a line for the accrual GL lines of that P&L line."
            )
        drill(statement(pnl, f"P&L {basis.lower()}", "pnl"), "pnl", section_drill=True)
    with tabs[1]:
        bs = shared.cached(stm.balance_sheet, f)
        diff = bs.filter(pl.col("kind") == "check").row(0, named=True)["current"]
        # converting each entity's balances and summing rounds each line to the cent
        verdict = (
            " (balances)."
            if diff == 0
            else " (balances, but for cents of conversion rounding)."
            if abs(diff) <= Decimal("0.05")
            else " — does not balance."
        )
        st.caption(
            f"At {dd._month_end(f.period_end):%d %b %Y}. Assets − liabilities − equity = "
            f"{shared.money(diff, cur, 2)}" + verdict
        )
        drill(statement(bs, "balance sheet", "bs"), "bs")
    with tabs[2]:
        st.caption("Direct method, from the ledger's bank lines netted per document.")
        statement(shared.cached(stm.cash_flow, f), "cash flow", "cf")
    with tabs[3]:
        tb = shared.cached(stm.trial_balance, f)
        st.caption(
            f"Closing balances at {dd._month_end(f.period_end):%d %b %Y} (debit / credit) and the "
            f"net movement over {labels['current']}."
        )
        event = st.dataframe(
            tb,
            hide_index=True,
            width="stretch",
            on_select="rerun",
            selection_mode="single-row",
            key="tb",
            column_config={
                c: st.column_config.NumberColumn(c.replace("_", " ").capitalize(), format="accounting")
                for c in ("debit", "credit", "net_movement")
            },
        )
        st.download_button(
            "Download trial balance (CSV)",
            tb.write_csv().encode(),
            file_name="trial_balance.csv",
            mime="text/csv",
            key="csv_tb",
        )
        picked = event.selection.rows if event and event.selection else []
        if picked:
            row = tb.row(picked[0], named=True)
            drill(
                {
                    "kind": "account",
                    "account_key": row["account_key"],
                    "section": row["account_class"],
                    "line": f"{row['account_code'] or ''} {row['account_name']}",
                },
                "tb",
            )
except dd.MissingMart as err:
    shared.missing(err)
    st.stop()

st.download_button(
    "Download all statements (Excel)",
    shared.cached(stm.excel, f, basis.lower(), pnl_dims),
    file_name=f"statements_{f.period_start:%Y%m}_{f.period_end:%Y%m}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="xlsx",
    type="primary",
)
