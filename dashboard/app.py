"""ledgerlake's CFO dashboard: the entry point (`ledgerlake dashboard`, `make demo`).

Registers the pages (dashboard/pages/) with st.navigation and draws the filters every
page shares in the sidebar. Reads the marts only (ledgerlake.dashboard_data).
"""

import streamlit as st

import shared

st.set_page_config(page_title="ledgerlake — CFO dashboard", layout="wide")

# Deployed behind Streamlit's own OIDC login when [auth] is configured in secrets.toml
# (docs/dashboard.md); locally it binds 127.0.0.1 and needs no login. A broken [auth]
# stops here with the reason: it never falls back to serving without login.
if shared.login_required() and not st.user.is_logged_in:
    st.title("ledgerlake")
    st.write("Sign in to see the company's numbers.")
    st.button("Sign in", on_click=st.login, args=(shared.login_provider(),), type="primary")
    st.stop()

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/cash.py", title="Cash", icon=":material/account_balance:"),
    st.Page("pages/revenue.py", title="Revenue & pipeline", icon=":material/trending_up:"),
    st.Page("pages/statements.py", title="Statements", icon=":material/request_quote:"),
    st.Page("pages/consolidation.py", title="Consolidation", icon=":material/account_tree:"),
    st.Page("pages/receivables.py", title="Receivables & payables", icon=":material/receipt_long:"),
    st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
    st.Page("pages/health.py", title="Integration health", icon=":material/monitor_heart:"),
]

page = st.navigation(PAGES, position="top")
st.session_state["_page"] = page.url_path
if shared.login_required():
    st.sidebar.button("Sign out", on_click=st.logout)
page.run()
