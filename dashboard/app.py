"""ledgerlake's CFO dashboard: the entry point (`ledgerlake dashboard`, `make demo`).

Registers the pages (dashboard/pages/) with st.navigation and draws the filters every
page shares in the sidebar. Reads the marts only (ledgerlake.dashboard_data).
"""

import streamlit as st

import shared

st.set_page_config(page_title="ledgerlake — CFO dashboard", layout="wide")

# On AWS behind the load balancer's sign-in (its signed claims checked here too); else
# Streamlit's own OIDC login when [auth] is configured in secrets.toml (docs/dashboard.md);
# locally it binds 127.0.0.1 and needs no login. A broken configuration stops here with
# the reason: it never falls back to serving without login.
shared.require_sign_in()

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/cash.py", title="Cash", icon=":material/account_balance:"),
    st.Page("pages/revenue.py", title="Revenue & pipeline", icon=":material/trending_up:"),
    st.Page("pages/statements.py", title="Statements", icon=":material/request_quote:"),
    st.Page("pages/budgets.py", title="Budget vs actual", icon=":material/savings:"),
    st.Page("pages/consolidation.py", title="Consolidation", icon=":material/account_tree:"),
    st.Page("pages/receivables.py", title="Receivables & payables", icon=":material/receipt_long:"),
    st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
    st.Page("pages/reconciliation.py", title="Reconciliation", icon=":material/rule:"),
    st.Page("pages/health.py", title="Integration health", icon=":material/monitor_heart:"),
    st.Page("pages/actions.py", title="Actions", icon=":material/published_with_changes:"),
]

page = st.navigation(PAGES, position="top")
st.session_state["_page"] = page.url_path
if shared.login_required():
    st.sidebar.button("Sign out", on_click=st.logout)
page.run()
