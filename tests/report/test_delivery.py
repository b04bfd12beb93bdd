"""Delivery: SES on a moto server, the published-marts path, and the browser screenshot."""

from __future__ import annotations

import email
import email.policy

import boto3
import pytest
from botocore.exceptions import ClientError
from mini_warehouse import AS_OF, WEEK

SENDER = "finance-reports@example.com"
RECIPIENTS = ["cfo@example.com", "ceo@example.com"]


@pytest.fixture
def ses(s3_endpoint, monkeypatch, mini_warehouse):
    """SES on the session's moto server; the email reads the hand-built warehouse."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SES", s3_endpoint)
    monkeypatch.setenv("LEDGERLAKE_WAREHOUSE", str(mini_warehouse))
    monkeypatch.setenv("LEDGERLAKE_EMAIL_SENDER", SENDER)
    monkeypatch.setenv("LEDGERLAKE_EMAIL_RECIPIENTS", ",".join(RECIPIENTS))
    monkeypatch.setenv("LEDGERLAKE_REPORT_TIMEZONE", "America/New_York")
    return boto3.client("ses", region_name="us-east-1")


def _backend():
    """What the moto server (same process) recorded."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]


def _sent_by_moto(message_id: str):
    return next(m for m in _backend().sent_messages if m.id == message_id)


def test_unverified_sender_is_refused(ses):
    from ledgerlake.handlers.kpi_email import handler

    ses.delete_identity(Identity=SENDER)
    with pytest.raises(ClientError, match="MessageRejected"):
        handler({"as_of": AS_OF.isoformat()}, None)


def test_lambda_sends_through_ses(ses):
    from ledgerlake.handlers.kpi_email import handler

    ses.verify_email_identity(EmailAddress=SENDER)
    before = len(_backend().sent_messages)
    result = handler({"as_of": AS_OF.isoformat()}, None)
    assert result["sent"] and result["week_start"] == WEEK.isoformat()
    assert len(_backend().sent_messages) == before + 1  # one message, to all recipients

    sent = _sent_by_moto(result["message_id"])
    assert sent.source == SENDER and set(sent.destinations) == set(RECIPIENTS)
    msg = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert msg["Subject"] == result["subject"] == "ledgerlake weekly KPIs: week of 09 Jun 2025"
    assert msg["From"] == SENDER and msg["To"] == ", ".join(RECIPIENTS)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "KEY METRICS" in text and "Vendor paid twice" in text
    assert 'data-kpi="revenue"' in html
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and f"cid:{images[0]['Content-ID'].strip('<>')}" in html
    assert images[0].get_content()[:4] == b"\x89PNG"


def test_published_parquet_marts_give_the_same_email(lake, mini_warehouse, monkeypatch):
    """The Lambda has no warehouse file: it reads the Parquet marts the transform publishes."""
    import duckdb

    from ledgerlake.analyst import connect
    from ledgerlake.lake import configure_duckdb
    from ledgerlake.report import weekly_email
    from ledgerlake.report.settings import ReportSettings

    bucket = lake.settings.marts_bucket
    src = duckdb.connect(str(mini_warehouse), read_only=True)
    configure_duckdb(src, lake.settings)
    for schema, table in src.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
    ).fetchall():
        # The published layout: dbt marts at marts/{table}/, other schemas at marts/{schema}/{table}/.
        prefix = f"marts/{table}" if schema == "marts" else f"marts/{schema}/{table}"
        src.execute(f"copy {schema}.{table} to 's3://{bucket}/{prefix}/{table}.parquet' (format parquet)")
    src.close()

    monkeypatch.setenv("LEDGERLAKE_REPORT_TIMEZONE", "America/New_York")
    settings = ReportSettings.from_env()
    from_file = weekly_email(connect(mini_warehouse, source="warehouse", lake=False), as_of=AS_OF, settings=settings)
    from_s3 = weekly_email(connect(source="s3", settings=lake.settings), as_of=AS_OF, settings=settings)
    assert from_s3.rendered.text == from_file.rendered.text
    assert from_s3.rendered.chart_png == from_file.rendered.chart_png


@pytest.mark.browser
def test_screenshot_in_headless_chromium(mini_warehouse, artifacts_dir, monkeypatch, tmp_path):
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from ledgerlake.analyst import connect
    from ledgerlake.report import weekly_email, write_local
    from ledgerlake.report.settings import ReportSettings

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("headless Chromium is missing: `make browser` installs Debian's chromium")
    monkeypatch.setenv("LEDGERLAKE_REPORT_TIMEZONE", "America/New_York")
    mail = weekly_email(
        connect(mini_warehouse, source="warehouse", lake=False), as_of=AS_OF, settings=ReportSettings.from_env()
    )
    paths = write_local(mail, tmp_path / "email")
    shot = artifacts_dir / "weekly-email-mini.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 800, "height": 900})
            page.goto(paths["html"].as_uri())
            chart = page.locator("img[alt^='Cash balance']")
            assert chart.evaluate("img => img.complete && img.naturalWidth") == 1280  # the chart loaded
            assert page.locator("#kpis tr[data-kpi]").count() == len(mail.report.kpis)
            revenue = page.locator("tr[data-kpi='revenue'] td[data-col='current']").inner_text()
            assert revenue == mail.report.kpis[0].current_text
            # The 640px layout stays inside a phone-ish viewport's scroll width, no overflow.
            assert page.evaluate("document.documentElement.scrollWidth") <= 800
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 20_000
