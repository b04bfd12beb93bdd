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
    rev = shared.cached(dd.revenue_by_entity, f)
    st.metric("Revenue in the period", shared.money(rev["revenue"].sum() if rev.height else 0, cur))
    left, right = st.columns(2)
    with left:
        st.subheader("By entity")
        st.altair_chart(alt.Chart(shared.for_chart(rev)).mark_bar().encode(
            x=alt.X("period_month:O", timeUnit="yearmonth", title="Month", axis=alt.Axis(format="%b %Y")),
            y=alt.Y("revenue:Q", axis=shared.money_axis(cur, f"Revenue ({cur})")),
            color=alt.Color("entity_id:N", title="Entity"),
            tooltip=[alt.Tooltip("period_month:T", title="Month", format="%b %Y"), "entity_id:N",
                     alt.Tooltip("revenue:Q", title=cur, format=",.0f")],
        ).properties(height=240), width="stretch")
        shared.table(rev, "revenue by entity")
    with right:
        st.subheader("By channel and currency")
        try:
            ch = shared.cached(dd.revenue_by_channel, f)
            by_channel = ch.group_by("period_month", "channel").agg(pl.col("revenue").sum()).sort("period_month")
            st.altair_chart(alt.Chart(shared.for_chart(by_channel)).mark_bar().encode(
                x=alt.X("period_month:O", timeUnit="yearmonth", title="Month", axis=alt.Axis(format="%b %Y")),
                y=alt.Y("revenue:Q", axis=shared.money_axis(cur, f"Revenue ({cur})")),
                color=alt.Color("channel:N", title="Channel"),
                tooltip=[alt.Tooltip("period_month:T", title="Month", format="%b %Y"), "channel:N",
                         alt.Tooltip("revenue:Q", title=cur, format=",.0f")],
            ).properties(height=240), width="stretch")
            shared.table(ch, "revenue by channel and currency")
        except dd.MissingMart as err:
            shared.missing(err)
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("MRR movements")
try:
    mrr = shared.cached(dd.mrr_movements, f)
    st.altair_chart(alt.Chart(shared.for_chart(mrr)).mark_bar().encode(
        x=alt.X("period_month:O", timeUnit="yearmonth", title="Month", axis=alt.Axis(format="%b %Y")),
        y=alt.Y("mrr_change:Q", axis=shared.money_axis(cur, f"MRR change ({cur})")),
        color=alt.Color("movement_type:N", title="Movement"),
        tooltip=[alt.Tooltip("period_month:T", format="%b %Y", title="Month"), "movement_type:N",
                 alt.Tooltip("mrr_change:Q", title=cur, format=",.0f")],
    ).properties(height=240), width="stretch")
    shared.table(mrr, "mrr movements")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Open pipeline, weighted, by stage and expected close month")
try:
    pipe = shared.cached(dd.pipeline_by_stage_month, f)
    st.metric("Open pipeline, weighted", shared.money(pipe["weighted_amount"].sum() if pipe.height else 0, cur))
    st.caption("CRM deals carry no legal entity: this section shows every open deal whatever the entity filter.")
    st.altair_chart(alt.Chart(shared.for_chart(pipe)).mark_bar().encode(
        x=alt.X("close_month:O", timeUnit="yearmonth", title="Expected close month", axis=alt.Axis(format="%b %Y")),
        y=alt.Y("weighted_amount:Q", axis=shared.money_axis(cur, f"Weighted amount ({cur})")),
        color=alt.Color("stage:N", title="Stage"),
        tooltip=["stage:N", alt.Tooltip("close_month:T", format="%b %Y", title="Close month"),
                 "deals:Q", alt.Tooltip("weighted_amount:Q", title=cur, format=",.0f")],
    ).properties(height=240), width="stretch")
    shared.table(pipe, "pipeline by stage and month")
except dd.MissingMart as err:
    shared.missing(err)
