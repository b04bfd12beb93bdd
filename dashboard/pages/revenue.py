"""Revenue & pipeline: revenue by channel, entity and currency; MRR movements;
weighted pipeline by stage and expected close month."""

import polars as pl
import streamlit as st

import charts
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
        st.altair_chart(
            charts.monthly_bars(
                rev,
                month="period_month",
                value="revenue",
                color="entity_id",
                currency=cur,
                value_title="Revenue",
                color_title="Entity",
            ),
            width="stretch",
        )
        shared.table(rev, "revenue by entity")
    with right:
        st.subheader("By channel and currency")
        try:
            ch = shared.cached(dd.revenue_by_channel, f)
            by_channel = ch.group_by("period_month", "channel").agg(pl.col("revenue").sum()).sort("period_month")
            st.altair_chart(
                charts.monthly_bars(
                    by_channel,
                    month="period_month",
                    value="revenue",
                    color="channel",
                    currency=cur,
                    value_title="Revenue",
                    color_title="Channel",
                ),
                width="stretch",
            )
            shared.table(ch, "revenue by channel and currency")
        except dd.MissingMart as err:
            shared.missing(err)
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("MRR movements")
try:
    mrr = shared.cached(dd.mrr_movements, f)
    st.altair_chart(
        charts.monthly_bars(
            mrr,
            month="period_month",
            value="mrr_change",
            color="movement_type",
            currency=cur,
            value_title="MRR change",
            color_title="Movement",
        ),
        width="stretch",
    )
    shared.table(mrr, "mrr movements")
except dd.MissingMart as err:
    shared.missing(err)

st.subheader("Open pipeline, weighted, by stage and expected close month")
try:
    pipe = shared.cached(dd.pipeline_by_stage_month, f)
    st.metric("Open pipeline, weighted", shared.money(pipe["weighted_amount"].sum() if pipe.height else 0, cur))
    st.caption("CRM deals carry no legal entity: this section shows every open deal whatever the entity filter.")
    st.altair_chart(
        charts.monthly_bars(
            pipe,
            month="close_month",
            value="weighted_amount",
            color="stage",
            currency=cur,
            value_title="Weighted amount",
            color_title="Stage",
            month_title="Expected close month",
            tooltip=["deals:Q"],
        ),
        width="stretch",
    )
    shared.table(pipe, "pipeline by stage and month")
except dd.MissingMart as err:
    shared.missing(err)
