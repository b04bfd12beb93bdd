"""Report → HTML and plain text (jinja2 templates beside this module) and the chart PNG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import formatting
from .chart import cash_chart_png
from .weekly import WeeklyReport

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHART_CID = "cash-forecast@ledgerlake"


@dataclass
class Rendered:
    subject: str
    html: str
    text: str
    chart_png: bytes
    chart_cid: str = CHART_CID

    def html_for_browser(self, chart_file: str) -> str:
        """The HTML with the cid: image pointing at a file, for previews and screenshots."""
        return self.html.replace(f"cid:{self.chart_cid}", chart_file)


def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    return env


def render(report: WeeklyReport) -> Rendered:
    env = _env()
    png = cash_chart_png(
        report.cash_actuals, report.forecast, report.currency, formatting.SYMBOLS.get(report.currency.upper(), "")
    )
    from ..alerts.wording import next_step

    context = {"r": report, "fmt": formatting, "chart_cid": CHART_CID, "zone": report.zone, "next_step": next_step}
    html = env.get_template("weekly.html.j2").render(context)
    text = env.get_template("weekly.txt.j2").render(context)
    return Rendered(subject=report.subject, html=html, text=text, chart_png=png)
