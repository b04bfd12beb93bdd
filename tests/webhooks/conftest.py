"""Webhook test fixtures: a local provider API (Plaid keys + records to hydrate), the
receiver wired to a fresh lake, the receiver behind `ledgerlake serve`, and one valid
delivery per source in the provider's real shape."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from webhook_kit import ITEM, REALM, TENANT, TOKENS  # noqa: F401  (re-exported for tests)

from ledgerlake.webhooks.apigw import build_event

# -- a local provider API ---------------------------------------------------------------


@dataclass
class FakeProviders:
    url: str
    key: object  # the Plaid signing key whose JWK the server hands out
    kid: str
    requests: list

    def reset(self):
        self.requests.clear()


def _qbo_invoice(realm, entity_id):
    return {
        "Invoice": {
            "Id": entity_id,
            "SyncToken": "2",
            "DocNumber": "1042",
            "TxnDate": "2025-05-02",
            "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            "CustomerRef": {"value": "58", "name": "Acme Corp"},
            "Line": [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Amount": 1200.0,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}},
                }
            ],
            "TotalAmt": 1200.0,
            "Balance": 1200.0,
            "DueDate": "2025-06-01",
            "MetaData": {"CreateTime": "2025-05-02T09:00:00-07:00", "LastUpdatedTime": "2025-05-03T10:15:00-07:00"},
            "domain": "QBO",
            "sparse": False,
        },
        "time": "2025-05-03T10:16:02.123-07:00",
    }


def _xero_invoice(invoice_id):
    return {
        "Id": "9f1c7c1e-0000-4000-8000-000000000001",
        "Status": "OK",
        "ProviderName": "ledgerlake",
        "DateTimeUTC": "/Date(1746266400000)/",
        "Invoices": [
            {
                "Type": "ACCREC",
                "InvoiceID": invoice_id,
                "InvoiceNumber": "INV-0042",
                "Status": "AUTHORISED",
                "Contact": {"ContactID": "c0ffee00-0000-4000-8000-000000000002", "Name": "Brightside Ltd"},
                "DateString": "2025-05-02T00:00:00",
                "DueDateString": "2025-06-01T00:00:00",
                "CurrencyCode": "GBP",
                "CurrencyRate": 1.0,
                "SubTotal": 1000.00,
                "TotalTax": 200.00,
                "Total": 1200.00,
                "AmountDue": 1200.00,
                "AmountPaid": 0.00,
                "UpdatedDateUTC": "/Date(1746267300000+0000)/",
                "LineItems": [
                    {
                        "Description": "Consulting",
                        "Quantity": 1.0,
                        "UnitAmount": 1000.00,
                        "AccountCode": "200",
                        "TaxType": "OUTPUT2",
                        "LineAmount": 1000.00,
                    }
                ],
            }
        ],
    }


def _hubspot_deal(deal_id):
    return {
        "id": deal_id,
        "properties": {
            "amount": "48000",
            "closedate": "2025-05-02T12:00:00Z",
            "createdate": "2025-03-01T09:00:00Z",
            "deal_currency_code": "USD",
            "dealname": "Acme renewal",
            "dealstage": "closedwon",
            "hs_lastmodifieddate": "2025-05-02T12:00:05Z",
            "hs_object_id": deal_id,
            "pipeline": "default",
        },
        "createdAt": "2025-03-01T09:00:00Z",
        "updatedAt": "2025-05-02T12:00:05Z",
        "archived": False,
        "associations": {"companies": {"results": [{"id": "9001", "type": "deal_to_company"}]}},
    }


def _plaid_page(cursor):
    # Two pages: the first says has_more, the second ends the sync.
    txn = lambda n, day: {  # noqa: E731
        "account_id": "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp",
        "transaction_id": f"txn{n}",
        "amount": 12.5 * n,
        "iso_currency_code": "USD",
        "unofficial_currency_code": None,
        "date": day,
        "authorized_date": day,
        "name": f"Vendor {n}",
        "merchant_name": f"Vendor {n}",
        "pending": False,
        "payment_channel": "online",
    }
    if not cursor:
        return {
            "added": [txn(1, "2025-05-01"), txn(2, "2025-05-02")],
            "modified": [],
            "removed": [],
            "next_cursor": "cursor-page-1",
            "has_more": True,
            "request_id": "req-1",
            "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
            "accounts": [],
        }
    return {
        "added": [txn(3, "2025-05-03")],
        "modified": [],
        "removed": [],
        "next_cursor": "cursor-page-2",
        "has_more": False,
        "request_id": "req-2",
        "transactions_update_status": "HISTORICAL_UPDATE_COMPLETE",
        "accounts": [],
    }


def _provider_handler(state: FakeProviders):
    from ledgerlake.sources.plaid.webhook import jwk_of, local_verification_jwk

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status, doc):
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self, token_name):
            return self.headers.get("Authorization") == f"Bearer {TOKENS[token_name]}"

        def do_GET(self):
            state.requests.append(("GET", self.path, dict(self.headers)))
            path = self.path.split("?")[0]
            if "fail" in path:
                return self._send(503, {"error": "unavailable"})
            m = re.fullmatch(r"/v3/company/([^/]+)/invoice/([^/]+)", path)
            if m:
                if not self._authorised("QBO_ACCESS_TOKEN"):
                    return self._send(401, {"fault": "AuthenticationFailed"})
                return self._send(200, _qbo_invoice(*m.groups()))
            m = re.fullmatch(r"/api\.xro/2\.0/Invoices/([^/]+)", path)
            if m:
                if not self._authorised("XERO_ACCESS_TOKEN") or self.headers.get("Xero-tenant-id") != TENANT:
                    return self._send(401, {"Title": "Unauthorized"})
                return self._send(200, _xero_invoice(m.group(1)))
            m = re.fullmatch(r"/crm/v3/objects/deals/([^/]+)", path)
            if m:
                if not self._authorised("HUBSPOT_ACCESS_TOKEN"):
                    return self._send(401, {"status": "error", "category": "INVALID_AUTHENTICATION"})
                return self._send(200, _hubspot_deal(m.group(1)))
            self._send(404, {"error": "not found"})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            state.requests.append(("POST", self.path, body))
            if body.get("client_id") != TOKENS["PLAID_CLIENT_ID"] or body.get("secret") != TOKENS["PLAID_SECRET"]:
                return self._send(400, {"error_type": "INVALID_INPUT", "error_code": "INVALID_API_KEYS"})
            if self.path == "/webhook_verification_key/get":
                # The test key, and the local home's key that replay signs with (what the
                # local API server serves through local_verification_jwk()).
                keys = {k["kid"]: k for k in (jwk_of(state.key), local_verification_jwk())}
                if body.get("key_id") not in keys:
                    return self._send(
                        400, {"error_type": "INVALID_INPUT", "error_code": "INVALID_WEBHOOK_VERIFICATION_KEY_ID"}
                    )
                return self._send(200, {"key": keys[body["key_id"]], "request_id": "req-key"})
            if self.path == "/transactions/sync":
                if body.get("access_token") != TOKENS["PLAID_ACCESS_TOKEN"]:
                    return self._send(400, {"error_type": "INVALID_INPUT", "error_code": "INVALID_ACCESS_TOKEN"})
                return self._send(200, _plaid_page(body.get("cursor")))
            self._send(404, {"error": "not found"})

    return Handler


@pytest.fixture(scope="session")
def providers():
    """A local server speaking the slices of each provider API that webhooks need."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from ledgerlake.sources.plaid.webhook import jwk_of

    key = ec.generate_private_key(ec.SECP256R1())
    state = FakeProviders(url="", key=key, kid=jwk_of(key)["kid"], requests=[])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _provider_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    saved = {
        k: os.environ.get(k) for k in list(TOKENS) + [f"{s}_API_BASE_URL" for s in ("QBO", "XERO", "HUBSPOT", "PLAID")]
    }
    os.environ.update(TOKENS)
    for source in ("QBO", "XERO", "HUBSPOT", "PLAID"):
        os.environ[f"{source}_API_BASE_URL"] = state.url
    yield state
    server.shutdown()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# -- the receiver, in-process and over HTTP ------------------------------------------------


@dataclass
class Receiver:
    lake: object
    queue: object
    base_url: str = "https://hooks.ledgerlake.test"

    def post(
        self, source: str, body: bytes, headers: dict, *, method: str = "POST", base64_body: bool = False
    ) -> tuple[int, object]:
        from ledgerlake.handlers.receiver import handler

        headers = {"Content-Type": "application/octet-stream" if base64_body else "application/json", **headers}
        event = build_event(method, f"{self.base_url}/webhooks/{source}", headers, body)
        answer = handler(event, None)
        text = answer.get("body") or ""
        try:
            return answer["statusCode"], json.loads(text) if text else None
        except ValueError:
            return answer["statusCode"], text

    def everything(self) -> list[str]:
        """Every key in the raw bucket: landed, quarantined, anything."""
        return list(self.lake.keys(""))


@pytest.fixture
def receiver(lake, providers):
    from ledgerlake.handlers import receiver as receiver_module
    from ledgerlake.webhooks.queue import MemoryQueue

    queue = MemoryQueue()
    receiver_module.configure(lake=lake, queue=queue)
    return Receiver(lake=lake, queue=queue)


@pytest.fixture(scope="session")
def served():
    """`ledgerlake serve`'s server on a free port, around the real receiver handler."""
    from ledgerlake.webhooks.serve import make_server

    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@dataclass
class HttpReceiver(Receiver):
    def post(self, source: str, body: bytes, headers: dict, *, method: str = "POST", base64_body: bool = False):
        import urllib3

        headers = {"Content-Type": "application/json", **headers}
        response = urllib3.request(
            method, f"{self.base_url}/webhooks/{source}", body=body, headers=headers, retries=False
        )
        try:
            return response.status, json.loads(response.data) if response.data else None
        except ValueError:
            return response.status, response.data.decode()


@pytest.fixture(params=["handler", "http"])
def via(request, receiver, served):
    """The receiver reached through handler invocation and through `ledgerlake serve`."""
    if request.param == "handler":
        return receiver
    return HttpReceiver(lake=receiver.lake, queue=receiver.queue, base_url=served)


def now() -> float:
    return time.time()


@pytest.fixture(autouse=True)
def _fresh_plaid_keys():
    """Each test starts with no cached Plaid key and a full key-fetch budget (the budget is
    per process, and tests that forge kids on purpose must not starve the next test)."""
    from ledgerlake.sources.plaid.webhook import reset_verification_keys

    reset_verification_keys()
    yield
