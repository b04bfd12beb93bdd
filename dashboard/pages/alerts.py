"""Alerts: the list with filters, acknowledge / resolve, and the evidence behind each alert —
the mart rows and, on an explicit click, the raw provider record they came from."""

import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

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
statuses = c1.multiselect("Status", ["open", "acknowledged", "resolved"], default=["open", "acknowledged"],
                          key="alert_status")
severities = sorted(all_alerts["severity"].unique().to_list())
severity = c2.multiselect("Severity", severities, default=severities, key="alert_severity")
rules = sorted(all_alerts["rule"].unique().to_list())
rule = c3.multiselect("Rule", rules, default=rules, key="alert_rule")
shown = all_alerts.filter(pl.col("status").is_in(statuses) & pl.col("severity").is_in(severity)
                          & pl.col("rule").is_in(rule))
st.caption(f"{shown.height} of {all_alerts.height} alerts · {f.entity} · amounts in {cur}")
shared.table(shown.drop("detail"), "alerts")

if shown.height == 0:
    st.stop()

st.subheader("Alert detail")
titles = dict(zip(shown["alert_id"].to_list(), shown["title"].to_list()))
alert_id = st.selectbox("Alert", list(titles), format_func=lambda a: f"{titles[a]} ({a})", key="alert_pick")
row = shown.filter(pl.col("alert_id") == alert_id).row(0, named=True)
st.markdown(f"**{row['title']}** — {row['severity']} · {row['rule']} · {row['entity_id']} · "
            f"raised {row['raised_at']:%d %b %Y %H:%M} · {shared.money(row['amount'], cur, 2)} · "
            f"status **{row['status']}**")
st.write(row["detail"])

store = dd.alert_store()
note = st.text_input("Note (optional)", key=f"note_{alert_id}")
b1, b2, _ = st.columns([1, 1, 4])
if b1.button("Acknowledge", key=f"ack_{alert_id}", disabled=row["status"] != "open"):
    store.acknowledge(alert_id, shared.current_user(), note)
    st.rerun()
if b2.button("Resolve", key=f"resolve_{alert_id}", disabled=row["status"] == "resolved", type="primary"):
    store.resolve(alert_id, shared.current_user(), note)
    st.rerun()
state = shared.alert_states().get(alert_id)
if state:
    st.caption(f"{state['status'].capitalize()} by {state['by']} at {state['at']}"
               + (f": {state['note']}" if state.get("note") else ""))

st.subheader("Evidence")
evidence = shared.cached(dd.alert_evidence, alert_id)
if not evidence:
    st.info("This alert carries no evidence rows.")
m = shared.marts()
for i, item in enumerate(evidence):
    table = item.get("mart") or item.get("table")
    label = f"{table} · {item.get('source_system', '?')} {item.get('source_id', '')}"
    with st.expander(label, expanded=i == 0):
        try:
            rows = dd.evidence_rows(m, table, item.get("key") or {})
            shared.table(rows, f"evidence {i + 1}", key=f"ev_csv_{alert_id}_{i}")
        except (dd.MissingMart, ValueError) as err:
            st.warning(f"Mart row not found: {err}")
        raw_key = item.get("raw_key")
        if raw_key:
            st.caption(f"Raw record: `{raw_key}`")
            if st.button("Show the raw provider record", key=f"raw_{alert_id}_{i}"):
                try:
                    st.json(dd.raw_record(raw_key), expanded=3)
                except Exception as err:  # the lake unreachable or the object gone
                    st.warning(f"Could not read {raw_key}: {err}")
