"""The weekly email's bank reconciliation section on the simulated company's build: its
figures equal the bank marts, read here with independent SQL."""

from __future__ import annotations

from datetime import timedelta

from test_weekly_email import _settings
from test_weekly_email_company import _last_whole_week, company_conn  # noqa: F401 (fixture)

from ledgerlake.report import weekly_email


def test_email_reconciliation_section_equals_the_bank_marts(company_conn, monkeypatch):
    conn = company_conn
    week, monday = _last_whole_week(conn)
    mail = weekly_email(conn, as_of=monday, settings=_settings(monkeypatch))
    lines, matched = conn.execute(
        "select count(*), count(m.bank_line_id) from intermediate.int_bank_lines b "
        "left join (select distinct bank_line_id from marts.bank_matches) m on m.bank_line_id = b.bank_line_id "
        "where b.line_date between ? and ?",
        [week, week + timedelta(days=6)],
    ).fetchone()
    waiting = conn.execute(
        "select count(*) from marts.bank_unmatched where needs_review and line_date <= ?", [week + timedelta(days=6)]
    ).fetchone()[0]
    text = mail.rendered.text
    assert "BANK RECONCILIATION" in text
    assert f"{lines} bank lines this week: {matched} matched to the books" in text
    assert f"Waiting for review: {waiting}" in text
    assert 'id="reconciliation"' in mail.rendered.html
    # the process KPIs of #19 as the weekly mart has them: invoice errors, duplicate payments,
    # and webhook-to-mart latency for every source with webhooks
    issued, in_error, bills, duplicates = conn.execute(
        "select invoices_issued, invoices_in_error, bills_paid, duplicate_bills_paid from marts.finance_kpis_weekly "
        "where week_start = ?",
        [week],
    ).fetchone()
    assert f"({in_error} of {issued} invoices issued this week later voided or deleted" in text
    assert f"({duplicates} of {bills} bills paid)" in text
    latency = text.split("Webhook to mart", 1)[1].split("\n", 1)[0]
    assert all(f" {source} " in latency for source in ("stripe", "shopify", "hubspot", "qbo", "xero", "plaid"))
    assert 'id="latency"' in mail.rendered.html
