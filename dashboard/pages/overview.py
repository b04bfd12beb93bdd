"""Overview: headline KPIs with period-over-period change, cash by entity, open alerts."""

import altair as alt
import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Overview")
f = shared.filters()
if f is None:
    st.stop()
cur = f.currency
st.caption(f"{f.period_start:%b %Y} – {f.period_end:%b %Y} · {f.entity} · amounts in {cur}. "
           "Changes compare with the period of the same length just before.")

# The headline figures, by the same definitions as the weekly email (ledgerlake.figures).
try:
    h = shared.cached(dd.headline, shared.alert_states())
except dd.MissingMart:
    h = None
if h is not None:
    st.subheader(f"At a glance, as of {h.as_of:%d %b %Y}")
    g = st.columns(4)
    g[0].metric(f"Cash, {h.as_of:%d %b %Y}", shared.money(h.cash, h.currency), help="Bank cash at the close of the last day with data.")
    on = f" ({h.horizon.date:%d %b %Y})" if h.horizon else ""
    g[1].metric(f"Cash in 13 weeks{on}", shared.money(h.horizon.p50 if h.horizon else None, h.currency),
                help="The latest forecast's median balance 91 days after its as-of day.")
    g[2].metric(f"Revenue, {h.revenue_month:%b %Y}", shared.money(h.revenue, h.currency),
                help="The last whole calendar month.")
    g[3].metric("Open alerts, all entities", h.alerts.open if h.alerts else "—",
                f"{h.alerts.high} high" if h.alerts else None, delta_color="inverse", delta_arrow="off")
    st.caption(f"All entities, in {h.currency}. The weekly email heads with the same four figures.")

# label, metric, how to show it, whether an increase is bad (inverse colour)
CARDS = [
    ("Cash", "cash_balance", "money", False),
    ("Revenue", "revenue", "money", False),
    ("Burn", "burn", "money", True),
    ("Runway", "runway_months", "months", False),
    ("MRR", "mrr", "money", False),
    ("DSO", "dso_days", "days", True),
    ("DPO", "dpo_days", "days", False),
    ("AR overdue", "ar_overdue", "money", True),
]
HELP = {
    "cash_balance": "Bank and cash accounts at the end of the period.",
    "revenue": "Recognised revenue over the period.",
    "burn": "Net cash out over the period (operating outflows less inflows).",
    "runway_months": "Cash at period end ÷ average monthly burn.",
    "mrr": "Monthly recurring revenue at period end.",
    "dso_days": "Days sales outstanding at period end.",
    "dpo_days": "Days payables outstanding at period end.",
    "ar_overdue": "Receivables past their due date at period end.",
}

try:
    k = shared.cached(dd.kpis, f)
except dd.MissingMart as err:
    shared.missing(err)
    k = None

if k is not None:
    cols = st.columns(4)
    for i, (label, key, kind, inverse) in enumerate(CARDS):
        v = k[key]
        if kind == "money":
            shown = shared.money(v["value"], cur)
        elif kind == "months":
            shown = shared.number(v["value"], " months")
        else:
            shown = shared.number(v["value"], " days")
        cols[i % 4].metric(
            label, shown, shared.change(v["value"], v["previous"]),
            delta_color="inverse" if inverse else "normal", help=HELP[key], border=True,
        )

left, right = st.columns(2)
with left:
    st.subheader("Cash by entity")
    try:
        cash = shared.cached(dd.cash_by_entity, f)
        chart = (
            alt.Chart(shared.for_chart(cash))
            .mark_bar()
            .encode(
                x=alt.X("cash:Q", axis=shared.money_axis(cur, f"Bank cash at period end ({cur})")),
                y=alt.Y("entity_id:N", title="Entity"),
                tooltip=[alt.Tooltip("entity_id:N", title="Entity"),
                         alt.Tooltip("cash:Q", title=f"Cash ({cur})", format=",.2f")],
            )
            .properties(height=140)
        )
        st.altair_chart(chart, width="stretch")
        shared.table(cash, "cash by entity")
    except dd.MissingMart as err:
        shared.missing(err)
with right:
    st.subheader("Revenue, burn and cash: 12 months to the period end")
    try:
        trend = shared.cached(dd.kpi_trend, f)
        names = {"revenue": "Revenue", "burn": "Burn", "cash_balance": "Cash"}
        long = (shared.for_chart(trend).rename(names)
                .unpivot(index="month", variable_name="measure", value_name="amount"))
        chart = (
            alt.Chart(long)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y")),
                y=alt.Y("amount:Q", axis=shared.money_axis(cur)),
                color=alt.Color("measure:N", title=None),
                tooltip=[alt.Tooltip("month:T", title="Month", format="%b %Y"),
                         alt.Tooltip("measure:N", title="Measure"),
                         alt.Tooltip("amount:Q", title=cur, format=",.2f")],
            )
            .properties(height=220)
        )
        st.altair_chart(chart, width="stretch")
        shared.table(trend, "monthly kpis")
    except dd.MissingMart as err:
        shared.missing(err)

st.subheader("Open alerts")
try:
    open_alerts = shared.cached(dd.alerts, f, shared.alert_states()).filter(pl.col("status") != "resolved")
    st.metric("Open alerts", open_alerts.height)
    shared.table(open_alerts.select("occurred_on", "severity", "title", "entity_id", "amount", "status"),
                 "open alerts")
    st.page_link("pages/alerts.py", label="Work the alerts →")
except dd.MissingMart as err:
    shared.missing(err)
