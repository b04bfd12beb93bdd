"""ledgerlake dashboard (entry point). Pages live in dashboard/pages/."""

import streamlit as st

st.set_page_config(page_title="ledgerlake", layout="wide")
st.title("ledgerlake")
st.caption("Finance analytics over the marts. The pages appear as the pipeline's parts are built.")
