"""The Actions page and `ledgerlake actions`: proposals shown with their evidence and the
request they would send; approve / reject recorded with who decided, in the lake."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _two_actions(lake):
    from ledgerlake.workflows import ActionStore, Modes
    from ledgerlake.workflows.propose import Proposal
    from ledgerlake.workflows.run import RunSummary, sync_actions

    proposals = [
        Proposal(
            "paid_to_crm",
            "US",
            "update_deal",
            "hubspot",
            ("paid_to_crm", "deal", str(n)),
            {
                "object_type": "deals",
                "object_id": str(n),
                "pipeline": "default",
                "mark_won": n == 1,
                "properties": {"ledgerlake_payment_status": "paid", "ledgerlake_amount_outstanding": "0.00"},
            },
            f"Deal {n}: invoice {1000 + n} is paid in the ledger.",
            {"mart": "crm_deal_invoices"},
        )
        for n in (1, 2)
    ]
    store = ActionStore(lake)
    sync_actions(store, {"paid_to_crm": proposals}, Modes.parse("paid_to_crm.US=draft"), RunSummary())
    return store, [p.action_id for p in proposals]


def test_actions_page_shows_the_proposals_and_records_an_approval(lake):
    from streamlit.testing.v1 import AppTest

    store, ids = _two_actions(lake)
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/actions.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Actions"
    shown = at.dataframe[0].value
    assert sorted(shown["action_id"].to_list()) == sorted(ids)
    assert set(shown["status"].to_list()) == {"awaiting_approval"}
    at.selectbox(key="action_pick").set_value(ids[0]).run()
    assert any("dealstage" in j.value for j in at.json)  # the request it would send, stage move included
    at.button(key=f"approve_{ids[0]}").click().run()
    saved = store.get(ids[0])
    assert saved["status"] == "pending" and saved["approved_by"] == "local"
    assert [r["event"] for r in store.audit_records(ids[0])] == ["proposed", "approved"]


def test_cli_lists_approves_and_rejects(lake, capsys):
    from ledgerlake.cli import main

    store, ids = _two_actions(lake)
    assert main(["actions", "list", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {row["action_id"] for row in listed} == set(ids)
    assert main(["actions", "reject", ids[1], "--reason", "deal was lost", "--by", "cfo"]) == 0
    assert store.get(ids[1])["status"] == "rejected" and store.get(ids[1])["reject_reason"] == "deal was lost"
    assert main(["actions", "approve", ids[1]]) == 1  # a decided action stays decided
    assert "only open actions" in capsys.readouterr().out
    assert main(["actions", "list", "--status", "awaiting_approval", "--json"]) == 0
    assert [json.loads(line)["action_id"] for line in capsys.readouterr().out.splitlines()] == [ids[0]]


def test_weekly_email_counts_the_open_actions(lake, monkeypatch):
    """The email's write-back line: what waits for a person, and what a provider refused."""
    from ledgerlake.report.render import render
    from ledgerlake.report.weekly import WeeklyReport, _writeback_counts

    store, ids = _two_actions(lake)
    refused = store.get(ids[1])
    refused.update(status="pending", last_error="429 rate limited")
    store.save(refused)
    counts = _writeback_counts()
    assert counts == {"awaiting_approval": 1, "refused": 1, "applied": 0}
    from datetime import date

    report = WeeklyReport(
        company="Northwind",
        currency="USD",
        as_of=date(2025, 6, 16),
        week_start=date(2025, 6, 9),
        week_end=date(2025, 6, 15),
        timezone="UTC",
        kpis=[],
        cash_actuals=[],
        forecast=[],
        alerts=[],
        health=[],
        writeback=counts,
    )
    rendered = render(report)
    assert "Write-back: 1 awaiting approval, 1 refused by the provider" in rendered.text
    assert 'id="writeback"' in rendered.html and "1 refused by the provider" in rendered.html
