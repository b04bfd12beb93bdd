"""The ECB's real published document, polled over HTTP, landed verbatim and built by dbt:
every cross rate the staging model derives equals the Python rule (JPY, IDR included), the
weekend carries Friday's rates and says so, and a hand-uploaded file overrides the pairs it
holds while the feed fills the rest."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import REAL_DAILY

from ledgerlake.sources.ecb import feed

FRIDAY = date(2024, 6, 28)
MODELS = ["stg_reference__fx_rates", "int_fx_pair_rates_daily", "int_fx_rates_daily"]


@pytest.fixture
def real_ecb():
    """The real document at both feed URLs, byte for byte (the history is that one day)."""
    body = REAL_DAILY.read_bytes()

    class Ecb(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path in ("/" + feed.DAILY, "/" + feed.HIST, "/" + feed.HIST_90D)
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ecb)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _rows(warehouse, sql, *params):
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_real_ecb_document_through_poller_and_dbt(lake, real_ecb, monkeypatch):
    from ledgerlake.polling import poll_source
    from ledgerlake.transform import build

    result = poll_source("ecb", lake=lake, base_url=real_ecb, land_workers=0)
    assert result.complete and result.pages_landed == 1
    (key,) = list(lake.keys("raw/source=ecb/"))
    assert lake.read(key)[1] == REAL_DAILY.read_text(encoding="utf-8")  # verbatim

    # A hand-uploaded file: one pair the feed also has (the file wins), one day it has not.
    lake.s3.put_object(
        Bucket=lake.bucket,
        Key="reference/fx_rates/fx_rates.csv",
        Body=b"date,base,quote,rate\n2024-06-28,EUR,CHF,0.9500000000\n2024-07-01,USD,GBP,0.8000000000\n",
    )
    built = build(select=MODELS, stream=None, export=False)
    assert built.success, built.failures
    rows = {
        (b, q): (r, s)
        for b, q, r, s in _rows(
            built.warehouse,
            "select base_currency, quote_currency, rate, rate_source from staging.stg_reference__fx_rates "
            "where rate_date = ?",
            FRIDAY,
        )
    }
    want = feed.cross_rates(feed.parse_xml(REAL_DAILY.read_bytes())[FRIDAY])
    assert len(want) == 930 and set(rows) == set(want)
    assert rows.pop(("EUR", "CHF")) == (Decimal("0.95"), "file")
    # every other pair: SQL's integer half-even == the Python rule (JPY, IDR, HUF included)
    assert rows == {pair: (rate, "ecb") for pair, rate in want.items() if pair != ("EUR", "CHF")}

    # Saturday and Sunday carry Friday's publication and say so; Monday has the file's rate
    carried = _rows(
        built.warehouse,
        "select rate_date, rate, published_on from intermediate.int_fx_pair_rates_daily "
        "where base_currency = 'USD' and quote_currency = 'GBP' and rate_date between ? and ? "
        "order by rate_date",
        FRIDAY,
        FRIDAY + timedelta(days=3),
    )
    assert carried == [(FRIDAY + timedelta(days=i), Decimal("0.7906398879"), FRIDAY) for i in range(3)] + [
        (FRIDAY + timedelta(days=3), Decimal("0.8"), FRIDAY + timedelta(days=3))
    ]
    sunday = _rows(
        built.warehouse,
        "select rate, published_on from intermediate.int_fx_rates_daily where currency = 'JPY' and rate_date = ?",
        FRIDAY + timedelta(days=2),
    )
    assert sunday == [(want[("JPY", "USD")], FRIDAY)]

    # LEDGERLAKE_FX_CURRENCIES keeps the feed to what the company uses (EUR always); the file is not filtered
    monkeypatch.setenv("LEDGERLAKE_FX_CURRENCIES", "usd, GBP")
    narrow = build(select=["stg_reference__fx_rates"], stream=None, export=False)
    assert narrow.success, narrow.failures
    kept = _rows(
        narrow.warehouse,
        "select base_currency, quote_currency, rate_source from staging.stg_reference__fx_rates "
        "where rate_date = ? order by all",
        FRIDAY,
    )
    assert kept == [
        ("EUR", "CHF", "file"),
        ("EUR", "GBP", "ecb"),
        ("EUR", "USD", "ecb"),
        ("GBP", "EUR", "ecb"),
        ("GBP", "USD", "ecb"),
        ("USD", "EUR", "ecb"),
        ("USD", "GBP", "ecb"),
    ]
