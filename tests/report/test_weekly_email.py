"""The weekly KPI email on a hand-built warehouse: numbers, MIME, SES delivery, the browser."""

from __future__ import annotations

import email
import email.policy
import struct
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from mini_warehouse import AS_OF, WEEK

from ledgerlake.analyst import connect
from ledgerlake.report import formatting as fmt
from ledgerlake.report import weekly_email, write_local
from ledgerlake.report.queries import METRICS
from ledgerlake.report.settings import ReportSettings
from ledgerlake.report.weekly import NoData


class _Cells(HTMLParser):
    """{(kpi, col): text} from <tr data-kpi><td data-col>, plus alert ids and health rows."""

    def __init__(self):
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.alerts: list[str] = []
        self.health: dict[str, list[str]] = {}
        self._kpi = self._col = self._source = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self._kpi, self._source = a.get("data-kpi"), a.get("data-source")
            if a.get("data-alert"):
                self.alerts.append(a["data-alert"])
            if self._source:
                self.health[self._source] = []
        if tag == "td":
            self._col, self._buf = a.get("data-col"), []

    def handle_data(self, data):
        self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "tr":
            self._kpi = self._source = None
        if tag == "td":
            text = "".join(self._buf).strip()
            if self._kpi and self._col:
                self.cells[(self._kpi, self._col)] = text
            if self._source:
                self.health[self._source].append(text)


def _settings(monkeypatch, **env) -> ReportSettings:
    for key, value in {"LEDGERLAKE_REPORT_TIMEZONE": "America/New_York", **env}.items():
        monkeypatch.setenv(key, value)
    return ReportSettings.from_env()


@pytest.fixture
def conn(mini_warehouse):
    c = connect(mini_warehouse, source="warehouse", lake=False)
    yield c
    c.close()


def _expected_rows(conn, week: date) -> dict[str, tuple]:
    """Straight from the mart: (this week, prior week, mean of the 4 weeks before)."""
    out = {}
    for m in METRICS:
        rows = dict(
            conn.execute(
                f"select week_start, {m.column} from marts.finance_kpis_weekly where week_start between ? and ?",
                [week - timedelta(days=28), week],
            ).fetchall()
        )
        before = [rows[week - timedelta(days=7 * k)] for k in range(1, 5)]
        out[m.column] = (rows[week], rows[week - timedelta(days=7)], sum(before, Decimal(0)) / 4)
    return out


def test_kpis_match_the_mart(conn, monkeypatch):
    mail = weekly_email(conn, as_of=AS_OF, settings=_settings(monkeypatch))
    assert mail.report.week_start == WEEK  # the Monday run reports the week that just ended
    cells = _Cells()
    cells.feed(mail.rendered.html)
    text = mail.rendered.text
    for m in METRICS:
        current, prior, avg4 = _expected_rows(conn, WEEK)[m.column]
        shown = [fmt.value(v, m.unit, "USD") for v in (current, prior, avg4)]
        assert [cells.cells[(m.column, c)] for c in ("current", "prior", "avg4")] == shown, m.column
        if m.unit == "pct":
            vs = fmt.signed_points(fmt.change_points(current, prior))
        else:
            vs = fmt.signed_pct(((current - prior) / abs(prior) * 100).quantize(Decimal("0.1")))
        assert cells.cells[(m.column, "vs_prior")] == vs, m.column
        line = next(line for line in text.splitlines() if line.startswith(m.label + " "))
        for value in shown:
            assert value in line, (m.label, value, line)


def test_formatting_rules():
    assert fmt.money(Decimal("1234567.5"), "USD") == "$1,234,568"  # half-even on .5 → even
    assert fmt.money(Decimal("2.5"), "USD") == "$2"
    assert fmt.money(Decimal("-207.49"), "GBP") == "-£207"
    assert fmt.money(Decimal("1000"), "CHF") == "1,000 CHF"
    assert fmt.value(Decimal("45.75"), "days", "USD") == "45.8 d"
    assert fmt.signed_pct(fmt.change_pct(Decimal(110), Decimal(100))) == "+10.0%"
    assert fmt.signed_pct(fmt.change_pct(Decimal(-10), Decimal(-20))) == "+50.0%"  # less negative = up
    assert fmt.change_pct(Decimal(5), Decimal(0)) is None


def test_week_selection(conn, monkeypatch):
    settings = _settings(monkeypatch)
    assert weekly_email(conn, as_of=AS_OF + timedelta(days=2), settings=settings).report.week_start == WEEK
    assert weekly_email(conn, as_of=AS_OF - timedelta(days=1), settings=settings).report.week_start == WEEK - timedelta(
        days=7
    )
    with pytest.raises(NoData):
        weekly_email(conn, as_of=date(2020, 1, 6), settings=settings)


def test_new_alerts_and_health(conn, monkeypatch):
    mail = weekly_email(conn, as_of=AS_OF, settings=_settings(monkeypatch))
    cells = _Cells()
    cells.feed(mail.rendered.html)
    # Only alerts first raised in the reported week (New York time), most severe first.
    assert [a["alert_id"] for a in mail.report.alerts] == ["al_dup1", "al_inv1", "al_pay1"]
    # and the two open high ones raised outside the week under "still open"
    assert cells.alerts == ["al_dup1", "al_inv1", "al_pay1", "al_old1", "al_next"]
    assert "Acme Hosting &lt;Ltd&gt; &amp; Co" in mail.rendered.html  # provider text is escaped
    assert "$4,250" in mail.rendered.html and "$22,861" in mail.rendered.html  # in the reporting currency
    assert "New this week (3)" in mail.rendered.html and "New this week (3):" in mail.rendered.text
    status = {source: cols[-1] for source, cols in cells.health.items()}
    assert status == {"stripe": "ok", "xero": "stale", "plaid": "no data"}
    # Per source, the latest over its entities, shown in New York time.
    assert cells.health["stripe"][1:3] == ["Sun 15 Jun 18:00", "Sun 15 Jun 19:00"]
    assert cells.health["xero"][1:3] == ["never", "Tue 10 Jun 00:00"]


def test_forecast_summary_matches_the_forecast_table(conn, monkeypatch):
    mail = weekly_email(conn, as_of=AS_OF, settings=_settings(monkeypatch))
    end = WEEK + timedelta(days=6 + 91)
    cash, low, high = conn.execute(
        "select p50, p10, p90 from forecast.cash_forecast_daily where entity_id = 'consolidated' and forecast_date = ?",
        [end],
    ).fetchone()
    expected = (
        f"Cash in 13 weeks, on {end:%d %b %Y}: {fmt.money(cash, 'USD')} "
        f"(range {fmt.money(low, 'USD')} to {fmt.money(high, 'USD')})"
    )
    assert expected in mail.rendered.text
    assert len(mail.report.cash_actuals) == 92  # 13 weeks of actuals up to the forecast's as-of day
    # the forecast drawn is the latest run's 13 weeks from its own as-of day, as on the dashboard
    assert [p["date"] for p in mail.report.forecast] == [WEEK + timedelta(days=6 + d) for d in range(1, 92)]


def test_headline_figures(conn, monkeypatch):
    """The "at a glance" figures, by the shared definitions (ledgerlake.figures)."""
    mail = weekly_email(conn, as_of=AS_OF, settings=_settings(monkeypatch), live_alerts=None)
    as_of = WEEK + timedelta(days=6)
    h = mail.report.headline
    assert h.as_of == as_of and h.horizon.date == as_of + timedelta(days=91)
    cash = conn.execute("select cash_balance from marts.finance_kpis_daily where date = ?", [as_of]).fetchone()[0]
    revenue = conn.execute(
        "select sum(revenue) from marts.finance_kpis_monthly where period_month = '2025-05-01'"
    ).fetchone()[0]  # June is not whole on 15 Jun: May is the last whole month
    p50 = conn.execute(
        "select p50 from forecast.cash_forecast_daily where entity_id = 'consolidated' and forecast_date = ?",
        [as_of + timedelta(days=91)],
    ).fetchone()[0]
    figures = _Figures()
    figures.feed(mail.rendered.html)
    assert figures.values == {
        "cash": fmt.money(cash, "USD"),
        "cash_13w": fmt.money(p50, "USD"),
        "revenue": fmt.money(revenue, "USD"),
        "open_alerts": "5",
        "open_high": "3 high",
    }
    assert f"Cash in 13 weeks ({as_of + timedelta(days=91):%d %b %Y}): {fmt.money(p50, 'USD')}" in mail.rendered.text


def test_alert_lists_new_still_open_resolved(conn, monkeypatch):
    """New this week, still open (every open high one, whatever its age) and resolved this
    week are three lists; statuses and resolution times come from the live alert store."""
    live = {
        "al_inv1": {
            "status": "resolved",
            "history": [{"at": "2025-06-12T16:00:00Z", "from": "new", "to": "resolved", "by": "cfo", "note": ""}],
        },
        "al_old1": {
            "status": "acknowledged",
            "history": [{"at": "2025-06-10T09:00:00Z", "from": "new", "to": "acknowledged", "by": "cfo", "note": ""}],
        },
    }
    mail = weekly_email(conn, as_of=AS_OF, settings=_settings(monkeypatch), live_alerts=live)
    lists = _Lists()
    lists.feed(mail.rendered.html)
    assert lists.ids == {"alerts": ["al_dup1", "al_pay1"], "open-high": ["al_old1", "al_next"], "resolved": ["al_inv1"]}
    assert mail.report.open_count == 4 and mail.report.headline.alerts.open == 4
    assert "Alerts: 4 open" in mail.rendered.html and "ALERTS: 4 OPEN" in mail.rendered.text
    assert "No new alerts this week" not in mail.rendered.text
    assert "Still open, high (2):" in mail.rendered.text and "Resolved this week (1):" in mail.rendered.text
    assert "What to do: Check both payments with the vendor" in mail.rendered.text  # al_dup1, a duplicate payment
    assert "What to do: Check both payments with the vendor" in mail.rendered.html
    # An old high alert is still shown when nothing new came in: the CFO never reads "no alerts" while some are open.
    for a in ("al_dup1", "al_pay1", "al_inv1", "al_next"):
        live[a] = {"status": "resolved", "history": [{"at": "2025-05-01T00:00:00Z", "to": "resolved"}]}
    quiet = weekly_email(conn, as_of=AS_OF, settings=_settings(monkeypatch), live_alerts=live)
    assert "No new alerts this week." in quiet.rendered.text
    assert "Still open, high (1):" in quiet.rendered.text and "Last week's alert" in quiet.rendered.text


class _Figures(HTMLParser):
    """{figure: text} from elements with data-figure."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._name, self._buf = None, []

    def handle_starttag(self, tag, attrs):
        name = dict(attrs).get("data-figure")
        if name:
            self._name, self._buf = name, []

    def handle_data(self, data):
        if self._name:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if self._name:
            self.values[self._name] = "".join(self._buf).strip()
            self._name = None


class _Lists(HTMLParser):
    """{list id: [alert ids]} from <tr data-alert data-list>."""

    def __init__(self):
        super().__init__()
        self.ids: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("data-alert"):
            self.ids.setdefault(a.get("data-list"), []).append(a["data-alert"])


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_mime_structure_and_local_files(conn, monkeypatch, tmp_path):
    settings = _settings(
        monkeypatch,
        LEDGERLAKE_EMAIL_SENDER="Finance <finance@example.com>",
        LEDGERLAKE_EMAIL_RECIPIENTS="cfo@example.com, ceo@example.com",
    )
    mail = weekly_email(conn, as_of=AS_OF, settings=settings)
    paths = write_local(mail, tmp_path / "out")
    parsed = email.message_from_bytes(paths["eml"].read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "cfo@example.com, ceo@example.com"
    assert parsed.get_content_type() == "multipart/alternative"
    text, related = parsed.get_payload()
    assert text.get_content_type() == "text/plain" and "KEY METRICS" in text.get_content()
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert image.get_content_type() == "image/png" and image.get_content_disposition() == "inline"
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    width, height = _png_size(image.get_content())
    assert (width, height) == (1280, 520)  # 640x260 at 2x
    # The local .html shows the chart from the file beside it.
    assert f'src="{paths["png"].name}"' in paths["html"].read_text() and paths["png"].exists()


def test_report_timezone_decides_the_week(mini_warehouse, monkeypatch):
    """Sunday 22:00 in New York is already Monday in London: the two send different weeks."""
    from ledgerlake.handlers.kpi_email import handler

    monkeypatch.setenv("LEDGERLAKE_WAREHOUSE", str(mini_warehouse))
    monkeypatch.setenv("LEDGERLAKE_EMAIL_SENDER", "finance@example.com")
    monkeypatch.setenv("LEDGERLAKE_EMAIL_RECIPIENTS", "cfo@example.com")
    event = {"time": "2025-06-16T02:00:00Z", "dry_run": True}
    monkeypatch.setenv("LEDGERLAKE_REPORT_TIMEZONE", "America/New_York")
    assert handler(event, None)["week_start"] == (WEEK - timedelta(days=7)).isoformat()
    monkeypatch.setenv("LEDGERLAKE_REPORT_TIMEZONE", "Europe/London")
    assert handler(event, None)["week_start"] == WEEK.isoformat()


def test_handler_requires_delivery_settings(mini_warehouse, monkeypatch):
    from ledgerlake.handlers.kpi_email import handler

    monkeypatch.setenv("LEDGERLAKE_WAREHOUSE", str(mini_warehouse))
    monkeypatch.delenv("LEDGERLAKE_EMAIL_RECIPIENTS", raising=False)
    monkeypatch.setenv("LEDGERLAKE_EMAIL_SENDER", "finance@example.com")
    with pytest.raises(ValueError, match="LEDGERLAKE_EMAIL_RECIPIENTS"):
        handler({"as_of": AS_OF.isoformat()}, None)


def test_the_forecasts_own_accuracy_sentence_is_in_the_email(mini_warehouse, monkeypatch, tmp_path):
    import shutil

    import duckdb

    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(mini_warehouse, path)
    sentence = (
        "US: 13-week forecasts have been within ±7% of the actual balance on average over 24 past "
        "forecasts; flat would have been ±14%."
    )
    with duckdb.connect(str(path)) as w:
        w.execute(
            "create table forecast.forecast_headline as select 'US' as entity_id, ? as sentence, true as "
            "beats_baselines",
            [sentence],
        )
    c = connect(path, source="warehouse", lake=False)
    try:
        mail = weekly_email(c, as_of=AS_OF, settings=_settings(monkeypatch))
    finally:
        c.close()
    assert sentence in mail.rendered.text
    assert "within ±7% of the actual balance" in mail.rendered.html


def test_health_lists_quarantined_records_per_source(mini_warehouse, monkeypatch, tmp_path):
    """source_health.quarantined_records (marts.quarantine_records per source) reaches the
    email with the command that lists the records; sources with none are not named."""
    import shutil

    import duckdb

    path = tmp_path / "with-quarantine.duckdb"
    shutil.copyfile(mini_warehouse, path)
    con = duckdb.connect(str(path))
    con.execute("alter table marts.source_health add column quarantined_records bigint default 0")
    con.execute("update marts.source_health set quarantined_records = 3 where source_system = 'xero'")
    con.close()
    conn = connect(path, source="warehouse", lake=False)
    try:
        mail = weekly_email(conn, as_of=AS_OF, settings=_settings(monkeypatch))
    finally:
        conn.close()
    assert {h.source: h.quarantined for h in mail.report.health} == {"stripe": 0, "xero": 3, "plaid": 0}
    assert "Quarantined records (set aside by the build, everything else published): xero 3\n" in mail.rendered.text
    assert "ledgerlake quarantine list --source <source>" in mail.rendered.text
    assert 'id="quarantine"' in mail.rendered.html and " xero 3." in mail.rendered.html
