"""Revenue & pipeline: revenue by channel, entity and currency; MRR movements;
weighted pipeline by stage and expected close month."""

import altair as alt
import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Revenue & pipeline")
f = shared.filters()
if f is None:
    st.stop()
cur = f.currency
st.caption(f"{f.period_start:%b %Y} – {f.period_end:%b %Y} · {f.entity} · amounts in {cur}")

try:
    rev = shared.cached(dd.revenue_breakdown, f)
    st.metric(f"Revenue in the period", shared.money(rev["revenue"].sum() if rev.height else 0, cur))
    by_channel = rev.group_by("month_start", "channel").agg(pl.col("revenue").sum()).sort("month_start", "channel")
    st.subheader("Revenue by channel")
    st.altair_chart(alt.Chart(shared.for_chart(by_channel)).mark_bar().encode(
        x=alt.X("month_start:T", title="Month", axis=alt.Axis(format="%b %Y")),
        y=alt.Y("revenue:Q", axis=shared.money_axis(cur, f"Revenue ({cur})")),
        color=alt.Color("channel:N", title="Channel"),
        tooltip=[alt.Tooltip("month_start:T", title="Month", format="%b %Y"), "channel:N",
                 alt.Tooltip("revenue:Q", title=cur, format=",.0f")],
    ).properties(height=260), width="stretch")
    by_ent_cur = (rev.group_by("entity_id", "currency")
                  .agg(pl.col("amount_transaction_currency").sum(), pl.col("revenue").sum())
                  .sort("entity_id", "currency"))
    a, b = st.columns(2)
    with a:
        st.subheader("By entity and transaction currency")
        shared.table(by_ent_cur, "revenue by entity and currency")
    with b:
        st.subheader("By channel")
        shared.table(rev.group_by("channel").agg(pl.col("revenue").sum()).sort("revenue", descending=True),
                     "revenue by channel")
    with st.expander("Revenue by month, entity, channel and currency"):
        shared.table(rev, "revenue detail")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("MRR movements")
try:
    mrr = shared.cached(dd.mrr_movements, f)
    st.altair_chart(alt.Chart(shared.for_chart(mrr)).mark_bar().encode(
        x=alt.X("month_start:T", title="Month", axis=alt.Axis(format="%b %Y")),
        y=alt.Y("mrr_change:Q", axis=shared.money_axis(cur, f"MRR change ({cur})")),
        color=alt.Color("movement_type:N", title="Movement"),
        tooltip=[alt.Tooltip("month_start:T", format="%b %Y", title="Month"), "movement_type:N",
                 alt.Tooltip("mrr_change:Q", title=cur, format=",.0f")],
    ).properties(height=240), width="stretch")
    shared.table(mrr, "mrr movements")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Weighted pipeline by stage and expected close month")
try:
    pipe = shared.cached(dd.pipeline_by_stage_month, f)
    st.metric("Open pipeline, weighted", shared.money(pipe["weighted_amount"].sum() if pipe.height else 0, cur))
    st.altair_chart(alt.Chart(shared.for_chart(pipe)).mark_bar().encode(
        x=alt.X("close_month:T", title="Expected close month", axis=alt.Axis(format="%b %Y")),
        y=alt.Y("weighted_amount:Q", axis=shared.money_axis(cur, f"Weighted amount ({cur})")),
        color=alt.Color("stage:N", title="Stage"),
        tooltip=["stage:N", alt.Tooltip("close_month:T", format="%b %Y", title="Close month"),
                 "deals:Q", alt.Tooltip("weighted_amount:Q", title=cur, format=",.0f")],
    ).properties(height=240), width="stretch")
    shared.table(pipe, "pipeline by stage and month")
except dd.MissingMart as err:
    shared.missing(err)
