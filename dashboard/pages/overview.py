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
against = cov.against if cov is not None else "vs previous period"
st.caption(
    f"{f.period_start:%b %Y} – {f.period_end:%b %Y} · {f.entity} · amounts in {cur}. "
    + (
        "Changes compare with the period of the same length just before."
        if cov is None or not cov.to_date
        else f"Changes: {cov.label} vs the same days of the period before."
    )
)
if cov is not None and cov.to_date:
    kind = {"MTD": "Month", "QTD": "Quarter"}.get(cov.label, "Year")
    (d0, d1), (p0, p1) = cov.days, cov.previous_days
    st.info(
        f"**{kind} to date ({cov.label})**: data runs to {d1:%d %b %Y}, so this {kind.lower()} has "
        f"{cov.n_days} days ({d0:%d %b} – {d1:%d %b %Y}). Flows (revenue, burn) are compared with the same "
        f"{cov.n_days} days of the {kind.lower()} before ({p0:%d %b} – {p1:%d %b %Y}); cash, AR overdue and "
        f"the ratios with {p1:%d %b %Y}; MRR with the end of {p1:%b %Y}.",
        icon=":material/date_range:",
    )

# The headline figures, by the same definitions as the weekly email (ledgerlake.figures).
try:
    h = shared.cached(dd.headline, shared.alert_states())
except dd.MissingMart:
    h = None
if h is not None:
    st.subheader(f"At a glance, as of {h.as_of:%d %b %Y}")
    g = st.columns(4)
    g[0].metric(
        f"Cash, {h.as_of:%d %b %Y}",
        shared.money(h.cash, h.currency),
        help="Bank cash at the close of the last day with data.",
    )
    on = f" ({h.horizon.date:%d %b %Y})" if h.horizon else ""
    g[1].metric(
        f"Cash in 13 weeks{on}",
        shared.money(h.horizon.p50 if h.horizon else None, h.currency),
        help="The latest forecast's median balance 91 days after its as-of day.",
    )
    g[2].metric(
        f"Revenue, {h.revenue_month:%b %Y}", shared.money(h.revenue, h.currency), help="The last whole calendar month."
    )
    g[3].metric(
        "Open alerts, all entities",
        h.alerts.open if h.alerts else "—",
        f"{h.alerts.high} high" if h.alerts else None,
        delta_color="inverse",
        delta_arrow="off",
    )
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
    ("AP overdue", "ap_overdue", "money", True),
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
    "ap_overdue": "Payables past their due date at period end.",
}
# what "Documents behind" opens for each card (dashboard_data.card_documents)
BEHIND = {
    "cash_balance": "bank accounts and their balances on the last day",
    "revenue": "revenue postings, one row per ledger document",
    "burn": "bank documents (money out less money in); transfers between own accounts left out",
    "runway_months": "the burn documents (runway = cash ÷ average monthly burn)",
    "mrr": "subscribers and their MRR at the last month's end",
    "dso_days": "receivables open on the last day (DSO = open AR ÷ 90 days' invoicing × 90)",
    "dpo_days": "payables open on the last day (DPO = open AP ÷ 90 days' bills × 90)",
    "ar_overdue": "receivables past due on the last day",
    "ap_overdue": "payables past due on the last day",
}

try:
    k = shared.cached(dd.kpis, f)
except dd.MissingMart as err:
    shared.missing(err)
    k = None

if k is not None:
    cols = st.columns(3)  # nine cards, three rows: room for "$2,592,349"
    for i, (label, key, kind, inverse) in enumerate(CARDS):
        if key not in k:  # AP overdue needs the documents marts
            continue
        v = k[key]
        if kind == "money":
            shown = shared.money(v["value"], cur)
        elif kind == "months":
            shown = shared.number(v["value"], " months")
        else:
            shown = shared.number(v["value"], " days")
        help_text = HELP[key]
        if v["value"] is None and v["why"]:  # an undefined KPI says why, on the card
            shown = "Not burning" if v["why"].startswith("Not burning") else "n/a"
            help_text += " " + v["why"]
        delta, words = shared.change_words(v["value"], v["previous"], key, against)
        if v["value"] is None and v["why"]:
            delta, words = v["why"].split(":")[0].split(";")[0], True
        cols[i % 3].metric(
            label,
            shown,
            delta,
            delta_color="off" if words else ("inverse" if inverse else "normal"),
            delta_arrow="off" if words else "auto",
            help=help_text,
            border=True,
        )

if k is not None:
    # Every card opens the records behind it: pick the card, read its rows (each names its
    # source record; the Alerts page opens raw records), download them.
    st.subheader("Documents behind a card")
    labels = {key: label for label, key, _, _ in CARDS if key in k}
    card = (
        st.segmented_control("Card", list(labels), format_func=labels.get, default="cash_balance", key="card_drill")
        or "cash_balance"
    )
    try:
        docs = shared.cached(dd.card_documents, f, card)
        total = docs["amount"].sum() if docs.height else 0
        day = cov.days[1] if cov else dd._month_end(f.period_end)
        st.caption(
            f"{labels[card]}: {BEHIND[card]} · {docs.height} rows, {shared.money(total, cur)} · to {day:%d %b %Y}."
        )
        shared.table(docs, f"{labels[card].lower()} documents", key="card_docs")
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
                x=alt.X(
                    "cash:Q",
                    axis=shared.money_axis(
                        cur,
                        f"Bank cash on {cash['as_of'][0]:%d %b %Y} ({cur})" if cash.height else f"Bank cash ({cur})",
                    ),
                ),
                y=alt.Y("entity_id:N", title="Entity"),
                tooltip=[
                    alt.Tooltip("entity_id:N", title="Entity"),
                    alt.Tooltip("cash:Q", title=f"Cash ({cur})", format=",.2f"),
                ],
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
        long = (
            shared.for_chart(trend).rename(names).unpivot(index="month", variable_name="measure", value_name="amount")
        )
        chart = (
            alt.Chart(long)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y")),
                y=alt.Y("amount:Q", axis=shared.money_axis(cur)),
                color=alt.Color("measure:N", title=None),
                tooltip=[
                    alt.Tooltip("month:T", title="Month", format="%b %Y"),
                    alt.Tooltip("measure:N", title="Measure"),
                    alt.Tooltip("amount:Q", title=cur, format=",.2f"),
                ],
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
    shared.table(open_alerts.select("occurred_on", "severity", "title", "entity_id", "amount", "status"), "open alerts")
    st.page_link("pages/alerts.py", label="Work the alerts →")
except dd.MissingMart as err:
    shared.missing(err)
