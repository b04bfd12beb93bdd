"""The weekly KPI email: marts → report data → HTML + text + chart → MIME → SES.

queries.py     every SQL query the email runs (its whole dependency on mart names)
weekly.py      the report as data: the week, KPIs vs prior week and 4-week average, ...
formatting.py  how numbers read (Decimal in, text out)
chart.py       the cash chart PNG (matplotlib, Agg)
render.py      jinja2 templates (templates/) → HTML and plain text
message.py     the MIME message with the chart inline (cid:)
send.py        SES SendRawEmail
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .settings import ReportSettings


@dataclass
class WeeklyEmail:
    report: object  # weekly.WeeklyReport
    rendered: object  # render.Rendered
    message: object  # email.message.EmailMessage


def weekly_email(
    conn=None,
    as_of: date | None = None,
    settings: ReportSettings | None = None,
    live_alerts: dict | str | None = "store",
) -> WeeklyEmail:
    """Build the week's email from the marts (a connection from ledgerlake.analyst.connect).

    `live_alerts`: the alert store's entries; "store" (default) reads the shared store
    (s3://{marts}/state/alerts/, the dashboard's) and falls back to the alerts table's
    statuses when it is unreachable; None uses the table's statuses."""
    from ..analyst import connect
    from ..figures import live_alert_entries
    from .message import build_message
    from .render import render
    from .weekly import build

    settings = settings or ReportSettings.from_env()
    own = conn is None
    conn = conn or connect()
    try:
        if live_alerts == "store":
            live_alerts = live_alert_entries()
        report = build(conn, as_of=as_of, settings=settings, live_alerts=live_alerts)
    finally:
        if own:
            conn.close()
    rendered = render(report)
    sender = settings.sender or "ledgerlake <reports@localhost>"
    recipients = settings.recipients or ("leadership@localhost",)
    return WeeklyEmail(report, rendered, build_message(rendered, sender, recipients))


def write_local(email: WeeklyEmail, out_dir: Path) -> dict[str, Path]:
    """weekly-YYYY-MM-DD.eml, .html (chart beside it as a .png, so a browser shows it) and .txt."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"weekly-{email.report.week_start.isoformat()}"
    paths = {
        "eml": out_dir / f"{stem}.eml",
        "html": out_dir / f"{stem}.html",
        "png": out_dir / f"{stem}-cash.png",
        "txt": out_dir / f"{stem}.txt",
    }
    paths["eml"].write_bytes(email.message.as_bytes())
    paths["png"].write_bytes(email.rendered.chart_png)
    paths["html"].write_text(email.rendered.html_for_browser(paths["png"].name), encoding="utf-8")
    paths["txt"].write_text(email.rendered.text, encoding="utf-8")
    return paths
