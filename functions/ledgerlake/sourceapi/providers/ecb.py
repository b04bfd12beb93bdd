"""The ECB's euro foreign exchange reference rates, as published at
https://www.ecb.europa.eu/stats/eurofxref/ (no auth, no paging):

* `GET /eurofxref-daily.xml` — the latest publication day;
* `GET /eurofxref-hist-90d.xml` — the publications of the last 90 calendar days;
* `GET /eurofxref-hist.xml` — every publication;
* `GET /eurofxref-hist.zip` / `GET /eurofxref.zip` — the same history / the latest day as CSV.

The simulation publishes its rates as the ECB would (`DIR/reference/ecb/eurofxref-hist.xml`,
written by the simulator: EUR-based, TARGET business days only). At the server's clock a
day's rates are visible from 15:00 UTC that day (the ECB publishes "around 16:00 CET").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ...sources.ecb import feed
from ..server import Reply

PUBLISHED_AT_UTC = timedelta(hours=15)
SIM_FEED = ("reference", "ecb", "eurofxref-hist.xml")


def _text(status: int, message: str) -> Reply:
    return Reply(status, message.encode(), {"Content-Type": "text/plain; charset=utf-8"})


def check_auth(api, req) -> Reply | None:
    return None  # a public feed


def rate_limited(api, retry_after: int) -> Reply:
    return Reply(429, b"Too Many Requests", {"Content-Type": "text/plain", "Retry-After": str(retry_after)})


def server_error(api) -> Reply:
    return _text(503, "Service Unavailable")


def _published(api) -> feed.Rates:
    """Every publication of the simulation (parsed once per server)."""
    with api.lock:
        rates = api.state.get("ecb")
        if rates is None:
            path = api.store.sim_dir.joinpath(*SIM_FEED)
            rates = feed.parse_xml(path.read_bytes()) if path.exists() else {}
            api.state["ecb"] = rates
    return rates


def visible(rates: feed.Rates, clock: float) -> feed.Rates:
    moment = datetime.fromtimestamp(clock, UTC)
    last = (moment - PUBLISHED_AT_UTC).date()
    return {d: r for d, r in rates.items() if d <= last}


def handle(api, req) -> Reply:
    if req.method != "GET":
        return _text(405, "Method Not Allowed")
    rates = visible(_published(api), api.clock)
    if not rates:
        return _text(404, "No reference rates published (the simulation has no reference/ecb feed yet)")
    name = req.path.lstrip("/")
    newest = max(rates)
    if name == feed.DAILY:
        body, kind = feed.render_xml({newest: rates[newest]}), "text/xml"
    elif name == feed.HIST_90D:
        since = datetime.fromtimestamp(api.clock, UTC).date() - timedelta(days=90)
        body, kind = feed.render_xml({d: r for d, r in rates.items() if d >= since}), "text/xml"
    elif name == feed.HIST:
        body, kind = feed.render_xml(rates), "text/xml"
    elif name == feed.HIST_ZIP:
        body, kind = feed.render_csv_zip(rates), "application/zip"
    elif name == "eurofxref.zip":
        body, kind = feed.render_csv_zip({newest: rates[newest]}, "eurofxref.csv"), "application/zip"
    else:
        return _text(404, f"Not Found: /{name}")
    modified = datetime.combine(newest, datetime.min.time(), UTC) + PUBLISHED_AT_UTC
    return Reply(200, body, {"Content-Type": kind, "Last-Modified": modified.strftime("%a, %d %b %Y %H:%M:%S GMT")})


def first_day(api) -> date | None:
    rates = _published(api)
    return min(rates) if rates else None
