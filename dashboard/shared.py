"""What every page shares: the marts connection, the sidebar filters, money formatting,
tables with a CSV download, and charts with readable labels.

Queries live in ledgerlake.dashboard_data (one home for SQL); this module only renders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from ledgerlake import dashboard_data as dd
from ledgerlake.config import Settings
from ledgerlake.money import SYMBOLS

# -- the connection -------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=2)
def _open(version: str) -> dd.Marts:
    # Keyed on the warehouse file's mtime: a rebuild (an atomic file swap) opens a new one.
    return dd.Marts()


def marts() -> dd.Marts:
    return _open(dd.Marts.current_version())


def cached(fn: Callable, *args: Any) -> Any:
    """Run a query (ledgerlake.dashboard_data, ledgerlake.statements: functions of the
    marts) with a result cache keyed on the warehouse version."""
    return _cached(fn.__module__, fn.__name__, dd.Marts.current_version(), args)


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def _cached(module: str, name: str, version: str, args: tuple) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)(_open(version), *args)


# -- filters --------------------------------------------------------------------------


def _fiscal_start(d: date, fy_month: int) -> date:
    year = d.year if d.month >= fy_month else d.year - 1
    return date(year, fy_month, 1)


def periods(months: list[date], granularity: str, fy_month: int) -> list[tuple[str, date, date]]:
    """(label, first month, last month) for every period that has data, newest first."""
    out: dict[date, tuple[str, date, date]] = {}
    for mth in months:
        if granularity == "Month":
            start, n = mth, 1
        elif granularity == "Quarter":
            fy = _fiscal_start(mth, fy_month)
            q = ((mth.year - fy.year) * 12 + mth.month - fy.month) // 3
            start, n = dd._add_months(fy, 3 * q), 3
        else:
            start, n = _fiscal_start(mth, fy_month), 12
        end = dd._add_months(start, n - 1)
        if granularity == "Month":
            label = start.strftime("%b %Y")
        elif granularity == "Quarter":
            label = f"FQ{q + 1} {start:%b}–{end:%b %Y}"
        else:
            label = f"FY {start:%b %Y}–{end:%b %Y}"
        out[start] = (label, start, end)
    return [out[k] for k in sorted(out, reverse=True)]


def filter_bar() -> dd.Filters | None:
    """Entity, period and reporting currency: one bar above every page (kept across pages)."""
    m = marts()
    try:
        ents = cached(dd.entities)
        all_months = cached(dd.months)
    except dd.MissingMart as missing:
        st.info(f"The marts are not built yet ({missing}). Run `ledgerlake run`.")
        return None
    names = dict(zip(ents["entity_id"].to_list(), ents["entity_name"].to_list()))
    c1, c2, c3, c4 = st.columns([3, 3, 3, 2])
    entity = c1.selectbox(
        "Entity",
        [dd.ALL, *names],
        key="entity",
        format_func=lambda e: e if e == dd.ALL else f"{names[e]} ({e})",
    )
    granularity = c2.segmented_control("Period", ["Month", "Quarter", "Fiscal year"], key="granularity") or "Month"
    fy_month = Settings.from_env().fiscal_year_start_month
    options = periods(all_months, granularity, fy_month)
    labels = [p[0] for p in options]
    label = c3.selectbox("Showing", labels, key=f"period_{granularity}")
    _, start, end = options[labels.index(label)]
    currency = c4.selectbox("Reporting currency", cached(dd.currencies), key="currency")
    st.sidebar.caption(f"Marts: {m.mode} · {m.path if m.mode == 'warehouse' else m.settings.marts_bucket}")
    return dd.Filters(entity=entity, period_start=start, period_end=end, currency=currency)


FILTER_KEYS = ("entity", "granularity", "period_Month", "period_Quarter", "period_Fiscal year", "currency")


def filters() -> dd.Filters | None:
    """Draw the filter bar at the top of the page and return what it says.

    Each page draws it (widgets belong to the page that draws them), and the choices are
    carried from page to page through plain session keys, Streamlit's documented way.
    """
    page = st.session_state.get("_page")
    if st.session_state.get("_filters_page") != page:  # just arrived: bring the choices along
        for key in FILTER_KEYS:
            if f"_keep_{key}" in st.session_state:
                st.session_state[key] = st.session_state[f"_keep_{key}"]
        st.session_state["_filters_page"] = page
    st.session_state.setdefault("granularity", "Month")
    chosen = filter_bar()
    for key in FILTER_KEYS:
        if key in st.session_state:
            st.session_state[f"_keep_{key}"] = st.session_state[key]
    return chosen


# -- formatting -----------------------------------------------------------------------


def money(value: Any, currency: str, places: int = 0) -> str:
    """Decimal → '$1,234,567' / '-£12,345' (no float on the way)."""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    body = f"{abs(amount):,.{places}f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def number(value: Any, unit: str = "", places: int = 1) -> str:
    if value is None:
        return "—"
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return f"{amount:,.{places}f}{unit}"


def change(current: Any, previous: Any, against: str = "vs previous period") -> str | None:
    """Period-over-period change as a percentage string (None when not comparable);
    `against` names what it is compared with ("QTD vs same days": dashboard_data.Coverage)."""
    if current is None or previous is None or Decimal(previous) == 0:
        return None
    pct = (Decimal(current) - Decimal(previous)) / abs(Decimal(previous)) * 100
    return f"{pct:+.1f}% {against}"


def change_words(
    current: Any, previous: Any, metric: str = "", against: str = "vs previous period"
) -> tuple[str | None, bool]:
    """(the change to show, whether it is words rather than a percentage).

    A percentage across a change of sign means nothing (burn from £10k to −£11k is not
    "−210 %"): say what happened instead. Nothing to compare with: say so."""
    if current is None or previous is None:
        return (None, False) if current is None else ("no earlier figure to compare", True)
    cur, prev = Decimal(current), Decimal(previous)
    if cur == prev:
        return "no change", True
    if prev == 0 or ((cur < 0) != (prev < 0) and cur != 0):
        if metric == "burn":
            if cur <= 0 < prev:
                return "now cash-generative (was burning)", True
            if prev <= 0 < cur:
                return "now burning (was cash-generative)", True
        return ("was zero" if prev == 0 else "changed sign"), True
    return change(current, previous, against), False


# -- tables and charts ----------------------------------------------------------------


def table(frame: pl.DataFrame, name: str, *, key: str | None = None, **kwargs: Any) -> None:
    """A table and a CSV download of exactly what it shows (decimals written exactly)."""
    config = {}
    for column, dtype in frame.schema.items():
        label = column.replace("_", " ").capitalize()
        if isinstance(dtype, pl.Decimal):
            config[column] = st.column_config.NumberColumn(label, format="accounting")
        elif isinstance(dtype, pl.Datetime):
            config[column] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif dtype == pl.Date:
            month = column.endswith("month")
            config[column] = st.column_config.DateColumn(label, format="MMM YYYY" if month else "YYYY-MM-DD")
        else:
            config[column] = st.column_config.Column(label)
    config.update(kwargs.pop("column_config", {}))
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, **kwargs)
    st.download_button(
        f"Download {name} (CSV)",
        frame.write_csv().encode(),
        file_name=f"{name.replace(' ', '_').lower()}.csv",
        mime="text/csv",
        key=key or f"csv_{name}",
    )


def for_chart(frame: pl.DataFrame) -> pl.DataFrame:
    """Charts draw floats; tables keep the decimals. The conversion happens only here."""
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def money_axis(currency: str, title: str | None = None) -> alt.Axis:
    return alt.Axis(title=title or f"Amount ({currency})", format=",.0f", labelExpr=_label_expr(currency))


def _label_expr(currency: str) -> str:
    """Axis labels like $1.2M / £350K: short enough to read at a glance."""
    symbol = SYMBOLS.get(currency, currency + " ")
    return (
        f"(datum.value < 0 ? '-' : '') + '{symbol}' + "
        "(abs(datum.value) >= 1e6 ? format(abs(datum.value) / 1e6, ',.1f') + 'M' : "
        "abs(datum.value) >= 1e3 ? format(abs(datum.value) / 1e3, ',.0f') + 'K' : format(abs(datum.value), ',.0f'))"
    )


def md(value: Any) -> str:
    """`value` shown literally inside st.markdown / st.caption: alert titles carry provider
    data (names, memos) and notes are typed by people, so neither may turn into a link, an
    image (a tracking pixel), bold text, LaTeX or a Streamlit :color[directive]. Every ASCII
    punctuation character gets CommonMark's backslash escape; line breaks become spaces."""
    text = " ".join(str(value).splitlines())
    return "".join("\\" + ch if ch in _MD_PUNCTUATION else ch for ch in text)


_MD_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def missing(err: dd.MissingMart) -> None:
    st.info(f"Not built yet: {err}. This section appears once that part of the pipeline has run.")


def _auth_config():
    """The login configuration; stops the session with the reason when it is broken
    (fail closed: ledgerlake.dashboard_auth)."""
    from streamlit.errors import StreamlitSecretNotFoundError

    from ledgerlake.dashboard_auth import AuthMisconfigured, check, read_secrets, streamlit_secrets_files

    try:
        try:
            secrets = st.secrets.to_dict()
        except StreamlitSecretNotFoundError:  # no file, or one that does not parse: tell which
            secrets = read_secrets(streamlit_secrets_files())
        return check(secrets)
    except AuthMisconfigured as err:
        st.error(f"The dashboard refuses to serve: {err}")
        st.stop()


def require_sign_in() -> None:
    """Stop the session unless whoever opened it may see the numbers. Fails closed.

    Behind the load balancer (LEDGERLAKE_DASHBOARD_AUTH=alb, AWS) the load balancer's
    signed claims must verify (ledgerlake.dashboard_auth.alb_identity); with [auth] in
    secrets.toml, Streamlit's OIDC login; neither: a local dashboard on 127.0.0.1."""
    if _deployment_mode() == "alb":
        _alb_user()
        return
    if login_required() and not st.user.is_logged_in:
        st.title("ledgerlake")
        st.write("Sign in to see the company's numbers.")
        st.button("Sign in", on_click=st.login, args=(login_provider(),), type="primary")
        st.stop()


def _deployment_mode() -> str | None:
    from ledgerlake.dashboard_auth import AuthMisconfigured, deployment_mode

    try:
        return deployment_mode()
    except AuthMisconfigured as err:
        st.error(f"The dashboard refuses to serve: {err}")
        st.stop()


def _alb_user() -> str:
    """The user the load balancer signed in, checked once per session (the claims header
    arrives with the session's WebSocket handshake); the session stops without one."""
    import json
    import os

    from ledgerlake.dashboard_auth import ALB_ARN_ENV, NotSignedIn, alb_identity

    user = st.session_state.get("_signed_in_user")
    if user:
        return user
    try:
        identity = alb_identity(st.context.headers, os.environ[ALB_ARN_ENV])
    except NotSignedIn as err:
        print(json.dumps({"event": "session_refused", "reason": str(err)}), flush=True)
        st.title("ledgerlake")
        st.error("Sign-in required: open the dashboard through its address to sign in.")
        st.stop()
    st.session_state["_signed_in_user"] = identity.user
    # one line per session to the container's log (CloudWatch): who signed in, when
    print(json.dumps({"event": "sign_in", "user": identity.user, "sub": identity.subject}), flush=True)
    return identity.user


def login_required() -> bool:
    """True when an OIDC provider is configured ([auth] in .streamlit/secrets.toml)."""
    return _auth_config().required


def login_provider() -> str:
    """The provider the Sign in button uses ("default": the keys directly under [auth])."""
    return _auth_config().providers[0]


# -- alert workflow -------------------------------------------------------------------


def alert_states() -> dict[str, str]:
    """alert_id → status from the shared alert-state store (live, not the table's copy)."""
    try:
        store = dd.alert_store()
    except Exception:  # noqa: BLE001 - the store unreachable: fall back to the status in the alerts table
        return {}
    return {aid: entry["status"] for aid, entry in store.alerts.items()}


def alert_history(alert_id: str) -> list[dict[str, Any]]:
    try:
        return dd.alert_store().alerts.get(alert_id, {}).get("history", [])
    except Exception:  # noqa: BLE001 - the store unreachable: no history to show
        return []


def set_alert_status(alert_id: str, status: str, note: str = "") -> None:
    store = dd.alert_store()
    if alert_id not in store.alerts:  # raised before the store existed (or another lake)
        store.observe([alert_id])
    store.set_status(alert_id, status, by=current_user(), note=note)
    store.save()


def current_user() -> str:
    """Who is acting: what alert acknowledgements and write-back approvals record.

    Behind the load balancer, the verified signed-in user (the session stops if there is
    none: a deployed dashboard never records an anonymous action); with Streamlit's OIDC,
    the user's email; a local dashboard without login, 'local'."""
    if _deployment_mode() == "alb":
        return _alb_user()
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("name") or "signed-in user")
    except Exception:  # noqa: BLE001 - no auth configured (st.user raises): a local run
        pass
    return "local"
