"""Cash: actual cash, the 13-week forecast with its p10–p90 band and the cash floor;
the forecast's components by week; the backtest accuracy beside it."""

import altair as alt
import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Cash")
f = shared.filters()
if f is None:
    st.stop()
cur = f.currency
st.caption(
    f"{f.entity} · amounts in {cur}. The band is the forecast's 10th–90th percentile; "
    "the line inside it is the median (p50)."
)

try:
    forecast = shared.cached(dd.cash_forecast, f)
except dd.MissingMart as err:
    shared.missing(err)
    forecast = None
try:
    history = shared.cached(dd.cash_history, f)
except dd.MissingMart as err:
    shared.missing(err)
    history = None
floor = shared.cached(dd.cash_floor, f)

# Say plainly when the statistical part of the forecast does not beat a naive one.
try:
    weak = shared.cached(dd.forecast_not_beating_naive, f)
except dd.MissingMart:
    weak = None
if weak is not None and weak.height:
    for r in weak.iter_rows(named=True):
        naive = f", seasonal naive {r['naive_mase']:.2f}" if r["naive_mase"] is not None else ""
        used = (
            f"The forecast uses **{r['model']}** for it instead."
            if r["model"]
            else "Treat its band as indicative: the scheduled flows (invoices, bills, payroll) are "
            "reliable, the unscheduled sales estimate is not."
        )
        series = r["series_id"].split(":", 1)[-1].replace("_", " ")  # "US:unscheduled" → "unscheduled"
        st.warning(
            f"**{r['entity_id']}: the {series} cash forecast does not beat a naive forecast** "
            f"in the backtest (MASE {r['mase']:.2f}{naive}; WAPE {r['wape']:.0%}). A MASE of 1 or more "
            f"means simply repeating the last period would have been as accurate. {used}",
            icon=":material/warning:",
        )

st.subheader("13-week cash forecast")
if forecast is not None and forecast.height:
    # One definition of the horizon for every surface (ledgerlake.figures).
    h = shared.cached(dd.cash_in_13_weeks, f) or {"p10": None, "p50": None, "p90": None, "date": None}
    on = f" on {h['date']:%d %b %Y}" if h["date"] else ""
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        f"Cash in 13 weeks{on} (p50)",
        shared.money(h["p50"], cur),
        help="The latest forecast's median balance 91 days after its as-of day "
        "(the last day with actual cash); the weekly email shows the same figure.",
    )
    c2.metric("Downside (p10)", shared.money(h["p10"], cur))
    c3.metric("Upside (p90)", shared.money(h["p90"], cur))
    c4.metric("Cash floor", shared.money(floor, cur))
    # How good the forecast has been on the whole balance, in words (forecast_headline).
    for sentence, beats in shared.cached(dd.forecast_headline, f):
        (st.caption if beats else st.warning)(sentence)
    fc = shared.for_chart(forecast)
    y_axis = shared.money_axis(cur, f"Cash ({cur})")
    band = (
        alt.Chart(fc)
        .mark_area(opacity=0.25, color="#4c78a8")
        .encode(
            x=alt.X("date:T", title="Date", axis=alt.Axis(format="%d %b")),
            y=alt.Y("p10:Q", axis=y_axis),
            y2="p90:Q",
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("p10:Q", title="p10", format=",.0f"),
                alt.Tooltip("p50:Q", title="p50", format=",.0f"),
                alt.Tooltip("p90:Q", title="p90", format=",.0f"),
            ],
        )
    )
    median = alt.Chart(fc).mark_line(color="#4c78a8").encode(x="date:T", y="p50:Q")
    layers = [band, median]
    if history is not None and history.height:
        layers.append(
            alt.Chart(shared.for_chart(history))
            .mark_line(color="#f58518", strokeWidth=2.5)
            .encode(
                x="date:T",
                y="cash:Q",
                tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("cash:Q", title="Actual", format=",.0f")],
            )
        )
    if floor is not None:
        layers.append(
            alt.Chart(pl.DataFrame({"floor": [float(floor)]}))
            .mark_rule(color="#d62728", strokeDash=[6, 4])
            .encode(y="floor:Q")
        )
    st.altair_chart(alt.layer(*layers).properties(height=340), width="stretch")
    st.caption("Orange: actual cash. Blue: forecast median and p10–p90 band. Red dashed: cash floor.")
elif forecast is not None:
    st.info("The forecast table is empty.")

st.subheader("Scenarios")
scen = shared.cached(dd.cash_scenarios, f) if forecast is not None else None
if scen is not None and scen.height:
    # Each saved what-if beside the base forecast (forecast.cash_scenarios; never in the backtest).
    base = scen.filter(pl.col("scenario") == scen["scenario"][0]).select(
        "date", pl.lit("base forecast").alias("scenario"), pl.col("base_p50").alias("p50")
    )
    lines = pl.concat([base, scen.select("date", "scenario", "p50")])
    st.altair_chart(
        alt.Chart(shared.for_chart(lines))
        .mark_line()
        .encode(
            x=alt.X("date:T", title="Date", axis=alt.Axis(format="%d %b")),
            y=alt.Y("p50:Q", axis=shared.money_axis(cur, f"Cash, p50 ({cur})")),
            color=alt.Color("scenario:N", title="Scenario"),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("scenario:N", title="Scenario"),
                alt.Tooltip("p50:Q", title="p50", format=",.0f"),
            ],
        )
        .properties(height=300),
        width="stretch",
    )
    weeks = scen.filter(pl.col("horizon_day").is_in([28, 56, 91])).with_columns(
        week=(pl.col("horizon_day") // 7).cast(pl.Utf8).str.zfill(2)
    )
    side = weeks.pivot(on="scenario", index=["week", "date", "base_p50"], values="p50").rename(
        {"week": "Week", "date": "Date", "base_p50": "Base (p50)"}
    )
    shared.table(side, "scenarios side by side")
    st.caption(
        "Cash at weeks 4, 8 and 13: the base forecast and each saved scenario (p50). Scenarios are "
        "what-if layers on the base (`ledgerlake scenarios add`); the base forecast's accuracy is "
        "judged without them."
    )
else:
    st.caption(
        "No scenario saved. Add one with `ledgerlake scenarios add NAME hire --entity US "
        "--start 2027-06-01 --monthly-cost 12000` (also: lost_customer, delayed_receivable, "
        "recurring_cost, pipeline_haircut); the next forecast shows it here beside the base."
    )

st.subheader("Backtest accuracy")
try:
    acc = shared.cached(dd.forecast_accuracy, f)
    st.dataframe(
        acc,
        hide_index=True,
        width="stretch",
        column_order=[
            "entity_id",
            "series_id",
            "horizon",
            "mase",
            "naive_mase",
            "wape",
            "coverage_calibrated",
            "bias",
            "n_origins",
        ],
        column_config={
            "entity_id": st.column_config.Column("Entity"),
            "series_id": st.column_config.Column("Series"),
            "horizon": st.column_config.Column("Horizon"),
            "mase": st.column_config.NumberColumn(
                "MASE",
                format="%.2f",
                help="Mean absolute scaled error: below 1 beats "
                "repeating the last period; below Naive MASE beats the seasonal naive forecast",
            ),
            "naive_mase": st.column_config.NumberColumn(
                "Naive MASE", format="%.2f", help="The seasonal naive forecast's MASE on the same windows"
            ),
            "n_origins": st.column_config.NumberColumn("Origins", help="Backtest forecasts made"),
            "wape": st.column_config.NumberColumn("WAPE", format="percent"),
            "bias": st.column_config.NumberColumn("Bias", format="percent"),
            "coverage_calibrated": st.column_config.NumberColumn("p10–p90 coverage", format="percent"),
        },
    )
    st.download_button(
        "Download backtest accuracy (CSV)", acc.write_csv().encode(), file_name="backtest_accuracy.csv", mime="text/csv"
    )
    st.caption(
        "How far past forecasts were from what happened, by horizon; an 80% band should cover about 80% of actual days."
    )
except dd.MissingMart as err:
    shared.missing(err)

if forecast is not None:
    st.subheader("Forecast components by week")
    comps = shared.cached(dd.forecast_weekly_components, f)
    chart = (
        alt.Chart(shared.for_chart(comps))
        .mark_bar()
        .encode(
            # ordinal weeks: a bar per week as wide as the week (a temporal axis draws 1-2 px bars)
            x=alt.X(
                "week_start:O",
                timeUnit="yearmonthdate",
                title="Week starting",
                axis=alt.Axis(format="%d %b", labelAngle=-45),
            ),
            y=alt.Y("amount:Q", axis=shared.money_axis(cur, f"Net cash flow ({cur})")),
            color=alt.Color("component:N", title="Component"),
            tooltip=[
                alt.Tooltip("week_start:T", title="Week"),
                alt.Tooltip("component:N", title="Component"),
                alt.Tooltip("amount:Q", title=cur, format=",.0f"),
            ],
        )
        .properties(height=260)
    )
    st.altair_chart(chart, width="stretch")
    shared.table(comps.pivot(on="component", index="week_start", values="amount"), "forecast components by week")
    with st.expander("Daily forecast"):
        shared.table(forecast, "cash forecast daily")
