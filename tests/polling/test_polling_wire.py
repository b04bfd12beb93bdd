"""What the local API server puts on the wire follows the providers' documented shapes,
and it refuses requests without credentials the way each provider does."""

from __future__ import annotations

import json
import re

import pytest
import urllib3

HTTP = urllib3.PoolManager(retries=False)


def call(method, url, headers=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    response = HTTP.request(method, url, headers={"Content-Type": "application/json", **(headers or {})}, body=data)
    return response.status, json.loads(response.data) if response.data[:1] in (b"{", b"[") else response.data


def test_missing_auth_gets_each_providers_error(providers):
    urls, creds = providers.base_urls, providers.credentials
    status, body = call("GET", urls["stripe"] + "/v1/events")
    assert status == 401 and body["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in body["error"]["message"]
    status, body = call("POST", urls["shopify"] + "/admin/api/2025-01/graphql.json", body={"query": "{orders}"})
    assert status == 401 and "Invalid API key or access token" in body["errors"]
    status, body = call("POST", urls["hubspot"] + "/crm/v3/objects/deals/search", body={})
    assert status == 401 and body["category"] == "INVALID_AUTHENTICATION" and body["correlationId"]
    status, body = call(
        "GET", urls["qbo"] + f"/v3/company/{creds['QBO_REALM_ID']}/cdc?entities=Invoice&changedSince=2025-01-01"
    )
    assert status == 401 and body["fault"]["error"][0]["code"] == "3200"
    status, body = call("GET", urls["xero"] + "/api.xro/2.0/Invoices")
    assert status == 401 and body["Title"] == "Unauthorized" and body["Detail"] == "AuthenticationUnsuccessful"
    status, body = call(
        "GET", urls["xero"] + "/api.xro/2.0/Invoices", {"Authorization": f"Bearer {creds['XERO_ACCESS_TOKEN']}"}
    )
    assert status == 403  # a token without the Xero-tenant-id header
    status, body = call(
        "POST",
        urls["plaid"] + "/transactions/sync",
        body={"client_id": creds["PLAID_CLIENT_ID"], "secret": "wrong", "access_token": "x"},
    )
    assert status == 400 and body["error_type"] == "INVALID_INPUT" and body["error_code"] == "INVALID_API_KEYS"


def test_stripe_list_object_and_paging(providers):
    url, key = providers.base_urls["stripe"], providers.credentials["STRIPE_API_KEY"]
    auth = {"Authorization": f"Bearer {key}"}
    status, first = call("GET", url + "/v1/events?limit=5", auth)
    assert status == 200 and first["object"] == "list" and first["url"] == "/v1/events" and first["has_more"]
    created = [e["created"] for e in first["data"]]
    assert created == sorted(created, reverse=True)  # newest first
    _, second = call("GET", url + f"/v1/events?limit=5&starting_after={first['data'][-1]['id']}", auth)
    assert second["data"][0]["created"] <= created[-1]
    assert not {e["id"] for e in first["data"]} & {e["id"] for e in second["data"]}
    _, windowed = call("GET", url + f"/v1/events?limit=100&created[gte]={created[0]}", auth)
    assert all(e["created"] >= created[0] for e in windowed["data"])
    status, bad = call("GET", url + "/v1/events?limit=500", auth)
    assert status == 400 and bad["error"]["type"] == "invalid_request_error"
    status, payout = call("GET", url + "/v1/balance_transactions?payout=po_0001&limit=100", auth)
    assert status == 200 and payout["data"] and payout["data"][0]["object"] == "balance_transaction"


def test_xero_dates_and_if_modified_since(providers):
    url, creds = providers.base_urls["xero"], providers.credentials
    headers = {"Authorization": f"Bearer {creds['XERO_ACCESS_TOKEN']}", "Xero-tenant-id": creds["XERO_TENANT_ID"]}
    status, doc = call("GET", url + "/api.xro/2.0/Invoices?page=1", headers)
    assert status == 200 and doc["Status"] == "OK"
    assert re.fullmatch(r"/Date\(\d+\+0000\)/", doc["DateTimeUTC"])
    assert all(re.fullmatch(r"/Date\(\d{13}\+0000\)/", inv["UpdatedDateUTC"]) for inv in doc["Invoices"])
    _, later = call(
        "GET", url + "/api.xro/2.0/Invoices?page=1", {**headers, "If-Modified-Since": "2025-02-15T00:00:00"}
    )
    stamps = [int(re.search(r"\d+", i["UpdatedDateUTC"]).group()) for i in later["Invoices"]]
    assert stamps and min(stamps) >= 1739577600000 and len(later["Invoices"]) < len(doc["Invoices"])
    one = doc["Invoices"][0]
    _, single = call("GET", url + f"/api.xro/2.0/Invoices/{one['InvoiceID']}", headers)
    assert single["Invoices"][0]["InvoiceID"] == one["InvoiceID"]


def test_plaid_sync_shape_and_outflow_sign(providers):
    url, creds = providers.base_urls["plaid"], providers.credentials
    auth = {
        "client_id": creds["PLAID_CLIENT_ID"],
        "secret": creds["PLAID_SECRET"],
        "access_token": creds["PLAID_ACCESS_TOKEN"],
    }
    status, page = call("POST", url + "/transactions/sync", body={**auth, "count": 500})
    assert status == 200 and set(page) >= {"added", "modified", "removed", "next_cursor", "has_more", "request_id"}
    assert page["has_more"] is False and page["next_cursor"]
    payments = [t for t in page["added"] if t["name"] == "Vendor payment"]
    deposits = [t for t in page["added"] if t["name"] == "Customer deposit"]
    assert payments and all(t["amount"] > 0 for t in payments)  # positive = money out
    assert deposits and all(t["amount"] < 0 for t in deposits)
    _, idle = call("POST", url + "/transactions/sync", body={**auth, "cursor": page["next_cursor"]})
    assert idle["added"] == idle["modified"] == idle["removed"] == [] and not idle["has_more"]


def test_plaid_mutation_error_body(providers):
    url, creds = providers.base_urls["plaid"], providers.credentials
    auth = {
        "client_id": creds["PLAID_CLIENT_ID"],
        "secret": creds["PLAID_SECRET"],
        "access_token": creds["PLAID_ACCESS_TOKEN"],
    }
    _, page = call("POST", url + "/transactions/sync", body={**auth, "count": 5})
    providers.fault("plaid:mutation=1")
    status, err = call("POST", url + "/transactions/sync", body={**auth, "count": 5, "cursor": page["next_cursor"]})
    assert status == 400 and err["error_type"] == "TRANSACTIONS_ERROR"
    assert err["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"


def test_qbo_cdc_reports_deletes_and_caps(providers):
    from ledgerlake.sourceapi.providers import qbo

    url, creds = providers.base_urls["qbo"], providers.credentials
    auth = {"Authorization": f"Bearer {creds['QBO_ACCESS_TOKEN']}"}
    entities = ",".join(qbo.ENTITIES)
    status, doc = call(
        "GET",
        url + f"/v3/company/{creds['QBO_REALM_ID']}/cdc?entities={entities}&changedSince=2024-12-01T00:00:00Z",
        auth,
    )
    rows = [
        row for qr in doc["CDCResponse"][0]["QueryResponse"] for k, v in qr.items() if isinstance(v, list) for row in v
    ]
    assert status == 200 and len(rows) == qbo.CDC_CAP  # capped (40 in these tests)
    _, everything = call(
        "GET",
        url + f"/v3/company/{creds['QBO_REALM_ID']}/cdc?entities=Invoice,Bill,Vendor&changedSince=2024-12-01T00:00:00Z",
        auth,
    )
    deleted = [
        row
        for qr in everything["CDCResponse"][0]["QueryResponse"]
        for k, v in qr.items()
        if isinstance(v, list)
        for row in v
        if row.get("status") == "Deleted"
    ]
    assert all(set(d) >= {"Id", "status", "MetaData"} for d in deleted)
    status, one = call("GET", url + f"/v3/company/{creds['QBO_REALM_ID']}/invoice/1", auth)
    assert status == 200 and one["Invoice"]["Id"] == "1"


def test_hubspot_search_stops_at_the_cap(providers):
    from ledgerlake.sourceapi.providers import hubspot

    url, token = providers.base_urls["hubspot"], providers.credentials["HUBSPOT_ACCESS_TOKEN"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}], "limit": 20}
    _, first = call("POST", url + "/crm/v3/objects/deals/search", auth, body)
    assert first["total"] > hubspot.SEARCH_CAP and first["paging"]["next"]["after"] == "20"
    _, last = call("POST", url + "/crm/v3/objects/deals/search", auth, {**body, "after": "20"})
    assert len(last["results"]) == hubspot.SEARCH_CAP - 20 and "paging" not in last
    status, _ = call("POST", url + "/crm/v3/objects/deals/search", auth, {**body, "after": str(hubspot.SEARCH_CAP)})
    assert status == 400
    _, pipelines = call("GET", url + "/crm/v3/pipelines/deals", auth)
    stage = pipelines["results"][0]["stages"][0]
    assert stage["label"] and stage["metadata"]["probability"]


def test_shopify_graphql_cost_extension(providers):
    url, token = providers.base_urls["shopify"], providers.credentials["SHOPIFY_ACCESS_TOKEN"]
    auth = {"X-Shopify-Access-Token": token}
    query = (
        "query($first:Int!,$after:String){orders(first:$first,after:$after,sortKey:UPDATED_AT)"
        "{edges{cursor node{id updatedAt}} pageInfo{hasNextPage endCursor}}}"
    )
    _, doc = call("POST", url + "/admin/api/2025-01/graphql.json", auth, {"query": query, "variables": {"first": 10}})
    cost = doc["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 12 and cost["actualQueryCost"] == 12
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}
    page = doc["data"]["orders"]
    stamps = [e["node"]["updatedAt"] for e in page["edges"]]
    assert stamps == sorted(stamps) and page["pageInfo"]["hasNextPage"]
    node = page["edges"][0]["node"]  # the GraphQL Order shape, mapped from the REST order
    assert node["id"].startswith("gid://shopify/Order/") and node["legacyResourceId"] in node["id"]
    assert node["updatedAt"].endswith("Z") and node["displayFinancialStatus"] in ("PENDING", "PAID")
    assert node["totalPriceSet"]["shopMoney"]["currencyCode"] == "GBP"
    assert node["customer"]["id"].startswith("gid://shopify/Customer/")
    providers.fault("shopify:throttle=1")
    _, throttled = call(
        "POST", url + "/admin/api/2025-01/graphql.json", auth, {"query": query, "variables": {"first": 10}}
    )
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None


@pytest.mark.parametrize("spec", ["stripe:bogus", "nowhere:429"])
def test_bad_fault_specs_are_refused(providers, spec):
    with pytest.raises(ValueError):
        providers.fault(spec)


def test_plaid_webhook_verification_key_is_the_local_signing_key(providers, monkeypatch, tmp_path):
    from ledgerlake.sources.plaid import webhook

    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    url, creds = providers.base_urls["plaid"], providers.credentials
    auth = {"client_id": creds["PLAID_CLIENT_ID"], "secret": creds["PLAID_SECRET"]}
    kid = webhook.local_verification_jwk()["kid"]
    status, doc = call("POST", url + "/webhook_verification_key/get", body={**auth, "key_id": kid})
    assert status == 200 and doc["key"]["kid"] == kid and doc["key"]["crv"] == "P-256" and "d" not in doc["key"]
    status, err = call("POST", url + "/webhook_verification_key/get", body={**auth, "key_id": "other"})
    assert status == 400 and err["error_code"] == "INVALID_WEBHOOK_VERIFICATION_KEY_ID"
