"""Integration health: last event received and last successful poll per source, row counts,
integrity findings — the first place to look when a number looks wrong."""

import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Integration health")
f = shared.filters()
if f is None:
    st.stop()
m = shared.marts()

st.subheader("Sources")
try:
    health = shared.cached(dd.source_health)
    shared.table(health, "source health", column_config={
        "last_event_received_at": st.column_config.DatetimeColumn("Last event received", format="YYYY-MM-DD HH:mm"),
        "last_poll_succeeded_at": st.column_config.DatetimeColumn("Last successful poll", format="YYYY-MM-DD HH:mm"),
    })
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Integrity findings")
try:
    summary = shared.cached(dd.integrity_summary, f)
    total = int(summary["findings"].sum()) if summary.height else 0
    st.metric("Integrity findings", total)
    shared.table(summary, "integrity summary")
    findings = shared.cached(dd.integrity_findings, f)
    checks = sorted(findings["check_name"].unique().to_list())
    pick = st.multiselect("Checks", checks, default=checks, key="integrity_checks")
    shared.table(findings.filter(pl.col("check_name").is_in(pick)), "integrity findings")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Rows per table")
shared.table(shared.cached(dd.table_row_counts), "table row counts")
st.caption(f"Warehouse version: {m.version}")
