"""`ledgerlake serve` under hostile framing, over a real loopback socket.

Each case speaks raw bytes to the server (no HTTP client to tidy the request up) in
front of the real receiver handler and lake, and asserts what a caller gets back and that
nothing landed on a refusal: chunked bodies (decoded, in any split), request smuggling
(CL.TE and a request hidden inside a chunked body), bad/missing/conflicting
`Content-Length`, idle and trickling connections (timeouts shortened for the test),
oversized bodies, arbitrary bytes, and the signature classes (missing, wrong, stale,
tampered) through the socket. Never a 5xx, never a hang. Hypothesis: fixed seed, bounded
example counts."""

from __future__ import annotations

import itertools
import json
import logging
import re
import socket
import threading
import time

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from webhook_kit import sample, sign

TIMEOUTS = {"header": 0.6, "body": 0.6, "keep_alive": 0.6}
READ_LIMIT = 5.0  # a client waiting this long for an answer means the server hung
FUZZ = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
STATUS = re.compile(rb"HTTP/1\.1 (\d{3}) ")


@pytest.fixture(scope="module")
def server():
    from ledgerlake.webhooks.serve import Timeouts, make_server

    served = make_server("127.0.0.1", 0, timeouts=Timeouts(**TIMEOUTS))
    threading.Thread(target=served.serve_forever, daemon=True).start()
    yield served.server_address
    served.shutdown()
    served.server_close()


def exchange(address, data: bytes, *, pause: float = 0.0) -> tuple[list[int], bytes, float]:
    """Send `data` on a fresh connection and read until the server closes it (or
    READ_LIMIT passes): (statuses of the responses, raw bytes, seconds until close)."""
    connection = socket.create_connection(address, timeout=READ_LIMIT)
    start = time.monotonic()
    try:
        connection.sendall(data)
        if pause:
            time.sleep(pause)
        received = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        pytest.fail(f"no answer and no close within {READ_LIMIT}s: {data[:120]!r}")
    except ConnectionResetError:
        received = b""  # the server dropped a connection we were still writing to: fine
    finally:
        connection.close()
    return [int(s) for s in STATUS.findall(received)], received, time.monotonic() - start


def head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body: bytes, cuts: list[int]) -> bytes:
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    pieces = [body[a:b] for a, b in itertools.pairwise(points) if b > a]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def signed_stripe(event_id: str = "test0001") -> tuple[bytes, dict[str, str]]:
    body = sample("stripe")[0].replace(b"test0001", event_id.encode())
    return body, {"Content-Type": "application/json", **sign("stripe", body, "")}


# -- chunked bodies are decoded ------------------------------------------------------------


@seed(15)
@FUZZ
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12), chunk_extension=st.booleans())
def test_a_signed_delivery_sent_chunked_lands_once(server, receiver, cuts, chunk_extension):
    body, headers = signed_stripe()
    framed = chunked(body, cuts)
    if chunk_extension:  # RFC 9112 chunk extensions are legal and ignored
        framed = framed.replace(b"\r\n", b";ext=1\r\n", 1)
    statuses, _, _ = exchange(
        server, head("/webhooks/stripe", {**headers, "Transfer-Encoding": "chunked", "Connection": "close"}) + framed
    )
    assert statuses == [200]
    assert len([k for k in receiver.everything() if k.startswith("raw/")]) == 1  # a redelivery adds nothing


# -- smuggling -------------------------------------------------------------------------------


def test_content_length_with_transfer_encoding_is_refused(server, receiver):
    """CL.TE: a front proxy framing by Content-Length and this server by chunked would
    disagree on where the request ends. Refused outright; nothing lands."""
    body, headers = signed_stripe()
    framed = chunked(body, [])
    statuses, raw, _ = exchange(
        server,
        head("/webhooks/stripe", {**headers, "Content-Length": str(len(framed)), "Transfer-Encoding": "chunked"})
        + framed,
    )
    assert statuses == [400] and b"connection: close" in raw.lower()
    assert receiver.everything() == []


def test_a_request_inside_a_chunked_body_is_body_not_a_request(server, receiver):
    """The old server ignored chunking and ran the chunk data as a second request."""
    inner_body, inner_headers = signed_stripe("test0042")
    inner = head("/webhooks/stripe", {**inner_headers, "Content-Length": str(len(inner_body))}) + inner_body
    # Keep-alive: the connection stays open for a next request, which must not be the inner one.
    statuses, _, _ = exchange(
        server, head("/webhooks/stripe", {"Transfer-Encoding": "chunked"}) + chunked(inner, [17, 300])
    )
    assert statuses == [401]  # one answer: the outer request, unsigned
    assert receiver.everything() == []


# -- Content-Length ------------------------------------------------------------------------

BAD_LENGTHS = ["abc", "-1", "1.5", "0x10", "", "+5", "5 5", "1e3", "9" * 40, "１２"]


@seed(15)
@FUZZ
@given(
    length=st.one_of(
        st.sampled_from(BAD_LENGTHS),
        st.text(alphabet="0123456789abc-+. ,", min_size=1, max_size=8).filter(lambda s: not s.strip().isdigit()),
    )
)
def test_a_malformed_content_length_is_a_400_not_a_hang(server, receiver, length):
    body, headers = signed_stripe()
    statuses, _, took = exchange(
        server,
        head("/webhooks/stripe", headers).replace(b"\r\n\r\n", f"\r\nContent-Length: {length}\r\n\r\n".encode()) + body,
    )
    assert statuses == [400] and took < READ_LIMIT
    assert receiver.everything() == []


def test_conflicting_content_lengths_are_refused(server, receiver):
    body, headers = signed_stripe()
    request = (
        head("/webhooks/stripe", {**headers, "Content-Length": str(len(body))}).replace(
            b"\r\n\r\n", b"\r\nContent-Length: 3\r\n\r\n"
        )
        + body
    )
    assert exchange(server, request)[0] == [400]
    assert receiver.everything() == []


def test_a_body_shorter_than_its_content_length_times_out_with_408(server, receiver):
    body, headers = signed_stripe()
    statuses, _, took = exchange(
        server, head("/webhooks/stripe", {**headers, "Content-Length": str(len(body) + 100)}) + body
    )
    assert statuses == [408] and took < TIMEOUTS["body"] + 2
    assert receiver.everything() == []


def test_a_post_without_content_length_has_an_empty_body(server, receiver):
    """HTTP/1.1 with neither header: no body (RFC 9112 6.3), so unsigned → 401; the bytes
    that follow are a (malformed) next request → 400, never part of this one."""
    body, headers = signed_stripe()
    statuses, _, _ = exchange(server, head("/webhooks/stripe", headers) + body)
    assert statuses[0] in (400, 401) and all(400 <= s < 500 for s in statuses)
    assert receiver.everything() == []


# -- idle and slow clients -------------------------------------------------------------------


def test_idle_and_trickling_connections_are_closed_and_do_not_starve_others(server, receiver):
    # More idle sockets than the handler's thread pool (32): they must cost it nothing.
    idle = [socket.create_connection(server) for _ in range(100)]
    trickling = [socket.create_connection(server) for _ in range(20)]
    for connection in trickling:
        connection.sendall(b"POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\n")
    body, headers = signed_stripe()
    statuses, _, took = exchange(
        server, head("/webhooks/stripe", {**headers, "Content-Length": str(len(body)), "Connection": "close"}) + body
    )
    assert statuses == [200] and took < READ_LIMIT  # a real delivery goes through meanwhile
    deadline = time.monotonic() + TIMEOUTS["header"] + 3
    for connection in idle + trickling:
        connection.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            connection.sendall(b"X-Slow: 1\r\n")
            assert connection.recv(1024) == b"", "the server answered a request it never got"
        except (ConnectionResetError, BrokenPipeError):
            pass
        except TimeoutError:
            pytest.fail("an idle connection was still open past the header timeout")
        finally:
            connection.close()
    assert len(receiver.everything()) == 1


# -- oversized bodies ------------------------------------------------------------------------


def test_an_oversized_declared_body_is_413_before_it_is_read(server, receiver):
    statuses, _, took = exchange(server, head("/webhooks/stripe", {"Content-Length": str(10 * 1024 * 1024 + 1)}) + b"{")
    assert statuses == [413] and took < 1
    assert receiver.everything() == []


def test_an_oversized_chunked_body_is_413(server, receiver):
    piece = b"x" * (1024 * 1024)
    framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(11)) + b"0\r\n\r\n"
    statuses, _, _ = exchange(server, head("/webhooks/stripe", {"Transfer-Encoding": "chunked"}) + framed)
    assert statuses in ([413], [])  # 413, or the connection cut while we were still sending
    assert receiver.everything() == []


def test_an_unsupported_transfer_coding_is_refused(server, receiver):
    statuses, _, _ = exchange(server, head("/webhooks/stripe", {"Transfer-Encoding": "gzip, chunked"}) + b"0\r\n\r\n")
    assert statuses == [400]
    assert receiver.everything() == []


# -- arbitrary bytes -------------------------------------------------------------------------


@seed(15)
@FUZZ
@given(
    junk=st.one_of(
        st.binary(min_size=1, max_size=300),
        st.builds(
            lambda line, rest: line + b"\r\n" + rest + b"\r\n\r\n",
            st.sampled_from(
                [
                    b"POST /webhooks/stripe HTTP/1.1",
                    b"POST /webhooks/stripe HTTP/9.9",
                    b"POST  HTTP/1.1",
                    b"GET /webhooks/../../etc/passwd HTTP/1.1",
                    b"POST /webhooks/stripe\x00 HTTP/1.1",
                ]
            ),
            st.binary(max_size=200),
        ),
    )
)
def test_arbitrary_bytes_never_get_a_5xx(server, receiver, junk):
    statuses, _, _ = exchange(server, junk)
    assert all(s < 500 for s in statuses)
    assert receiver.everything() == []


# -- signatures through the socket -----------------------------------------------------------


def _post(server, body: bytes, headers: dict[str, str]) -> int:
    statuses, _, _ = exchange(
        server,
        head(
            "/webhooks/stripe",
            {"Content-Type": "application/json", **headers, "Content-Length": str(len(body)), "Connection": "close"},
        )
        + body,
    )
    assert len(statuses) == 1
    return statuses[0]


def test_signature_classes_through_the_socket(server, receiver, caplog, capfd):
    body, headers = signed_stripe()
    signature = headers["Stripe-Signature"]
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()
    assert _post(server, body, {}) == 401  # missing
    assert _post(server, body, {"Stripe-Signature": signature.replace("v1=", "v1=0")}) == 401  # wrong
    assert (
        _post(server, body.replace(b'"amount": ', b'"amount": 9'), {"Stripe-Signature": signature}) == 401
    )  # tampered
    assert _post(server, body, sign("stripe", body, "", now=time.time() - 3600)) == 401  # stale
    nested = b"[" * 50_000 + b"]" * 50_000
    assert _post(server, nested, {"Stripe-Signature": signature}) == 401  # a nesting bomb, unsigned
    assert receiver.everything() == []
    logged = caplog.text + "".join(capfd.readouterr())  # Python logging and Powertools' stdout
    assert logged.count("webhook refused") == 5  # each refusal logged ...
    assert signature.split("v1=")[1] not in logged and "evt_1Pgafu" not in logged  # ... without signature or body
    assert _post(server, body, {"Stripe-Signature": signature}) == 200  # and the real one still lands
    assert len(receiver.everything()) == 1


@seed(15)
@FUZZ
@given(
    name=st.sampled_from(["Stripe-Signature", "Content-Type", "Host", "X-Forwarded-Proto", "X-Shopify-Hmac-Sha256"]),
    value=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200),
)
def test_header_garbage_through_the_socket_is_4xx(server, receiver, name, value):
    body = json.dumps({"id": "evt_x", "object": "event"}).encode()
    status = _post(server, body, {name: value})
    assert 400 <= status < 500
    assert receiver.everything() == []
