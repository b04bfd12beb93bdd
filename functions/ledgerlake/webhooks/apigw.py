"""API Gateway HTTP API (payload format 2.0) events: build them, read them.

`ledgerlake serve`, the in-process delivery and the tests all turn an HTTP request into
exactly the event API Gateway would hand the receiver Lambda, so one handler serves all.
"""

from __future__ import annotations

import base64
import time
import uuid
from urllib.parse import urlsplit

from .core import Request

ROUTE_KEY = "POST /webhooks/{source}"
_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded", "application/xml")


def build_event(method: str, url: str, headers: dict[str, str], body: bytes, *, source_ip: str = "127.0.0.1") -> dict:
    """The v2 event for one request. Like API Gateway, headers are lower-cased, repeated
    headers comma-joined, and a body that is not text is base64-encoded."""
    parts = urlsplit(url)
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    lowered.setdefault("host", parts.netloc)
    lowered.setdefault("x-forwarded-proto", parts.scheme or "https")
    content_type = lowered.get("content-type", "")
    is_text = content_type.startswith(_TEXT_TYPES)
    if is_text:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            is_text = False
    segments = parts.path.strip("/").split("/")
    now = time.time()
    event = {
        "version": "2.0",
        "routeKey": ROUTE_KEY,
        "rawPath": parts.path or "/",
        "rawQueryString": parts.query,
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": parts.hostname or "localhost",
            "domainPrefix": (parts.hostname or "localhost").split(".")[0],
            "http": {
                "method": method.upper(),
                "path": parts.path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": ROUTE_KEY,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "pathParameters": {"source": segments[1]} if len(segments) == 2 and segments[0] == "webhooks" else {},
        "isBase64Encoded": not is_text,
    }
    if body:
        event["body"] = text if is_text else base64.b64encode(body).decode()
    if parts.query:
        event["queryStringParameters"] = dict(p.split("=", 1) if "=" in p else (p, "") for p in parts.query.split("&"))
    return event


def raw_body(event: dict) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8")


def request_of(event: dict, now: float | None = None) -> Request:
    """The Request a provider verifies: raw bytes, lower-cased headers and the full URL
    the sender addressed (scheme from x-forwarded-proto, host from the domain name).
    `now` is the receiver's clock (default: the wall clock)."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    proto = headers.get("x-forwarded-proto", "https").split(",")[0].strip()
    host = headers.get("host") or context.get("domainName", "")
    url = f"{proto}://{host}{event.get('rawPath', '')}"
    if event.get("rawQueryString"):
        url += "?" + event["rawQueryString"]
    method = (context.get("http") or {}).get("method", "POST")
    return Request(
        method=method, url=url, headers=headers, body=raw_body(event), now=time.time() if now is None else now
    )
