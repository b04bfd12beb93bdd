"""Integration health: connections (token expiry, needs reconnect), last event received and
last successful poll per source, how fresh each watched raw entity is (dbt source freshness), row counts,
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
    shared.table(
        health,
        "source health",
        column_config={
            "last_event_received_at": st.column_config.DatetimeColumn("Last event received", format="YYYY-MM-DD HH:mm"),
            "last_poll_succeeded_at": st.column_config.DatetimeColumn(
                "Last successful poll", format="YYYY-MM-DD HH:mm"
            ),
            "raw_objects": st.column_config.NumberColumn("Raw objects"),
        },
    )
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Webhook-to-mart latency")
try:
    latency = shared.cached(dd.webhook_latency)
    shared.table(
        latency,
        "webhook latency",
        column_config={
            "period_start": st.column_config.DateColumn("Month received"),
            "delivery_p50_seconds": st.column_config.NumberColumn("Delivery p50 (s)", format="%.0f"),
            "delivery_p95_seconds": st.column_config.NumberColumn("Delivery p95 (s)", format="%.0f"),
            "lake_to_mart_p50_seconds": st.column_config.NumberColumn("Lake → mart p50 (s)", format="%.0f"),
            "lake_to_mart_p95_seconds": st.column_config.NumberColumn("Lake → mart p95 (s)", format="%.0f"),
            "event_to_mart_p50_seconds": st.column_config.NumberColumn("Event → mart p50 (s)", format="%.0f"),
            "event_to_mart_p95_seconds": st.column_config.NumberColumn("Event → mart p95 (s)", format="%.0f"),
        },
    )
    st.caption(
        "Per source, its latest month with webhooks: from the provider's event time to the lake (delivery), and "
        "from the lake to the build that published it. Daily and weekly figures: marts.finance_kpis_source_latency."
    )
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Freshness")
try:
    freshness = shared.cached(dd.source_freshness)
    for row in freshness.filter(pl.col("status") != "pass").iter_rows(named=True):
        where = f"{row['source_system']}.{row['entity']}"
        if row["status"] == "runtime error":
            st.error(f"{where}: the freshness check failed: {row['error']}")
        else:
            say = st.error if row["status"] == "error" else st.warning
            say(
                f"{where}: nothing landed for {row['hours_since_loaded']} h "
                f"(warn after {row['warn_after_hours']} h, error after {row['error_after_hours']} h)."
            )
    shared.table(
        freshness,
        "source freshness",
        column_config={
            "max_loaded_at": st.column_config.DatetimeColumn("Last landed", format="YYYY-MM-DD HH:mm"),
            "hours_since_loaded": st.column_config.NumberColumn("Hours since"),
        },
    )
    st.caption("`dbt source freshness` after each build: thresholds per source in the dbt sources (docs/marts.md).")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Connections")
try:
    from ledgerlake.connections.status import rows as connection_rows
    from ledgerlake.lake import Lake

    connections = connection_rows(Lake(), from_lake=True)  # the lake's public copy: no secret here
    for row in connections:
        if row["connection"] == "needs reconnect":
            st.error(
                f"{row['source']}: the provider refused the refresh token; run "
                f"`ledgerlake connect {row['source']}` (polling resumes from its cursors)."
            )
    shared.table(pl.DataFrame(connections), "connections")
except Exception as err:  # noqa: BLE001 - the lake is not reachable from here
    st.caption(f"Connection status unavailable ({type(err).__name__}); `ledgerlake sources status` shows it.")

st.subheader("Quarantined records")
try:
    quarantined = shared.cached(dd.quarantine_records)
    st.metric(
        "Quarantined records",
        quarantined.height,
        help="Records the build could not stage or post; every other number published. "
        "`ledgerlake quarantine list|show|release`.",
    )
    if quarantined.height:
        shared.table(quarantined, "quarantined records")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Integrity findings")
try:
    summary = shared.cached(dd.integrity_summary, f)
    st.metric("Integrity findings", int(summary["findings"].sum()) if summary.height else 0)
    shared.table(summary, "integrity summary")
    checks = summary["check_name"].to_list()
    for tab, check in zip(st.tabs(checks), checks):
        with tab:
            shared.table(shared.cached(dd.integrity_findings, f, check), f"integrity {check}")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Rows per table")
shared.table(shared.cached(dd.table_row_counts), "table row counts")
st.caption(f"Warehouse version: {m.version}")
