"""Write-back end to end on the simulated company, through the local provider servers.

The tests run in file order on one company: dry run → refused writes → auto → the next
poll and build clear the integrity marts → a second run writes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from ledgerlake.sourceapi import writes as server_writes

STATE: dict = {}


def _query(warehouse, sql):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _run(company, modes="", credentials=None, **kw):
    from ledgerlake.workflows import Modes, run_writeback

    with company["use_env"]():
        return run_writeback(
            lake=company["lake"],
            warehouse=company["warehouse"],
            modes=Modes.parse(modes),
            base_urls=company["providers"].base_urls,
            credentials=credentials or company["providers"].credentials,
            **kw,
        )


def _actions(company):
    from ledgerlake.workflows import ActionStore

    return {a["action_id"]: a for a in ActionStore(company["lake"]).all()}


def _sim_line_items(company) -> dict[str, list[dict]]:
    """{deal id: its HubSpot line items as the simulator made them, in quote order}."""
    import json

    out: dict[str, list[dict]] = {}
    for text in (company["sim"] / "api" / "hubspot" / "line_items.jsonl").read_text().splitlines():
        obj = json.loads(text)["object"]
        deal = obj["associations"]["deals"]["results"][0]["id"]
        out.setdefault(deal, []).append(obj["properties"])
    return {d: sorted(rows, key=lambda p: int(p["hs_position_on_quote"])) for d, rows in out.items()}


def _planted_deals(company):
    return {r["id"] for p in company["problems"] if p["kind"] == "won_deal_not_invoiced" for r in p["records"]}


def test_dry_run_proposes_and_writes_nothing(company):
    summary = _run(company)  # no configuration: dry-run everywhere
    assert server_writes.counts(company["providers"].api) == {}
    actions = _actions(company)
    assert actions and all(a["status"] == "dry_run" for a in actions.values())
    invoices = [a for a in actions.values() if a["kind"] == "create_invoice"]
    # every planted won-deal-without-invoice, in the right ledger, and nothing else
    assert {a["payload"]["deal_id"] for a in invoices} == _planted_deals(company)
    assert sorted((a["entity_id"], a["system"]) for a in invoices) == [("UK", "xero"), ("US", "qbo"), ("US", "qbo")]
    planted_open = {
        r["id"]
        for p in company["problems"]
        if p["kind"] == "paid_invoice_deal_open"
        for r in p["records"]
        if r["source"] == "hubspot"
    }
    won = [a for a in actions.values() if a["kind"] == "update_deal" and a["payload"]["mark_won"]]
    assert {a["payload"]["object_id"] for a in won} == planted_open
    assert summary.proposed == len(actions) and summary.applied == 0
    # payment terms: the customer's own (its latest invoice in that ledger), else the default
    for action in invoices:
        customer, evidence = action["payload"]["customer"], action["evidence"]
        latest = _query(
            company["warehouse"],
            "select cast(due_date - issued_on as integer) from marts.ar_ap_documents where document_kind = 'AR' "
            f"and contact_key = '{action['system']}:{customer['ledger_id']}' and not is_voided and not is_deleted "
            "order by issued_on desc, document_key desc limit 1",
        )
        if latest:
            assert evidence["terms_from"] == "the customer's latest invoice"
            assert action["payload"]["terms_days"] == latest[0][0]
        else:
            assert (evidence["terms_from"], action["payload"]["terms_days"]) == ("LEDGERLAKE_WRITEBACK_TERMS_DAYS", 30)
    # the dry run shows the request it would send
    uk = next(a for a in invoices if a["system"] == "xero")
    body = uk["preview"]["body"]["Invoices"][0]
    assert body["Status"] == "DRAFT" and body["Reference"] == f"HS-DEAL-{uk['payload']['deal_id']}"
    STATE["dry_run"] = {k: (a["payload"], a["preview"]) for k, a in actions.items()}


def test_refused_writes_stay_pending_with_the_reason(company):
    providers = company["providers"]
    providers.fault("qbo:5xx=1", "xero:429=1,100,0")  # QuickBooks down, Xero rate limiting every request
    bad_token = dict(providers.credentials, HUBSPOT_ACCESS_TOKEN="revoked-token")
    try:
        summary = _run(company, "*.*=auto", credentials=bad_token)
    finally:
        providers.clear_faults()
    assert summary.applied == 0 and summary.refused == len(STATE["dry_run"])
    assert server_writes.counts(providers.api) == {}
    actions = _actions(company)
    reasons = {a["system"]: a["last_error"] for a in actions.values()}
    assert all(a["status"] == "pending" and a["attempts"] == 1 for a in actions.values())
    assert reasons["qbo"].startswith("503") and "Service Unavailable" in reasons["qbo"]
    assert reasons["xero"].startswith("429") and "Rate limit" in reasons["xero"]
    assert reasons["hubspot"].startswith("401") and "INVALID_AUTHENTICATION" in reasons["hubspot"]

    # A validation error: the customer id the lake holds no longer exists in QuickBooks.
    from ledgerlake.workflows import ActionStore
    from ledgerlake.workflows.run import Writers, attempt

    store = ActionStore(company["lake"])
    action = next(a for a in actions.values() if a["system"] == "qbo")
    action["payload"] = dict(action["payload"], customer=dict(action["payload"]["customer"], ledger_id="999999"))
    with company["use_env"]():
        assert not attempt(store, action, Writers(providers.base_urls, providers.credentials), "test")
    saved = store.get(action["action_id"])
    assert saved["status"] == "pending" and "Invalid Reference Id" in saved["last_error"]
    assert server_writes.counts(providers.api) == {}
    audit = store.audit_records(action["action_id"])
    assert [r["event"] for r in audit][-1] == "refused" and audit[-1]["exchanges"][-1]["status"] == 400


def test_auto_writes_each_proposal_once_as_the_dry_run_showed(company):
    providers = company["providers"]
    summary = _run(company, "*.*=auto")
    actions = _actions(company)
    assert summary.refused == 0 and all(a["status"] == "applied" for a in actions.values())
    # the retried actions were written once each: one invoice per planted deal
    log = server_writes.log(providers.api)
    creates = [w for w in log if w["resource"] in ("Invoice", "Invoices") and w["method"] == "create"]
    assert len(creates) == len(_planted_deals(company))
    # dry-run proposals == what auto wrote: same actions, same payloads, and the request sent is
    # the request the dry run showed (the QuickBooks customer resolved by name on the way)
    assert set(actions) == set(STATE["dry_run"])
    from ledgerlake.workflows import ActionStore

    store = ActionStore(company["lake"])
    for action_id, action in actions.items():
        payload, shown = STATE["dry_run"][action_id]
        assert action["payload"] == payload
        sent = [
            e
            for e in store.audit_records(action_id)[-1]["exchanges"]
            if e["method"] in ("POST", "PUT", "PATCH") and "/properties/" not in e["path"]
        ][-1]
        expected = shown["body"]
        if action["system"] == "qbo":
            expected = dict(expected, CustomerRef={"value": action["result"]["customer_id"]})
        if action["kind"] == "update_deal" and action["payload"]["mark_won"]:
            expected = {
                "properties": dict(expected["properties"], dealstage=sent["request"]["properties"]["dealstage"])
            }
        assert sent["request"] == expected
    STATE["writes"] = len(log)

    # each invoice carries its deal's line items as quoted in HubSpot: name, quantity, unit
    # price, and the product's ledger item (the mapped subscription SKU vs the services default)
    quoted = _sim_line_items(company)
    invoices = [a for a in actions.values() if a["kind"] == "create_invoice"]
    assert invoices and all(a["payload"]["deal_id"] in quoted for a in invoices)  # planted deals have line items
    api = providers.api
    for action in invoices:
        expected = quoted[action["payload"]["deal_id"]]
        if action["system"] == "qbo":
            doc = api.store.resource("qbo", "Invoice").get(action["result"]["invoice_id"], api.clock).obj
            got = [
                (ln["Description"], ln["SalesItemLineDetail"]["Qty"], ln["SalesItemLineDetail"]["UnitPrice"])
                + (ln["SalesItemLineDetail"]["ItemRef"]["value"],)
                for ln in doc["Line"]
                if ln["DetailType"] == "SalesItemLineDetail"
            ]
            items = ["2" if p["hs_sku"] == "NW-PLAT-12" else "1" for p in expected]
            total = doc["TotalAmt"]
        else:
            doc = api.store.resource("xero", "Invoices").get(action["result"]["invoice_id"], api.clock).obj
            got = [
                (ln["Description"], ln["Quantity"], ln["UnitAmount"], ln.get("ItemCode") or ln["AccountCode"])
                for ln in doc["LineItems"]
            ]
            items = ["NW-PLAT-12" if p["hs_sku"] == "NW-PLAT-12" else "200" for p in expected]
            total = doc["SubTotal"]
        assert [(str(d), Decimal(str(q)), Decimal(str(u)), i) for d, q, u, i in got] == [
            (p["name"], Decimal(p["quantity"]), Decimal(p["price"]), item) for p, item in zip(expected, items)
        ]
        assert Decimal(str(total)) == sum(Decimal(p["amount"]) for p in expected)


def test_next_poll_and_build_clear_the_integrity_marts(company):
    from ledgerlake.polling import poll_source
    from ledgerlake.transform import build

    providers = company["providers"]
    with company["use_env"]():
        for source in ("qbo", "xero", "hubspot"):
            result = poll_source(
                source, lake=company["lake"], base_url=providers.base_urls[source], credentials=providers.credentials
            )
            assert result.complete, result.summary()
        second = build(stream=None)
        assert second.success, second.failures
    wh = second.warehouse
    assert _query(wh, "select deal_id from marts.integrity_won_deals_without_invoice") == []
    assert _query(wh, "select document_key from marts.integrity_paid_invoices_open_deals") == []
    # exactly one invoice per planted deal, in its ledger
    planted = _planted_deals(company)
    qbo = _query(
        wh, "select deal_id, count(*) from marts.crm_deal_invoices where invoice_source_system = 'qbo' group by deal_id"
    )
    xero = _query(
        wh,
        "select regexp_extract(reference, '([0-9]+)$', 1), count(*), max(status) "
        "from staging.stg_xero__invoices where status = 'DRAFT' group by 1",
    )
    per_deal = {d: n for d, n in qbo if d in planted} | {d: n for d, n, _ in xero if d in planted}
    assert per_deal == dict.fromkeys(planted, 1)
    # the deals' line items came through the poll (search + v4 associations), every one on its deal
    landed = _query(wh, "select deal_id, line_item_name, quantity, unit_price from marts.crm_deal_line_items")
    quoted = _sim_line_items(company)
    assert sorted((d, n, q, u) for d, n, q, u in landed) == sorted(
        (d, p["name"], Decimal(p["quantity"]), Decimal(p["price"])) for d, rows in quoted.items() for p in rows
    )
    # every paid invoice's deal shows paid in HubSpot (as the lake now has it)
    unpaid = _query(
        wh,
        """
        select i.deal_id from marts.crm_deal_invoices as i join marts.crm_deals as d using (deal_id)
        where i.deal_is_paid and (d.ledger_payment_status is distinct from 'paid' or d.ledger_paid_on is null
                                  or d.ledger_amount_outstanding <> 0 or not d.is_won)""",
    )
    assert unpaid == []
    paid = _query(wh, "select count(distinct deal_id) from marts.crm_deal_invoices where deal_is_paid")[0][0]
    assert paid >= 3
    company["warehouse"] = wh


def test_running_again_writes_nothing_new(company):
    before = list(server_writes.log(company["providers"].api))
    summary = _run(company, "*.*=auto")
    assert summary.proposed == 0 and summary.applied == 0 and summary.refused == 0
    assert server_writes.log(company["providers"].api) == before


@pytest.mark.parametrize("verdict", ["approve", "reject"])
def test_draft_mode_waits_for_a_person(company, verdict):
    from ledgerlake.workflows import ActionStore, Modes
    from ledgerlake.workflows.propose import Proposal
    from ledgerlake.workflows.run import RunSummary, decide, sync_actions

    store = ActionStore(company["lake"])
    proposal = Proposal(
        "paid_to_crm",
        "US",
        "update_company",
        "hubspot",
        ("test", verdict),
        {"object_type": "companies", "object_id": "1", "properties": {}, "pipeline": None, "mark_won": False},
        "a test proposal",
    )
    sync_actions(store, {"paid_to_crm": [proposal]}, Modes.parse("paid_to_crm.US=draft"), RunSummary())
    assert store.get(proposal.action_id)["status"] == "awaiting_approval"
    decided = decide(store, proposal.action_id, verdict, "cfo@example.com", "checked")
    assert decided["status"] == ("pending" if verdict == "approve" else "rejected")
    assert [r["by"] for r in store.audit_records(proposal.action_id)][-1] == "cfo@example.com"


class _Context:  # what Lambda passes (the attributes Powertools' logger reads)
    function_name, function_version, memory_limit_in_mb = "ledgerlake-writeback", "$LATEST", 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ledgerlake-writeback"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"

    def get_remaining_time_in_millis(self):
        return 300_000


def test_the_lambda_reads_the_published_marts_and_finds_nothing_left_to_write(company, monkeypatch):
    """The write-back function as the forecaster's on-success destination invokes it: no
    warehouse file, the marts the transform published to S3, modes and credentials from its
    environment."""
    from ledgerlake.handlers import writeback

    providers = company["providers"]
    env = dict(company["env"], LEDGERLAKE_WRITEBACK_MODES="*.*=auto", LEDGERLAKE_HOME="/nonexistent-home")
    env.update({f"{s.upper()}_API_BASE_URL": providers.base_urls[s] for s in ("qbo", "xero", "hubspot")})
    env.update(
        {
            k: providers.credentials[k]
            for k in ("QBO_ACCESS_TOKEN", "QBO_REALM_ID", "XERO_ACCESS_TOKEN", "XERO_TENANT_ID", "HUBSPOT_ACCESS_TOKEN")
        }
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    before = list(server_writes.log(providers.api))
    event = {
        "version": "1.0",
        "timestamp": "2025-10-01T00:00:00Z",
        "requestContext": {"condition": "Success", "approximateInvokeCount": 1},
        "responseContext": {"statusCode": 200},
        "responsePayload": {"alerts": 3},
    }
    body = writeback.handler(event, _Context())
    assert body["missing"] == [] and body["proposed"] == 0 and body["applied"] == 0
    assert body["open_by_status"].get("applied", 0) > 0  # it saw the actions the earlier runs applied
    assert server_writes.log(providers.api) == before


def test_the_categoriser_lambda_reads_the_published_bank_marts_and_lands_what_the_local_step_would(
    company, monkeypatch
):
    """The categoriser function as write-back's on-success destination invokes it: no
    warehouse file, only the two published bank marts; it lands the suggestions the local
    step makes from the warehouse (the same object: a second run lands nothing)."""
    import duckdb

    from ledgerlake.categorise.run import load_corrections, load_lines, suggest
    from ledgerlake.handlers import categoriser

    for key, value in dict(company["env"], LEDGERLAKE_HOME="/nonexistent-home").items():
        monkeypatch.setenv(key, value)
    con = duckdb.connect(str(company["warehouse"]), read_only=True)
    try:
        history, todo = load_lines(con)
    finally:
        con.close()
    local = suggest(history, todo, load_corrections(company["lake"]))
    assert local.suggestions and any("tax_code" in s for s in local.suggestions)  # the UK codes VAT
    body = categoriser.handler({}, _Context())
    assert body["suggestions"] == len(local.suggestions) and body["by_status"] == local.counts()
    assert body["landed_key"].startswith("raw/source=ledgerlake/entity=coding_suggestions/")
    assert categoriser.handler({}, _Context())["landed_new"] is False
