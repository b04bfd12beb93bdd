"""The weekly KPI report as data: what the email says, before any HTML.

The reported week is the last full Monday–Sunday week before `as_of` (the Monday the
schedule fires on, in the report's timezone). Each KPI is compared with the prior week and
with the average of the four weeks before the reported week (the reported week itself is
left out, so an unusual week stands out instead of pulling its own baseline).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from .. import figures
from . import formatting as fmt
from . import queries
from .queries import METRICS, Metric
from .settings import ReportSettings

STALE_AFTER = timedelta(hours=48)  # a source silent this long before the report is flagged
CHART_HISTORY_DAYS = 91  # 13 weeks of actual cash before the forecast
FORECAST_DAYS = 91  # the 13-week cash forecast
MAX_ALERTS_SHOWN = 15  # per list; the open high alerts are always all shown


class NoData(RuntimeError):
    """The marts hold no complete week before the requested date."""


@dataclass
class KpiRow:
    metric: Metric
    current: Decimal | None
    prior: Decimal | None
    avg4: Decimal | None
    weeks_in_avg: int
    current_text: str
    prior_text: str
    avg4_text: str
    vs_prior: str
    vs_avg: str
    tone_prior: str  # good | bad | flat
    tone_avg: str


@dataclass
class HealthRow:
    source: str
    last_event_at: datetime | None
    last_poll_at: datetime | None
    status: str  # ok | stale | no data | needs reconnect
    last_event_text: str
    last_poll_text: str
    quarantined: int = 0  # records the build set aside (marts.quarantine_records)


@dataclass
class WeeklyReport:
    company: str
    currency: str
    as_of: date
    week_start: date
    week_end: date
    timezone: str
    kpis: list[KpiRow]
    cash_actuals: list[tuple[date, Decimal]]
    forecast: list[dict]
    alerts: list[dict]  # new: first raised during the week and not resolved
    health: list[HealthRow]
    dashboard_url: str | None = None
    forecast_accuracy: list[str] = field(default_factory=list)  # forecast.forecast_headline sentences
    headline: figures.Headline | None = None
    open_high: list[dict] = field(default_factory=list)  # still open (raised before or after the week), high
    open_other: list[dict] = field(default_factory=list)  # still open, medium / low
    resolved: list[dict] = field(default_factory=list)  # resolved during the week
    writeback: dict[str, int] = field(default_factory=dict)  # open write-back actions by state (docs/workflows.md)
    budget_variances: list[dict] = field(
        default_factory=list
    )  # the last whole month's largest (marts.budget_vs_actual)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    reconciliation: dict | None = None  # queries.reconciliation_week: bank matching and coding
    latency: list[dict] = field(default_factory=list)  # queries.webhook_latency: per source, latest week

    @property
    def subject(self) -> str:
        return f"{self.company} weekly KPIs: week of {self.week_start:%d %b %Y}"

    @property
    def alerts_shown(self) -> list[dict]:
        return self.alerts[:MAX_ALERTS_SHOWN]

    @property
    def alerts_hidden(self) -> int:
        return max(0, len(self.alerts) - MAX_ALERTS_SHOWN)

    @property
    def open_count(self) -> int:
        return len(self.alerts) + len(self.open_high) + len(self.open_other)

    @property
    def forecast_end(self) -> dict | None:
        """Cash in 13 weeks: the one definition every surface shows (ledgerlake.figures)."""
        h = self.headline.horizon if self.headline else None
        if h is None:
            return None
        return {"date": h.date, "cash": h.p50, "cash_lower": h.p10, "cash_upper": h.p90}

    @property
    def forecast_low(self) -> dict | None:
        return min(self.forecast, key=lambda p: p["cash"]) if self.forecast else None

    @property
    def zone(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    def money(self, value) -> str:
        return fmt.money(value, self.currency)


def _tone(metric: Metric, change: Decimal | None) -> str:
    if change is None or change == 0:
        return "flat"
    up = change > 0
    return "good" if up == (metric.better == "up") else "bad"


def kpi_rows(weeks: list[dict], currency: str) -> list[KpiRow]:
    """`weeks` newest first: [reported week, prior week, ...]."""
    current, history = weeks[0], weeks[1:5]
    prior = history[0] if history and history[0]["week_start"] == current["week_start"] - timedelta(days=7) else None
    rows = []
    for metric in METRICS:
        if metric.column not in current:
            continue
        cur = current[metric.column]
        pri = prior[metric.column] if prior else None
        values = [w[metric.column] for w in history if w[metric.column] is not None]
        avg = (sum(values, Decimal(0)) / len(values)) if values else None
        if metric.unit == "pct":
            d_prior, d_avg = fmt.change_points(cur, pri), fmt.change_points(cur, avg)
            vs_prior, vs_avg = fmt.signed_points(d_prior), fmt.signed_points(d_avg)
        else:
            d_prior, d_avg = fmt.change_pct(cur, pri), fmt.change_pct(cur, avg)
            vs_prior, vs_avg = fmt.signed_pct(d_prior), fmt.signed_pct(d_avg)
        rows.append(
            KpiRow(
                metric=metric,
                current=cur,
                prior=pri,
                avg4=avg,
                weeks_in_avg=len(values),
                current_text=fmt.value(cur, metric.unit, currency),
                prior_text=fmt.value(pri, metric.unit, currency),
                avg4_text=fmt.value(avg, metric.unit, currency),
                vs_prior=vs_prior,
                vs_avg=vs_avg,
                tone_prior=_tone(metric, d_prior),
                tone_avg=_tone(metric, d_avg),
            )
        )
    return rows


def _aware(moment) -> datetime | None:
    if moment is None:
        return None
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def health_rows(
    rows: list[dict], reference: datetime, zone, reconnect: frozenset[str] = frozenset()
) -> list[HealthRow]:
    """A source is stale when neither a webhook nor a poll landed in STALE_AFTER before the
    report; `reconnect` names sources whose provider refused the refresh token."""

    def text(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%a %d %b %H:%M") if moment else "never"

    out = []
    for r in rows:
        event, poll = _aware(r.get("last_event_at")), _aware(r.get("last_poll_at"))
        seen = max([m for m in (event, poll) if m is not None], default=None)
        if seen is None:
            status = "no data"
        else:
            status = "stale" if reference - seen > STALE_AFTER else "ok"
        if r["source"] in reconnect:
            status = "needs reconnect"
        out.append(HealthRow(r["source"], event, poll, status, text(event), text(poll), int(r.get("quarantined") or 0)))
    return out


def _needs_reconnect() -> frozenset[str]:
    """Sources whose connection needs `ledgerlake connect` again (the lake's status copy)."""
    try:
        from ..connections.status import needs_reconnect
        from ..lake import Lake

        return frozenset(needs_reconnect(Lake()))
    except Exception:  # noqa: BLE001 - no lake here: the email goes out without it
        return frozenset()


def _writeback_counts() -> dict[str, int]:
    """Open write-back actions: awaiting approval, and writes the provider refused (pending a retry)."""
    try:
        from ..lake import Lake
        from ..workflows import ActionStore

        actions = ActionStore(Lake()).all()
    except Exception:  # noqa: BLE001 - no lake here: the email goes out without it
        return {}
    counts = {"awaiting_approval": 0, "refused": 0, "applied": 0}
    for action in actions:
        if action["status"] == "awaiting_approval":
            counts["awaiting_approval"] += 1
        elif action["status"] == "pending" and action.get("last_error"):
            counts["refused"] += 1
        elif action["status"] == "applied":
            counts["applied"] += 1
    return counts if any(counts.values()) else {}


def _resolved_at(entry: dict | None) -> datetime | None:
    """When the alert was last resolved, from the alert store's audit trail."""
    for change in reversed((entry or {}).get("history", [])):
        if change.get("to") == "resolved":
            return datetime.fromisoformat(change["at"].replace("Z", "+00:00"))
    return None


def sort_alerts(rows: list[dict], live: dict[str, dict] | None, start: datetime, end: datetime) -> dict[str, list]:
    """The week's alert lists: `new` (first raised in [start, end), still open), `open_high` and
    `open_other` (open, raised at any other time: an open high alert is shown whatever its
    age), `resolved` (resolved in [start, end) per the store's audit trail).

    Status: the live alert store's when it knows the alert (a resolution made on the
    dashboard shows at once), else the table's copy — the dashboard's rule too."""
    status = figures.alert_status(
        ((r["alert_id"], r["status"]) for r in rows), {k: v["status"] for k, v in (live or {}).items()}
    )
    out: dict[str, list] = {"new": [], "open_high": [], "open_other": [], "resolved": []}
    for r in rows:
        r = {**r, "status": status[r["alert_id"]]}
        raised = _aware(r.get("raised_at"))
        if r["status"] == "resolved":
            at = _resolved_at((live or {}).get(r["alert_id"]))
            if at is not None and start <= at < end:
                out["resolved"].append({**r, "resolved_at": at})
        elif raised is not None and start <= raised < end:
            out["new"].append(r)
        elif (r.get("severity") or "").lower() in ("high", "critical"):
            out["open_high"].append(r)
        else:
            out["open_other"].append(r)
    return out


def build(
    conn, as_of: date | None = None, settings: ReportSettings | None = None, live_alerts: dict[str, dict] | None = None
) -> WeeklyReport:
    """Read the marts and assemble the report for the last full week before `as_of`.

    `live_alerts`: the alert store's entries (ledgerlake.figures.live_alert_entries), for
    statuses and resolution times; without it the alerts table's statuses stand."""
    settings = settings or ReportSettings.from_env()
    as_of = as_of or settings.today()
    week_start = queries.latest_complete_week(conn, as_of)
    if week_start is None:
        raise NoData(f"{queries.KPIS_WEEKLY} has no complete week before {as_of}")
    week_end = week_start + timedelta(days=6)
    from ..config import Settings

    currency = queries.reporting_currency(conn) or Settings.from_env().reporting_currency
    weeks = queries.weekly_kpis(conn, week_start)
    zone = settings.zone()
    reference = datetime.combine(as_of, time(0), zone)
    start = datetime.combine(week_start, time(0), zone)
    end = datetime.combine(week_end + timedelta(days=1), time(0), zone)
    # "New" = first raised during the reported week, Monday 00:00 to Monday 00:00 in the report's zone.
    lists = sort_alerts(queries.all_alerts(conn), live_alerts, start, end)
    headline = figures.headline(
        figures.for_connection(conn), currency, {k: v["status"] for k, v in (live_alerts or {}).items()}
    )
    forecast = queries.cash_forecast(conn, FORECAST_DAYS)
    # Actual cash runs up to the day the forecast starts from, so the chart has no gap.
    actual_end = headline.horizon.as_of if headline and headline.horizon else week_end
    return WeeklyReport(
        company=settings.company,
        currency=currency,
        as_of=as_of,
        week_start=week_start,
        week_end=week_end,
        timezone=settings.timezone,
        kpis=kpi_rows(weeks, currency),
        cash_actuals=queries.cash_actuals(conn, actual_end - timedelta(days=CHART_HISTORY_DAYS), actual_end),
        forecast=forecast,
        alerts=lists["new"],
        open_high=lists["open_high"],
        open_other=lists["open_other"],
        resolved=lists["resolved"],
        headline=headline,
        health=health_rows(queries.integration_health(conn), reference, zone, _needs_reconnect()),
        dashboard_url=settings.dashboard_url,
        forecast_accuracy=queries.forecast_accuracy_sentences(conn),
        writeback=_writeback_counts(),
        # the month the headline revenue is for: the last whole month
        budget_variances=queries.largest_budget_variances(
            conn,
            headline.revenue_month if headline else figures.last_whole_month(week_end),
            os.environ.get("LEDGERLAKE_REPORT_BUDGET"),
        ),
        reconciliation=queries.reconciliation_week(conn, week_start, week_end),
        latency=queries.webhook_latency(conn),
    )
