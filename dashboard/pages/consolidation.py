"""Consolidation: the group's P&L (each entity at the month's average rate) and balance sheet
(closing rates, CTA in equity), intercompany eliminated, in the reporting currency."""

import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Consolidation")
f = shared.filters()
if f is None:
    st.stop()
try:
    group = shared.cached(dd.consolidated_statements, f)
except dd.MissingMart as err:
    shared.missing(err)
    st.stop()
pnl, bs = group["pnl"], group["balance_sheet"]
cur = pnl["currency"][0] if pnl.height else (bs["currency"][0] if bs.height else "")
st.caption(
    f"All entities · amounts in {cur} (the reporting currency) · P&L at each month's average rate, "
    "balance sheet at the month end's rate, the translation difference (CTA) in equity; "
    "intercompany accounts (seeds/intercompany_accounts.csv) and open receivables and payables between the "
    "entities (seeds/intercompany_contacts.csv) eliminated; realised and unrealised FX are lines of their own. "
    'docs/DECISIONS.md, "Consolidation".'
)

MONEY = {
    c: st.column_config.NumberColumn(format="accounting")
    for c in (
        "entities_amount",
        "eliminated_amount",
        "consolidated_amount",
        "total_assets",
        "total_liabilities",
        "total_equity",
        "earnings_to_date",
        "translation_adjustment",
        "eliminated_assets",
        "eliminated_liabilities",
    )
}

st.subheader("Profit and loss")
if pnl.height:
    period = pnl.group_by("pl_line", maintain_order=True).agg(
        pl.col("entities_amount").sum(), pl.col("eliminated_amount").sum(), pl.col("consolidated_amount").sum()
    )
    st.dataframe(period, hide_index=True, width="stretch", column_config=MONEY)
    st.download_button(
        "Download the consolidated P&L (CSV)",
        pnl.write_csv().encode(),
        file_name="consolidated_profit_and_loss.csv",
        mime="text/csv",
        key="csv_consolidated_pnl",
    )
    with st.expander("By month"):
        st.dataframe(pnl.drop("currency"), hide_index=True, width="stretch", column_config=MONEY)
else:
    st.info("No consolidated P&L in this period.")

st.subheader("Balance sheet")
if bs.height:
    st.dataframe(bs.drop("currency"), hide_index=True, width="stretch", column_config=MONEY)
    st.download_button(
        "Download the consolidated balance sheet (CSV)",
        bs.write_csv().encode(),
        file_name="consolidated_balance_sheet.csv",
        mime="text/csv",
        key="csv_consolidated_bs",
    )
else:
    st.info("No consolidated balance sheet in this period.")
