"""Alerts: the list with filters, acknowledge / resolve, and the evidence behind each alert —
the mart rows it came from and, on an explicit click, the raw provider record."""

import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd
from ledgerlake.alerts.wording import next_step

st.title("Alerts")
f = shared.filters()
if f is None:
    st.stop()
cur = f.currency
try:
    all_alerts = shared.cached(dd.alerts, f, shared.alert_states())
except dd.MissingMart as err:
    shared.missing(err)
    st.stop()

c1, c2, c3 = st.columns(3)
statuses = c1.multiselect(
    "Status", ["new", "acknowledged", "resolved"], default=["new", "acknowledged"], key="alert_status"
)
severities = sorted(all_alerts["severity"].unique().to_list())
severity = c2.multiselect("Severity", severities, default=severities, key="alert_severity")
rules = sorted(all_alerts["rule"].unique().to_list())
kinds = c3.multiselect("Type", rules, default=rules, key="alert_rule")
shown = all_alerts.filter(
    pl.col("status").is_in(statuses) & pl.col("severity").is_in(severity) & pl.col("rule").is_in(kinds)
)
st.caption(f"{shown.height} of {all_alerts.height} alerts · {f.entity} · amounts in {cur}")
shared.table(shown, "alerts")

if shown.height == 0:
    st.stop()

st.subheader("Alert detail")
titles = dict(zip(shown["alert_id"].to_list(), shown["title"].to_list()))
alert_id = st.selectbox("Alert", list(titles), format_func=lambda a: f"{titles[a]} ({a})", key="alert_pick")
row = shown.filter(pl.col("alert_id") == alert_id).row(0, named=True)
st.markdown(
    f"**{shared.md(row['title'])}** — {shared.md(row['severity'])} · {shared.md(row['rule'])} · "
    f"{shared.md(row['entity_id'])} · "
    f"{row['occurred_on']:%d %b %Y} · {shared.md(shared.money(row['amount'], cur, 2))} · "
    f"status **{shared.md(row['status'])}**"
)
st.info(f"**What to do:** {next_step(row['rule'])}", icon=":material/task_alt:")

note = st.text_input("Note (optional)", key=f"note_{alert_id}")
b1, b2, _ = st.columns([1, 1, 4])
if b1.button("Acknowledge", key=f"ack_{alert_id}", disabled=row["status"] != "new"):
    shared.set_alert_status(alert_id, "acknowledged", note)
    st.rerun()
if b2.button("Resolve", key=f"resolve_{alert_id}", disabled=row["status"] == "resolved", type="primary"):
    shared.set_alert_status(alert_id, "resolved", note)
    st.rerun()
history = shared.alert_history(alert_id)
if history:
    last = history[-1]
    st.caption(
        shared.md(
            f"{last['to'].capitalize()} by {last['by']} at {last['at']}"
            + (f": {last['note']}" if last.get("note") else "")
        )
    )

st.subheader("Evidence")
evidence = shared.cached(dd.alert_evidence, alert_id)
if evidence.get("metrics"):
    st.json(evidence["metrics"], expanded=True)
records = evidence.get("records") or []
if not records:
    st.info("This alert is computed from the forecast; it has no source records.")
m = shared.marts()
for i, rec in enumerate(records):
    label = f"{rec.get('role', 'record')}: {rec['source_system']} {rec.get('record_type') or ''} {rec['source_id']}"
    with st.expander(label, expanded=i == 0):
        found = shared.cached(dd.lineage_rows, rec["source_system"], dd.lineage_ids(rec))
        if not found:
            st.caption("No mart row carries this source id.")
        for table, rows in found.items():
            st.markdown(f"`{table}`")
            shared.table(rows, f"evidence {i + 1} {table}", key=f"ev_{alert_id}_{i}_{table}")
        raw_key = rec.get("raw_key")
        if raw_key:
            st.caption(f"Raw record: {shared.md(raw_key)}")
            if st.button("Show the raw provider record", key=f"raw_{alert_id}_{i}"):
                try:
                    st.json(dd.raw_record(raw_key, ids=dd.lineage_ids(rec)), expanded=2)
                except Exception as err:  # noqa: BLE001 - the lake unreachable or the object gone
                    st.warning(shared.md(f"Could not read {raw_key}: {err}"))
