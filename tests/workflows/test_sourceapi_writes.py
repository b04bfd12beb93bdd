"""The local provider API server accepts writes the way QuickBooks, Xero and HubSpot do:
their validation errors, QuickBooks' stale SyncToken, the idempotency keys (a repeated
requestid / Idempotency-Key answers the first result and writes nothing), and the write
served back by the change queries the pollers use."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import urllib3

from ledgerlake.sourceapi import writes

HTTP = urllib3.PoolManager()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from ledgerlake.landing import simulation_credentials
    from ledgerlake.simulate import generate
    from ledgerlake.sourceapi import serve_in_thread

    sim = generate(tmp_path_factory.mktemp("sim") / "co", seed=3, months=1, scale=0.1)
    running = serve_in_thread(sim, credentials=simulation_credentials(json.loads((sim / "manifest.json").read_text())))
    yield running
    running.stop()


def call(api, source, method, path, body=None, headers=None, **params):
    from urllib.parse import urlencode

    creds = api.credentials
    token = {"qbo": "QBO_ACCESS_TOKEN", "xero": "XERO_ACCESS_TOKEN", "hubspot": "HUBSPOT_ACCESS_TOKEN"}[source]
    sent = {"Authorization": f"Bearer {creds[token]}", "Content-Type": "application/json", **(headers or {})}
    if source == "xero":
        sent["Xero-tenant-id"] = creds["XERO_TENANT_ID"]
    url = f"{api.base_urls[source]}{path}" + (f"?{urlencode(params)}" if params else "")
    response = HTTP.request(method, url, headers=sent, body=None if body is None else json.dumps(body))
    return response.status, json.loads(response.data or b"null")


def _qbo(api):
    return f"/v3/company/{api.credentials['QBO_REALM_ID']}"


def test_qbo_invoice_requestid_synctoken_and_validation(api):
    status, doc = call(api, "qbo", "POST", _qbo(api) + "/invoice", {"Line": []}, requestid="r-missing")
    assert status == 400 and doc["Fault"]["Error"][0]["code"] == "2020"
    status, doc = call(
        api, "qbo", "POST", _qbo(api) + "/customer", {"DisplayName": "Writeback Test Co"}, requestid="r-cust"
    )
    assert status == 200
    customer = doc["Customer"]["Id"]
    status, doc = call(
        api, "qbo", "POST", _qbo(api) + "/customer", {"DisplayName": "Writeback Test Co"}, requestid="r-cust-2"
    )
    assert status == 400 and doc["Fault"]["Error"][0]["code"] == "6240"  # Duplicate Name Exists
    status, doc = call(
        api, "qbo", "GET", _qbo(api) + "/query", query="select * from Customer where DisplayName = 'Writeback Test Co'"
    )
    assert [c["Id"] for c in doc["QueryResponse"]["Customer"]] == [customer]

    invoice = {
        "CustomerRef": {"value": customer},
        "CustomField": [{"DefinitionId": "1", "StringValue": "HS-DEAL-1"}],
        "Line": [
            {
                "Amount": 1234.5,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 1234.5},
            }
        ],
    }
    before = writes.counts(api.api).get("qbo", 0)
    first = call(api, "qbo", "POST", _qbo(api) + "/invoice", invoice, requestid="r-inv")
    again = call(api, "qbo", "POST", _qbo(api) + "/invoice", invoice, requestid="r-inv")
    assert first == again and first[0] == 200  # the first result, and one write
    assert writes.counts(api.api)["qbo"] == before + 1
    created = first[1]["Invoice"]
    assert created["TotalAmt"] == 1234.5 and created["Balance"] == 1234.5 and created["SyncToken"] == "0"
    assert created["CustomField"][0]["StringValue"] == "HS-DEAL-1" and created["EmailStatus"] == "NotSet"

    stale = dict(created, SyncToken="7", PrivateNote="edited")
    status, doc = call(api, "qbo", "POST", _qbo(api) + "/invoice", stale, requestid="r-upd-stale")
    assert status == 400 and doc["Fault"]["Error"][0]["code"] == "5010"  # Stale Object Error
    status, doc = call(
        api,
        "qbo",
        "POST",
        _qbo(api) + "/invoice",
        {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "edited"},
        requestid="r-upd",
    )
    assert status == 200 and doc["Invoice"]["SyncToken"] == "1" and doc["Invoice"]["PrivateNote"] == "edited"

    # change data capture serves it back to the poller, at its own (later) stamp
    since = datetime.fromtimestamp(api.api.clock - 5, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, doc = call(api, "qbo", "GET", _qbo(api) + "/cdc", entities="Invoice,Customer", changedSince=since)
    found = {
        (e, r["Id"])
        for block in doc["CDCResponse"]
        for q in block["QueryResponse"]
        for e, rows in q.items()
        if isinstance(rows, list)
        for r in rows
    }
    assert ("Invoice", created["Id"]) in found and ("Customer", customer) in found


def test_qbo_void_retries_a_stale_synctoken_with_the_fresh_one(api, monkeypatch):
    from ledgerlake.polling.http import HttpClient
    from ledgerlake.sources.qbo import write as qbo
    from ledgerlake.sources.writing import WriteContext

    status, doc = call(api, "qbo", "POST", _qbo(api) + "/customer", {"DisplayName": "Void Test Co"}, requestid="v-c")
    invoice = {
        "CustomerRef": {"value": doc["Customer"]["Id"]},
        "Line": [
            {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"Qty": 1, "UnitPrice": 10}}
        ],
    }
    created = call(api, "qbo", "POST", _qbo(api) + "/invoice", invoice, requestid="v-i")[1]["Invoice"]
    ctx = WriteContext("qbo", api.base_urls["qbo"], HttpClient(), api.credentials)
    real_call, edits = qbo.call, []

    def someone_edits_first(ctx, exchanges, method, path, **kw):
        if (kw.get("params") or {}).get("operation") == "void" and not edits:  # between our read and our write
            edits.append(
                call(
                    api,
                    "qbo",
                    "POST",
                    _qbo(api) + "/invoice",
                    {"Id": created["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"},
                )
            )
        return real_call(ctx, exchanges, method, path, **kw)

    monkeypatch.setattr(qbo, "call", someone_edits_first)
    outcome = qbo.void_invoice(ctx, created["Id"], "void-key")
    assert outcome.applied, outcome.reason
    statuses = [(e.method, e.status) for e in outcome.exchanges]
    assert statuses == [("GET", 200), ("POST", 400), ("GET", 200), ("POST", 200)]  # 5010, read again, retried
    assert b"5010" in json.dumps(outcome.exchanges[1].response).encode()
    status, doc = call(api, "qbo", "GET", f"{_qbo(api)}/invoice/{created['Id']}")
    assert status == 200 and doc["Invoice"]["TotalAmt"] == 0 and doc["Invoice"]["PrivateNote"].startswith("Voided")


def test_xero_idempotency_key_validation_and_contact_by_name(api):
    bad = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"Name": "Brand New Ltd"},
                "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "999"}],
            }
        ]
    }
    status, doc = call(api, "xero", "PUT", "/api.xro/2.0/Invoices", bad, {"Idempotency-Key": "k-bad"})
    assert status == 400 and doc["Type"] == "ValidationException"
    assert (
        doc["Elements"][0]["ValidationErrors"][0]["Message"]
        == "Account code '999' is not a valid code for this document."
    )
    good = json.loads(json.dumps(bad))
    good["Invoices"][0]["LineItems"][0].update(AccountCode="200", TaxType="OUTPUT2")
    good["Invoices"][0]["Reference"] = "HS-DEAL-2"
    before = writes.counts(api.api).get("xero", 0)
    first = call(api, "xero", "PUT", "/api.xro/2.0/Invoices", good, {"Idempotency-Key": "k-good"})
    again = call(api, "xero", "PUT", "/api.xro/2.0/Invoices", good, {"Idempotency-Key": "k-good"})
    assert first[0] == 200 and first[1]["Invoices"] == again[1]["Invoices"]
    assert writes.counts(api.api)["xero"] == before + 2  # the new contact and the invoice, once
    invoice = first[1]["Invoices"][0]
    assert invoice["Status"] == "DRAFT" and invoice["Total"] == 120 and invoice["TotalTax"] == 20
    status, doc = call(api, "xero", "GET", f"/api.xro/2.0/Contacts/{invoice['Contact']['ContactID']}")
    assert doc["Contacts"][0]["Name"] == "Brand New Ltd"
    status, doc = call(
        api,
        "xero",
        "POST",
        f"/api.xro/2.0/Invoices/{invoice['InvoiceID']}",
        {"Invoices": [{"InvoiceID": invoice["InvoiceID"], "Status": "VOIDED"}]},
    )
    assert status == 400 and "AUTHORISED" in doc["Elements"][0]["ValidationErrors"][0]["Message"]  # a draft is deleted


def test_hubspot_patch_validates_properties_and_recomputes_the_stage(api):
    deal = next(
        v.obj
        for v in api.api.store.resource("hubspot", "deals").latest(api.api.clock)
        if not v.deleted and v.obj["properties"].get("hs_is_closed") == "false"
    )
    path = f"/crm/v3/objects/deals/{deal['id']}"
    status, doc = call(api, "hubspot", "PATCH", path, {"properties": {"ledgerlake_payment_status": "paid"}})
    assert status == 400 and doc["category"] == "VALIDATION_ERROR" and "PROPERTY_DOESNT_EXIST" in doc["message"]
    status, _ = call(
        api,
        "hubspot",
        "POST",
        "/crm/v3/properties/deals",
        {
            "name": "ledgerlake_payment_status",
            "label": "x",
            "type": "string",
            "fieldType": "text",
            "groupName": "dealinformation",
        },
    )
    assert status == 201
    status, doc = call(api, "hubspot", "PATCH", path, {"properties": {"dealstage": "no-such-stage"}})
    assert status == 400 and "INVALID_OPTION" in doc["message"]
    won = "closedwon" if deal["properties"]["pipeline"] == "default" else "157382913"
    status, doc = call(
        api, "hubspot", "PATCH", path, {"properties": {"ledgerlake_payment_status": "paid", "dealstage": won}}
    )
    assert status == 200 and doc["properties"]["hs_is_closed_won"] == "true"
    status, found = call(
        api,
        "hubspot",
        "POST",
        "/crm/v3/objects/deals/search",
        {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "hs_lastmodifieddate",
                            "operator": "GTE",
                            "value": doc["properties"]["hs_lastmodifieddate"],
                        }
                    ]
                }
            ],
            "limit": 100,
        },
    )
    assert deal["id"] in {r["id"] for r in found["results"]}


def test_hubspot_line_items_are_searchable_and_their_deal_comes_from_the_v4_associations(api):
    """What the poller reads: line items by search (no associations in the answer, as
    HubSpot), their deal by `POST /crm/v4/associations/line_items/deals/batch/read`."""
    deal = next(v.obj for v in api.api.store.resource("hubspot", "deals").latest(api.api.clock) if not v.deleted)
    stamp = datetime.fromtimestamp(api.api.clock, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    item = {
        "id": "9870009999",
        "properties": {"name": "Training day", "quantity": "2", "price": "1500.00", "amount": "3000.00"}
        | {"hs_sku": "NW-TRAIN-DAY", "hs_lastmodifieddate": stamp},
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "associations": {"deals": {"results": [{"id": deal["id"], "type": "line_item_to_deal"}]}},
    }
    api.api.store.put("hubspot", "line_items", item["id"], item)
    status, found = call(api, "hubspot", "POST", "/crm/v3/objects/line_items/search", {"limit": 100})
    assert status == 200 and item["id"] in {r["id"] for r in found["results"]}
    path = "/crm/v4/associations/line_items/deals/batch/read"
    status, doc = call(api, "hubspot", "POST", path, {"inputs": [{"id": item["id"]}, {"id": "404"}]})
    assert status == 200 and doc["status"] == "COMPLETE"
    assert doc["results"] == [
        {
            "from": {"id": item["id"]},
            "to": [
                {
                    "toObjectId": int(deal["id"]),
                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 20, "label": None}],
                }
            ],
        }
    ]  # an id with no association is left out, as HubSpot does
    status, back = call(
        api, "hubspot", "POST", "/crm/v4/associations/deals/line_items/batch/read", {"inputs": [{"id": deal["id"]}]}
    )
    assert status == 200 and back["results"][0]["to"][0]["toObjectId"] == int(item["id"])
    assert back["results"][0]["to"][0]["associationTypes"][0]["typeId"] == 19
    status, doc = call(api, "hubspot", "POST", path, {"inputs": "nope"})
    assert status == 400 and doc["category"] == "VALIDATION_ERROR"


def test_xero_item_codes_must_be_the_organisations_items(api):
    line = {"Description": "Seats", "Quantity": 10, "UnitAmount": 120, "AccountCode": "200", "TaxType": "OUTPUT2"}
    body = {
        "Invoices": [
            {"Type": "ACCREC", "Contact": {"Name": "Item Test Ltd"}, "LineItems": [dict(line, ItemCode="NOPE")]}
        ]
    }
    status, doc = call(api, "xero", "PUT", "/api.xro/2.0/Invoices", body, {"Idempotency-Key": "items-bad"})
    assert status == 400 and doc["Elements"][0]["ValidationErrors"][0]["Message"] == "Item code 'NOPE' is not valid"
    body["Invoices"][0]["LineItems"] = [dict(line, ItemCode="NW-PLAT-12")]
    status, doc = call(api, "xero", "PUT", "/api.xro/2.0/Invoices", body, {"Idempotency-Key": "items-good"})
    written = doc["Invoices"][0]["LineItems"][0]
    assert status == 200 and written["ItemCode"] == "NW-PLAT-12" and written["LineAmount"] == 1200
