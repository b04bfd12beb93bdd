"""Reconciliation: how much of the bank ledgerlake matched to the books (per account and
day), the queue of lines nothing explains with the categoriser's suggestion, and the
correction form (kept in the lake with who / when / why; the categoriser never overrides it)."""

import altair as alt
import polars as pl
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Reconciliation")
f = shared.filters()
if f is None:
    st.stop()
m = shared.marts()
try:
    s = shared.cached(dd.reconciliation_summary, f)
except dd.MissingMart as err:
    shared.missing(err)
    st.stop()


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "Auto-match rate",
    pct(s["match_rate"]),
    help="Bank lines matched to the ledger by the rules",
)
c2.metric(
    "Auto-coding coverage",
    pct(s["coverage"]),
    help="Unmatched lines coded automatically (above threshold)",
)
c3.metric(
    "Auto-coding precision",
    pct(s["precision"]),
    help="Auto-applied codes later judged (a correction or the bookkeeper's booking) that agreed",
)
c4.metric(
    "Waiting for review",
    f"{s['waiting']:,}",
    help=f"Oldest: {s['oldest_days']} days" if s["oldest_days"] is not None else None,
)
st.caption(
    f"{s['lines']:,} bank lines in the period · {s['matched']:,} matched ({s['fuzzy']:,} by fuzzy rules) · "
    f"{s['auto_coded']:,} auto-coded · {s['corrected']:,} corrected · {f.entity}"
)

try:
    k = shared.cached(dd.process_kpis, f)
except dd.MissingMart:
    k = None
if k is not None:
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Invoice error rate",
        pct(k["invoice_error_rate"]),
        help=f"{k['invoices_in_error']:,} of {k['invoices_issued']:,} sales invoices issued in the period were "
        f"later voided or deleted ({k['invoices_voided']:,}) or credited ({k['invoices_credited']:,})",
    )
    c2.metric(
        "Duplicate payment rate",
        pct(k["duplicate_payment_rate"]),
        help=f"{k['duplicate_bills_paid']:,} of {k['bills_paid']:,} bills paid duplicated an earlier bill "
        "(same supplier, number and amount)",
    )
    closed = k["last_closed_month"]
    c3.metric(
        "Last closed month",
        f"{closed:%b %Y}" if closed else "none yet",
        help="The latest month whose bank lines are all matched or coded"
        + (f"; {k['days_since_close']} days from its end to the period's last bank day" if closed else ""),
    )

st.subheader("Match rate per account and day")
daily = shared.cached(dd.reconciliation_daily, f)
if daily.height:
    chart = (
        alt.Chart(shared.for_chart(daily))
        .mark_line(point=True)
        .encode(
            x=alt.X("line_date:T", title=None),
            y=alt.Y("match_rate_pct:Q", title="matched %", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("bank_account_id:N", title="account"),
            tooltip=[
                "line_date:T",
                "bank_account_id:N",
                "lines:Q",
                "matched_lines:Q",
                "review_lines:Q",
            ],
        )
    )
    st.altair_chart(chart, use_container_width=True)
shared.table(shared.cached(dd.bank_match_rules, f), "bank_match_rules")

st.subheader("Queue: lines nothing in the books explains")
status = st.multiselect(
    "Coding status",
    ["review", "uncoded", "auto_coded", "corrected"],
    default=["review", "uncoded"],
    key="recon_status",
)
queue = shared.cached(dd.bank_queue, f, tuple(status))
shared.table(queue, "bank_unmatched")
if queue.height == 0:
    st.stop()

st.subheader("Correct a line")
labels = {
    r["bank_line_id"]: f"{r['line_date']:%d %b %Y} · {r['description']} · {r['amount']} {r['currency']}"
    for r in queue.iter_rows(named=True)
}
line_id = st.selectbox("Bank line", list(labels), format_func=lambda k: labels[k], key="recon_line")
row = queue.filter(pl.col("bank_line_id") == line_id).row(0, named=True)
if row["suggested_account_code"]:
    st.markdown(
        shared.md(
            f"Suggested: {row['suggested_account_code']} {row['suggested_account_name'] or ''} "
            f"({row['suggestion_method']}, confidence {row['suggestion_confidence']})"
        )
    )
chart_accounts = shared.cached(dd.chart_of_accounts, row["entity_id"])
codes = chart_accounts["account_code"].to_list()
names = dict(zip(codes, chart_accounts["account_name"].to_list()))
default = codes.index(row["suggested_account_code"]) if row["suggested_account_code"] in codes else 0
account = st.selectbox(
    "Account",
    codes,
    index=default,
    format_func=lambda c: f"{c} {names[c]}",
    key="recon_account",
)
note = st.text_input("Why (kept with the correction)", key=f"recon_note_{line_id}")
if st.button("Save correction", type="primary", key=f"recon_save_{line_id}"):
    from ledgerlake.categorise.run import CorrectionError, correct

    try:
        done = correct(
            line_id,
            account,
            by=shared.current_user(),
            note=note,
            warehouse=dd.warehouse_path(),
        )
    except CorrectionError as err:
        st.error(str(err))
    else:
        st.success(
            f"Saved: {done['account_code']} by {done['by']}. The next categoriser run learns from it; "
            "the queue shows it after the next build."
        )
