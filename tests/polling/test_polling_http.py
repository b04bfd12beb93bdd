"""The poller's HTTP client against a tiny scripted server: Retry-After (seconds and
HTTP-date), full-jitter backoff on 5xx, giving up at max attempts, and the budget."""

from __future__ import annotations

import email.utils
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ledgerlake.polling.http import Budget, BudgetExhausted, HttpClient, RetryPolicy, retry_after_seconds


@pytest.fixture
def scripted():
    """A server answering from a list of (status, headers) in order, then 200s."""
    script: list[tuple[int, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers = script.pop(0) if script else (200, {})
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", script
    server.shutdown()


def test_retry_after_forms():
    assert retry_after_seconds("3") == 3.0
    later = email.utils.format_datetime(email.utils.localtime(), usegmt=True)
    assert 0 <= retry_after_seconds(later) <= 1
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_429_waits_what_retry_after_says(scripted):
    url, script = scripted
    script += [(429, {"Retry-After": "2"}), (429, {"Retry-After": "1"})]
    slept = []
    client = HttpClient(sleep=slept.append)
    assert client.request("GET", url).status == 200
    assert slept == [2.0, 1.0] and client.stats.retries_429 == 2


def test_5xx_backoff_is_jittered_and_growing(scripted):
    url, script = scripted
    script += [(503, {})] * 4
    slept = []
    client = HttpClient(sleep=slept.append, rng=random.Random(1), policy=RetryPolicy(base_delay=1, max_delay=100))
    assert client.request("GET", url).status == 200
    assert len(slept) == 4
    caps = [min(100, 1 * 2**a) for a in range(1, 5)]
    assert all(0 <= s <= cap for s, cap in zip(slept, caps)) and len(set(slept)) == 4


def test_gives_up_after_max_attempts(scripted):
    url, script = scripted
    script += [(500, {})] * 10
    client = HttpClient(sleep=lambda s: None, policy=RetryPolicy(max_attempts=3))
    assert client.request("GET", url).status == 500 and client.stats.requests == 3


def test_a_wait_longer_than_the_budget_stops_the_run(scripted):
    url, script = scripted
    script += [(429, {"Retry-After": "60"})]
    client = HttpClient(budget=Budget(5), sleep=lambda s: pytest.fail("must not sleep"))
    started = time.monotonic()
    with pytest.raises(BudgetExhausted):
        client.request("GET", url)
    assert time.monotonic() - started < 2
