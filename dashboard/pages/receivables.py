"""Receivables & payables: AR and AP aging as of a chosen date; the top overdue customers."""

import altair as alt
import streamlit as st

import shared
from ledgerlake import dashboard_data as dd

st.title("Receivables & payables")
f = shared.filters()
if f is None:
    st.stop()
cur = f.currency
try:
    lo, hi = shared.cached(dd.aging_date_bounds)
except dd.MissingMart as err:
    shared.missing(err)
    st.stop()
default = min(max(dd._month_end(f.period_end), lo), hi)
as_of = st.date_input("As of", value=default, min_value=lo, max_value=hi, key="aging_as_of")
st.caption(f"Open documents as of {as_of:%d %b %Y} by days past due · {f.entity} · amounts in {cur}")

aging = shared.cached(dd.aging, f, as_of)
c1, c2, c3 = st.columns(3)
ar = aging.filter(aging["document_kind"] == "AR")
ap = aging.filter(aging["document_kind"] == "AP")
overdue_ar = ar.filter(ar["bucket"] != "current")
c1.metric("Open receivables", shared.money(ar["open_amount"].sum() if ar.height else 0, cur))
c2.metric("Receivables overdue", shared.money(overdue_ar["open_amount"].sum() if overdue_ar.height else 0, cur))
c3.metric("Open payables", shared.money(ap["open_amount"].sum() if ap.height else 0, cur))

st.altair_chart(
    alt.Chart(shared.for_chart(aging))
    .mark_bar()
    .encode(
        x=alt.X("bucket:N", title="Days past due", sort=list(dd.AGING_BUCKETS)),
        y=alt.Y("open_amount:Q", axis=shared.money_axis(cur, f"Open amount ({cur})")),
        color=alt.Color("document_kind:N", title=None, scale=alt.Scale(domain=["AR", "AP"])),
        xOffset="document_kind:N",
        tooltip=["document_kind:N", "bucket:N", "documents:Q", alt.Tooltip("open_amount:Q", title=cur, format=",.0f")],
    )
    .properties(height=260),
    width="stretch",
)
shared.table(aging, "ar ap aging")

st.subheader("Documents behind a bucket")
d1, d2 = st.columns(2)
kind = d1.segmented_control("Kind", ["AR", "AP"], default="AR", key="drill_kind") or "AR"
bucket = d2.selectbox("Days past due", ["all overdue", *dd.AGING_BUCKETS], key="drill_bucket")
docs = shared.cached(
    dd.aging_documents, f, as_of, kind, None if bucket == "all overdue" else bucket, bucket == "all overdue"
)
st.caption(
    f"{docs.height} {'receivables' if kind == 'AR' else 'payables'} open on {as_of:%d %b %Y}"
    f"{'' if bucket == 'all overdue' else f' in {bucket}'} · "
    f"{shared.money(docs['open_amount'].sum() if docs.height else 0, cur)}."
    " Each row names its source record (source system and id; the Alerts page opens raw records)."
)
shared.table(docs, f"{kind} documents {bucket}", key="drill_docs")

st.subheader("Top overdue customers")
shared.table(shared.cached(dd.top_overdue_customers, f, as_of), "top overdue customers")
