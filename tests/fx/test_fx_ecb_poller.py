"""The ECB poller over HTTP against the local provider server: backfill on the first run,
then daily; gaps filled from the 90-day feed; idempotent; a bad body quarantined with no
cursor moved. Plus the formats themselves on the ECB's real published document."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import REAL_DAILY

from ledgerlake.sources.ecb import feed


def test_parses_the_ecbs_real_daily_document():
    rates = feed.parse_xml(REAL_DAILY.read_bytes())
    assert list(rates) == [date(2024, 6, 28)]
    day = rates[date(2024, 6, 28)]
    assert len(day) == 30
    assert day["USD"] == Decimal("1.0705") and day["GBP"] == Decimal("0.84638") and day["IDR"] == Decimal("17487.21")
    assert str(day["HUF"]) == "395.10"  # trailing zeros as published: exact text, no float


def test_cross_rates_go_through_eur_exactly():
    day = feed.parse_xml(REAL_DAILY.read_bytes())[date(2024, 6, 28)]
    pairs = feed.cross_rates(day)
    assert len(pairs) == 31 * 30
    # USD→GBP = GBP per EUR / USD per EUR = 0.84638 / 1.0705 = 0.79063988790284... (bc) → 10 places
    assert pairs[("USD", "GBP")] == Decimal("0.7906398879")
    assert pairs[("EUR", "USD")] == Decimal("1.0705000000") and pairs[("USD", "EUR")] == Decimal(
        "0.9341429239"
    )  # 0.93414292386735...
    assert pairs[("IDR", "USD")] == Decimal("0.0000612162")  # 0.00006121616884...: 6 significant digits kept
    # exact quotients stay exact; an exact tie at the 10th place rounds to even
    assert feed.cross_rate(Decimal(8), Decimal(1)) == Decimal("0.1250000000")
    assert feed.cross_rate(Decimal(2), Decimal("0.00000000005")) == Decimal("0E-10")  # 2.5e-11 → 0 (even)
    assert feed.cross_rate(Decimal(2), Decimal("0.00000000015")) == Decimal("1E-10")  # 7.5e-11 → 1e-10


def test_formats_round_trip_and_bad_documents_are_refused():
    rates = feed.parse_xml(REAL_DAILY.read_bytes())
    assert feed.parse_xml(feed.render_xml(rates)) == rates
    assert feed.parse_csv_zip(feed.render_csv_zip(rates)) == rates
    for bad in (
        b"<html><body>Service unavailable</body></html>",
        b"not xml at all",
        REAL_DAILY.read_bytes().replace(b"rate='1.0705'", b"rate='1,0705'"),
        REAL_DAILY.read_bytes().replace(b"rate='1.0705'", b"rate='-1'"),
    ):
        with pytest.raises(feed.FeedError):
            feed.parse_xml(bad)


def test_target_calendar():
    assert not feed.is_publication_day(date(2024, 6, 29))  # Saturday
    assert not feed.is_publication_day(date(2024, 3, 29))  # Good Friday 2024
    assert not feed.is_publication_day(date(2024, 4, 1))  # Easter Monday 2024
    assert not feed.is_publication_day(date(2024, 12, 26))
    assert feed.is_publication_day(date(2024, 6, 28))
    assert feed.business_days_between(date(2024, 6, 28), date(2024, 7, 2)) == 2


@pytest.fixture
def providers(ecb_sim):
    from ledgerlake.sourceapi import serve_in_thread

    running = serve_in_thread(ecb_sim, clock="2024-06-20T18:00:00Z")
    yield running
    running.stop()


def _poll(lake, url):
    from ledgerlake.polling import poll_source

    return poll_source("ecb", lake=lake, base_url=url, land_workers=0)


def _ecb_objects(lake):
    return sorted(k for k in lake.keys("raw/source=ecb/"))


def test_first_run_backfills_then_daily_then_gap_fill(lake, providers):
    from ledgerlake.polling.cursors import CursorStore

    url = providers.base_urls["ecb"]
    first = _poll(lake, url)
    assert first.complete and first.streams["hist"].pages_landed == 1
    keys = _ecb_objects(lake)
    envelope, payload = lake.read(keys[0])
    assert envelope["extra"]["feed"] == "eurofxref-hist.xml" and envelope["extra"]["payload_format"] == "xml"
    assert envelope["extra"]["first_day"] == "2024-04-22" and envelope["extra"]["last_day"] == "2024-06-20"
    # the body verbatim: the payload is the XML text the server sent
    served = providers.api.providers["ecb"]
    assert feed.parse_xml(payload.encode()) == served.visible(served._published(providers.api), providers.api.clock)
    cursors = CursorStore(lake)
    assert cursors.get("ecb", "hist")["through"] == "2024-06-20"

    again = _poll(lake, url)  # same clock: nothing new, nothing written
    assert again.pages_landed == 0 and _ecb_objects(lake) == keys

    providers.set_clock("2024-06-21T18:00:00Z")  # Friday's publication: the daily feed
    daily = _poll(lake, url)
    assert daily.streams["daily"].pages_landed == 1 and "hist" not in daily.streams
    assert cursors.get("ecb", "daily")["through"] == "2024-06-21"

    providers.set_clock("2024-06-23T18:00:00Z")  # the weekend: nothing published
    assert _poll(lake, url).pages_landed == 0

    providers.set_clock("2024-07-05T18:00:00Z")  # down for two weeks: the 90-day feed fills the gap
    gap = _poll(lake, url)
    assert gap.streams["hist"].pages_landed == 1 and "daily" not in gap.streams  # the 90 days hold today too
    assert cursors.get("ecb", "hist") == {"through": "2024-07-05", "feed": "eurofxref-hist-90d.xml"}
    landed_days = set()
    for key in _ecb_objects(lake):
        landed_days |= set(feed.parse_xml(lake.read(key)[1].encode()))
    assert landed_days == set(feed.publication_days(date(2024, 4, 22), date(2024, 7, 5)))
    # the poller's reference dedupe: one record per (day, currency), three currencies a day
    from ledgerlake.polling.dedupe import latest_from_lake

    assert len(latest_from_lake(lake, "ecb")) == 3 * len(landed_days)


def test_a_body_that_is_not_a_feed_is_quarantined_and_no_cursor_moves(lake):
    from ledgerlake.polling.cursors import CursorStore

    class Html(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>Maintenance</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(feed.FeedError, match="quarantined"):
            _poll(lake, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert _ecb_objects(lake) == []
    assert CursorStore(lake).get("ecb", "hist") is None and CursorStore(lake).get("ecb", "daily") is None
    quarantined = list(lake.keys("quarantine/source=ecb/"))
    assert len(quarantined) == 1 and lake.read_bytes(quarantined[0]).startswith(b"<html>")


def test_local_server_speaks_the_ecb_formats(providers):
    import urllib.request

    base = providers.base_urls["ecb"]
    with urllib.request.urlopen(f"{base}/eurofxref-daily.xml") as r:
        assert r.headers["Content-Type"] == "text/xml"
        assert list(feed.parse_xml(r.read())) == [date(2024, 6, 20)]
    with urllib.request.urlopen(f"{base}/eurofxref-hist.zip") as r:
        days = feed.parse_csv_zip(r.read())
    assert max(days) == date(2024, 6, 20) and min(days) == date(2024, 4, 22)
    with urllib.request.urlopen(f"{base}/eurofxref-hist-90d.xml") as r:
        assert min(feed.parse_xml(r.read())) >= date(2024, 3, 22)
    assert json.loads(urllib.request.urlopen(f"{providers.url}/_control/state").read())["base_urls"]["ecb"] == base
