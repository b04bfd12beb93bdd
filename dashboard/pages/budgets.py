"""Budget vs actual: a budget (imported with `ledgerlake budgets import`, or kept in QuickBooks
Online or Xero and polled) against the ledgers' accrual actuals, by account and month, with
variance and variance %."""

import altair as alt
import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Budget vs actual")
f = shared.filters()
if f is None:
    st.stop()
cur = f.currency
try:
    names = shared.cached(dd.budget_names)
except dd.MissingMart:
    names = []
if not names:
    st.info(
        "No budget imported yet. An FP&A budget CSV (columns entity, account, month, amount) goes in with "
        "`ledgerlake budgets import FILE`; the next `ledgerlake run` shows it here (docs/budgets.md)."
    )
    st.stop()
budget = st.selectbox("Budget", names, key="budget_name")
summary = shared.cached(dd.budget_summary, f, budget)
if summary.is_empty():
    st.info(f"Budget “{shared.md(budget)}” has no lines for {f.entity} in this period: pick another period.")
    st.stop()
kept_in = shared.cached(dd.budget_kept_in, budget)
kept = f" (kept in {kept_in})" if kept_in else ""
st.caption(
    f"Budget “{shared.md(budget)}”{kept} · {f.period_start:%b %Y} – {f.period_end:%b %Y} · {f.entity} · amounts "
    f"in {cur}, actuals on the accrual basis (general ledger). Variance = actual − budget; green beats "
    "the budget (more revenue, less cost)."
)
partial = summary.filter(~pl.col("is_month_complete"))["period_month"].unique().sort().to_list()
if partial:
    st.warning(
        f"Actuals are still coming in for {', '.join(f'{m:%b %Y}' for m in partial)}: the month is "
        "compared with its whole budget.",
        icon=":material/date_range:",
    )


def total(cls: str, col: str):
    rows = summary.filter(pl.col("account_class") == cls)
    return rows[col].sum() if rows.height else 0


cols = st.columns(3)
for col, (label, cls) in zip(cols, (("Revenue", "revenue"), ("Expenses", "expense"))):
    b, a = total(cls, "budget"), total(cls, "actual")
    col.metric(
        f"{label} vs budget",
        shared.money(a, cur),
        f"{shared.money(a - b, cur)} vs {shared.money(b, cur)}",
        delta_color="normal" if cls == "revenue" else "inverse",
        border=True,
    )
net_b = total("revenue", "budget") - total("expense", "budget")
net_a = total("revenue", "actual") - total("expense", "actual")
cols[2].metric(
    "Net result vs budget",
    shared.money(net_a, cur),
    f"{shared.money(net_a - net_b, cur)} vs {shared.money(net_b, cur)}",
    border=True,
)

st.subheader("By month")
long = shared.for_chart(summary).unpivot(
    index=["period_month", "account_class"], on=["budget", "actual"], variable_name="measure", value_name="amount"
)
st.altair_chart(
    alt.Chart(long)
    .mark_bar()
    .encode(
        # an ordinal month axis (a band per month) so budget and actual stand side by side
        x=alt.X("yearmonth(period_month):O", title="Month", axis=alt.Axis(format="%b %Y", labelAngle=0)),
        xOffset=alt.XOffset("measure:N", sort=["budget", "actual"]),
        y=alt.Y("amount:Q", axis=shared.money_axis(cur), stack=None),
        color=alt.Color("measure:N", title=None, scale=alt.Scale(domain=["budget", "actual"])),
        column=alt.Column("account_class:N", title=None),
        tooltip=[
            alt.Tooltip("period_month:T", title="Month", format="%b %Y"),
            "account_class:N",
            "measure:N",
            alt.Tooltip("amount:Q", title=cur, format=",.2f"),
        ],
    )
    .properties(height=220, width=420)
)
shared.table(summary, "budget vs actual by month", key="bva_months")

st.subheader("By account, largest variance first")
shared.table(
    shared.cached(dd.budget_by_account, f, budget),
    "budget vs actual by account",
    key="bva_accounts",
    column_config={"variance_pct": st.column_config.NumberColumn("Variance %", format="%.1f%%")},
)
