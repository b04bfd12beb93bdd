"""ECB reference-rate poller: the documented XML feeds, fetched like any provider's API.

    GET {base}/eurofxref-daily.xml       the latest publication day (one <Cube time=…>)
    GET {base}/eurofxref-hist-90d.xml    the last 90 days of publications
    GET {base}/eurofxref-hist.xml        every publication since 1999-01-04

First run (no cursor, or a backfill `since`): the full history, then the daily feed. Later
runs fetch the daily feed; when it is more than one publication day ahead of the cursor
(the poller was down, a Lambda failed over a long weekend) the 90-day feed fills the gap,
or the full history when the gap is older than that. Cursors, one per feed:

    state/cursors/ecb/hist.json    {"through": "2024-06-28", "feed": "eurofxref-hist.xml"}
    state/cursors/ecb/daily.json   {"through": "2024-06-28"}

Each document lands verbatim as one raw object (entity `eurofxref`) keyed by the request
and a hash of the body, so polling the same publication twice writes nothing. The payload
is XML, and the raw contract's payload slot holds JSON, so the document is kept as one
JSON string: `json.loads(payload)` is the response body, character for character
(envelope `extra.payload_format = "xml"`). A body that is not an ECB document (an HTML
error page answered with 200, a truncated download) is quarantined with its reason and
the run fails before any cursor moves.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

from ...polling.dedupe import Record
from . import feed

SOURCE = "ecb"
DEFAULT_BASE_URL = "https://www.ecb.europa.eu/stats/eurofxref"
STREAMS = ("hist", "daily")
ENTITY = "eurofxref"
GAP_FEED_DAYS = 85  # the 90-day feed covers a gap whose last known day is at most this old


def _fetch(ctx, name: str) -> tuple[bytes, dict[str, str], feed.Rates]:
    response = ctx.http.request("GET", f"{ctx.base_url}/{name}", headers={"Accept": "application/xml, text/xml"})
    response.expect_ok()
    try:
        rates = feed.parse_xml(response.body)
    except feed.FeedError as err:
        key = ctx.lake.quarantine(source=SOURCE, body=response.body, reason=f"{name}: {err}", headers=response.headers)
        raise feed.FeedError(f"{name}: {err} (body quarantined at {key})") from None
    return response.body, response.headers, rates


def _land(ctx, name: str, body: bytes, headers: dict[str, str], rates: feed.Rates, stream: str) -> None:
    days = sorted(rates)
    ctx.land_page(
        ENTITY,
        request={"path": "/" + name},
        body=json.dumps(body.decode("utf-8")).encode(),
        records=sum(len(r) for r in rates.values()),
        page_time=days[-1],
        fingerprint=hashlib.sha256(body).hexdigest(),
        headers=headers,
        extra={
            "feed": name,
            "payload_format": "xml",
            "first_day": days[0].isoformat(),
            "last_day": days[-1].isoformat(),
            "days": len(days),
            "last_modified": headers.get("last-modified"),
        },
        stream=stream,
    )


def _next_publication(day: date) -> date:
    day += timedelta(days=1)
    while not feed.is_publication_day(day):
        day += timedelta(days=1)
    return day


def poll(ctx) -> None:
    known = [s.get("through") for s in (ctx.start("hist"), ctx.start("daily")) if s]
    through = max((date.fromisoformat(t) for t in known if t), default=None)
    body, headers, daily = _fetch(ctx, feed.DAILY)
    latest = max(daily)
    gap_feed = None
    if through is None:
        gap_feed = feed.HIST  # first run (or backfill): everything the ECB has
    elif latest > _next_publication(through):
        gap_feed = feed.HIST_90D if (latest - through).days <= GAP_FEED_DAYS else feed.HIST
    if gap_feed and ctx.out_of_time():
        return  # the gap first, next run: landing today alone would hide it behind the cursor
    if gap_feed:
        hist_body, hist_headers, hist = _fetch(ctx, gap_feed)
        if through is not None and gap_feed == feed.HIST_90D and min(hist) > _next_publication(through):
            gap_feed = feed.HIST  # the 90 days do not reach back to the cursor
            hist_body, hist_headers, hist = _fetch(ctx, gap_feed)
        _land(ctx, gap_feed, hist_body, hist_headers, hist, "hist")
        ctx.save_cursor("hist", {"through": max(hist).isoformat(), "feed": gap_feed})
        through = max(hist) if through is None else max(through, max(hist))
    if through is None or latest > through:
        _land(ctx, feed.DAILY, body, headers, daily, "daily")
        ctx.save_cursor("daily", {"through": latest.isoformat()})


def page_records(entity: str, payload):
    """One record per (day, currency): the ECB publishes a rate once (a correction, which
    the ECB does rarely, is a later page with the same day and currency)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    for day, rates in feed.parse_xml(text.encode()).items():
        for currency, rate in rates.items():
            yield Record("rate", f"{day.isoformat()}:{currency}", day.isoformat(), False, str(rate))


# -- staleness: how old is the newest rate the lake holds? ----------------------------------

METRIC = "FxRateAgeBusinessDays"


def latest_rate_day(cursors) -> date | None:
    """The newest publication day landed (from the cursors, which move only after landing)."""
    known = [(cursors.get(SOURCE, stream) or {}).get("through") for stream in STREAMS]
    return max((date.fromisoformat(t) for t in known if t), default=None)


def age_business_days(latest: date | None, today: date) -> int | None:
    """TARGET business days published (or due) after `latest` up to `today`: 0 = current."""
    return None if latest is None else feed.business_days_between(latest, today)


def emf_line(age: int | None, latest: date | None, now) -> str:
    """A CloudWatch embedded-metric-format line (stdout in Lambda → the metric the
    FxRatesStaleAlarm watches). No rate landed yet counts as very stale (9999)."""
    return json.dumps(
        {
            "_aws": {
                "Timestamp": int(now.timestamp() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": "ledgerlake",
                        "Dimensions": [["source"]],
                        "Metrics": [{"Name": METRIC, "Unit": "Count"}],
                    }
                ],
            },
            "source": SOURCE,
            METRIC: 9999 if age is None else age,
            "latest_rate_date": latest.isoformat() if latest else None,
        }
    )
