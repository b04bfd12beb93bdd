"""`ledgerlake dashboard` served for real, every page loaded in headless Chromium: real
content rendered (Streamlit draws over a websocket, so we wait for each page's heading and
a metric or table), no error element, one screenshot per page kept in tests/artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledgerlake.bench.dashboard import (CHROMIUM, CHROMIUM_ARGS, free_port, serve_dashboard, stop, wait_for_port,
                                        wait_until_ready)

PAGES = [
    ("", "Overview", "Runway"),
    ("cash", "Cash", "Cash in 13 weeks (p50)"),
    ("revenue", "Revenue & pipeline", "Revenue in the period"),
    ("receivables", "Receivables & payables", "Open receivables"),
    ("alerts", "Alerts", "Alert detail"),
    ("health", "Integration health", "Integrity findings"),
]


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_renders_in_chromium(dashboard_env, artifacts_dir):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make browser` installs it")
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = serve_dashboard(port, dict(os.environ, **dashboard_env["env"]))
    try:
        wait_for_port(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path, heading, marker in PAGES:
                page.goto(f"http://127.0.0.1:{port}/{path}")
                page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=30000)
                page.get_by_text(marker, exact=True).first.wait_for(timeout=30000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1000)  # charts draw after the data arrives
                page.screenshot(path=str(artifacts_dir / f"dashboard-{path or 'overview'}.png"), full_page=True)
                errors = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
                assert errors.count() == 0, f"{heading}: {errors.first.inner_text()}"
            browser.close()
        # The server's own warm-up visit (commands/dashboard.py) ran the Overview to the end
        # over the same websocket protocol the browser speaks.
        wait_until_ready(proc, timeout=60)
        ready = [line for line in proc.output if line.startswith("ledgerlake dashboard: ready")]
        assert "warm-up failed" not in ready[0], ready[0]
    finally:
        stop(proc)
    assert proc.returncode is not None
