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
try:
    cov = shared.cached(dd.coverage, f)
except dd.MissingMart:
    cov = None
st.caption(f"{f.period_start:%b %Y} – {f.period_end:%b %Y} · {f.entity} · amounts in {cur}. "
           "Changes compare with the period of the same length just before.")
if cov is not None and cov.to_date:
    upto = f"{cov.data_end:%d %b %Y}" if cov.data_end else f"{cov.end:%b %Y}"
    kind = {1: "Month", 3: "Quarter"}.get(cov.months_in_period, "Year")
    prev = f"{cov.previous[0]:%b %Y}" + ("" if cov.previous[0] == cov.previous[1] else f" – {cov.previous[1]:%b %Y}")
    if cov.partial_days:
        st.info(f"**{kind} to date** (data to {upto}; its last month has {cov.partial_days[0]} of "
                f"{cov.partial_days[1]} days): flows are not compared with whole months; stocks are compared "
                f"with the end of {prev}.", icon=":material/date_range:")
    else:
        st.info(f"**{kind} to date**: data runs to {upto}, so this period has "
                f"{dd._months_between(cov.start, cov.end)} of its {cov.months_in_period} months. Changes compare "
                f"with the same number of months just before: {prev}.", icon=":material/date_range:")

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

WHY_UNDEFINED = {  # what an empty card means, said on the card
    "runway_months": "Not burning: cash grew, so there is no runway to count down.",
    "dso_days": "No sales invoices in the trailing 90 days.",
    "dpo_days": "No bills in the trailing 90 days.",
}

if k is not None:
    cols = st.columns(4)
    partial = cov is not None and cov.partial_days is not None
    for i, (label, key, kind, inverse) in enumerate(CARDS):
        v = k[key]
        if kind == "money":
            shown = shared.money(v["value"], cur)
        elif kind == "months":
            shown = shared.number(v["value"], " months")
        else:
            shown = shared.number(v["value"], " days")
        help_text = HELP[key]
        if v["value"] is None and key in WHY_UNDEFINED:
            burning = (k["burn"]["value"] or 0) > 0
            why = WHY_UNDEFINED[key] if key != "runway_months" or not burning else \
                "Runway needs 90 days of burn history for this entity."
            shown = "Not burning" if key == "runway_months" and not burning else "n/a"
            help_text += " " + why
        delta, words = shared.change_words(v["value"], v["previous"], key)
        if partial and key in dd.KPI_FLOW:
            delta, words = "not compared: partial month", True
        cols[i % 4].metric(
            label, shown, delta,
            delta_color="off" if words else ("inverse" if inverse else "normal"),
            delta_arrow="off" if words else "auto", help=help_text, border=True,
        )

if k is not None:
    with st.expander("Open the documents behind a card"):
        behind = st.segmented_control("Card", ["AR overdue", "Revenue", "Burn (bank lines)"], default="AR overdue",
                                      key="card_drill") or "AR overdue"
        end_day = min(dd._month_end(cov.end if cov else f.period_end), cov.data_end or dd._month_end(cov.end)) \
            if cov else dd._month_end(f.period_end)
        try:
            if behind == "AR overdue":
                docs = shared.cached(dd.aging_documents, f, end_day, "AR", None, True)
                st.caption(f"Receivables past due on {end_day:%d %b %Y}: {docs.height} invoices, "
                           f"{shared.money(docs['open_amount'].sum() if docs.height else 0, cur)}.")
                shared.table(docs, "ar overdue documents", key="card_ar")
            else:
                from ledgerlake import statements as stm

                span = dd.Filters(f.entity, cov.start if cov else f.period_start, cov.end if cov else f.period_end, cur)
                if behind == "Revenue":
                    lines = shared.cached(stm.gl_lines, span, None, "revenue")
                else:
                    lines = shared.cached(stm.bank_lines, span)
                st.caption(f"{lines.height} general-ledger lines" + (" (first 2,000)" if lines.height >= 2000 else "")
                           + "; each names its source record.")
                shared.table(lines.drop("raw_key"), f"{behind.lower()} lines", key="card_lines")
        except dd.MissingMart as err:
            shared.missing(err)

left, right = st.columns(2)
with left:
    st.subheader("Cash by entity")
    try:
        cash = shared.cached(dd.cash_by_entity, f)
        chart = (
            alt.Chart(shared.for_chart(cash))
            .mark_bar()
            .encode(
                x=alt.X("cash:Q", axis=shared.money_axis(cur, f"Bank cash on {cash['as_of'][0]:%d %b %Y} ({cur})"
                                                           if cash.height else f"Bank cash ({cur})")),
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
