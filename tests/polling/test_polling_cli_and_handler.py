"""The operator's ways in: `ledgerlake sources serve` + `ledgerlake poll` as processes
(config from local.env), and the poller Lambda handler with a short time budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polling_truth as truth
from polling_minisim import END

from ledgerlake.polling.dedupe import latest_from_lake

BIN = Path(sys.executable).parent / "ledgerlake"


def test_serve_and_poll_commands(company, lake, tmp_path):
    env = {**os.environ, "LEDGERLAKE_HOME": str(tmp_path / "home")}
    server = subprocess.Popen(
        [str(BIN), "sources", "serve", "--dir", str(company), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not lines or lines[-1] != "}":
            line = server.stdout.readline()
            assert line, server.stderr.read()
            lines.append(line.rstrip("\n"))
        base_urls = json.loads("\n".join(lines))
        local_env = (tmp_path / "home" / "local.env").read_text()
        assert "STRIPE_API_KEY=sk_test_" in local_env and "XERO_TENANT_ID=" in local_env
        done = subprocess.run(
            [str(BIN), "poll", "qbo", "--base-url", base_urls["qbo"]],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "qbo: complete" in done.stderr
        assert set(latest_from_lake(lake, "qbo")) == truth.expected(company, "qbo", END.timestamp())
        shown = subprocess.run(
            [str(BIN), "poll", "qbo", "--show-cursors"], env=env, capture_output=True, text=True, timeout=60
        )
        assert json.loads(shown.stdout)["qbo/cdc"]["changed_since"].startswith("2025-")
    finally:
        server.terminate()
        server.wait(timeout=10)


class FakeContext:
    def __init__(self, seconds):
        self.seconds = seconds

    def get_remaining_time_in_millis(self):
        return int(self.seconds * 1000)


def test_poller_handler_stops_within_budget_and_resumes(company, providers, lake, monkeypatch):
    from ledgerlake.handlers import poller

    monkeypatch.setenv("XERO_API_BASE_URL", providers.base_urls["xero"])
    for name in ("XERO_ACCESS_TOKEN", "XERO_TENANT_ID"):
        monkeypatch.setenv(name, providers.credentials[name])
    monkeypatch.setattr(poller, "SAFETY_MARGIN_S", 0.0)
    providers.fault("xero:slow=1,0.4")  # every answer takes 0.4 s: a 1 s invocation cannot finish
    first = poller.handler({"source": "xero"}, FakeContext(1.0))
    assert first["complete"] is False and first["stopped"] == "budget" and first["pages_landed"] >= 1
    providers.clear_faults()
    second = poller.handler({"source": "xero"}, FakeContext(60))
    assert second["complete"] is True
    assert set(latest_from_lake(lake, "xero")) == truth.expected(company, "xero", END.timestamp())
