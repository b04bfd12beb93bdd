"""`ledgerlake serve`: the receiver Lambda behind a local HTTP server.

Each request becomes the API Gateway HTTP API v2 event the Lambda would get and goes
through the same `handlers.receiver.handler`, so `stripe listen --forward-to
localhost:8800/webhooks/stripe` and `ledgerlake replay --to http://127.0.0.1:8800`
exercise the deployed code path. Like API Gateway, bodies over 10 MB are refused before
the handler (which itself refuses anything over 1 MiB).

HTTP framing is uvicorn's (on h11, both in the lock): chunked bodies are decoded,
malformed or conflicting `Content-Length` / `Transfer-Encoding` get a 400 and a closed
connection, pipelined requests are parsed one at a time. On top of that, this module adds
what uvicorn leaves to a proxy in front of it (see docs/security.md "ledgerlake serve"):
- a request carrying both `Content-Length` and `Transfer-Encoding` is refused (400, close):
  the two framings disagreeing is how requests get smuggled past a front proxy;
- a header timeout (uvicorn only times out idle keep-alive connections, so a client that
  opens a socket and trickles headers would hold it forever) and a body timeout (408);
- the 10 MB cap (413) checked against `Content-Length` before reading, and while reading a
  chunked body.
The handler is synchronous (boto3), so it runs in a thread pool off the event loop.

`workers > 1` runs that many processes on one port (SO_REUSEPORT; the kernel spreads
connections), each its own event loop and pool.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import multiprocessing
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .apigw import build_event

DEFAULT_PORT = 8800
GATEWAY_MAX_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit
BACKLOG = 1024  # pending connections the kernel queues (somaxconn caps it)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `header`: from connect (or the previous answer) to a complete request
    line and headers; `body`: to read the whole body; `keep_alive`: idle between requests.
    Providers send a delivery in one go and wait at most 5-10 s for the answer."""

    header: float = 10.0
    body: float = 30.0
    keep_alive: float = 5.0


def _header_timeout_protocol(seconds: float) -> type[H11Protocol]:
    class HeaderTimeoutProtocol(H11Protocol):
        """uvicorn's h11 protocol plus a deadline for the request head."""

        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(seconds, self._head_timed_out)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            # Only while waiting for a request head: a request being answered is the
            # body timeout's business (in the app), an idle keep-alive uvicorn's.
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request's head has the same deadline

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol


def _plain(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", "Connection": "close"}, f'{{"message":"{message}"}}'.encode()


def make_app(handler: Callable[[dict, Any], dict], executor: ThreadPoolExecutor, timeouts: Timeouts):
    """The ASGI app: frame checks, read the body, hand the v2 event to `handler`."""

    async def send_reply(send, status: int, headers: dict[str, str], data: bytes) -> None:
        raw = [
            (k.lower().encode("latin-1"), str(v).encode("latin-1"))
            for k, v in headers.items()
            if k.lower() != "content-length"
        ]
        raw.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": data})

    async def read_body(receive) -> bytes | None:
        """The body, or None when the client went away."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > GATEWAY_MAX_BYTES:
                raise OverflowError
            if not message.get("more_body"):
                return bytes(body)

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":  # lifespan is off, websockets are off; nothing else comes
            return
        names = [name for name, _ in scope["headers"]]
        if b"transfer-encoding" in names and b"content-length" in names:
            await send_reply(send, *_plain(400, "Bad Request: both Content-Length and Transfer-Encoding"))
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), b"0")
        if int(declared) > GATEWAY_MAX_BYTES:  # h11 has checked it is all digits
            await send_reply(send, *_plain(413, "Request Entity Too Large"))
            return
        try:
            body = await asyncio.wait_for(read_body(receive), timeouts.body)
        except OverflowError:
            await send_reply(send, *_plain(413, "Request Entity Too Large"))
            return
        except TimeoutError:
            await send_reply(send, *_plain(408, "Request Timeout"))
            return
        if body is None:
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            key, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        server_host, server_port = scope["server"] or ("127.0.0.1", 0)
        host = headers.get("host") or f"{server_host}:{server_port}"
        # Plain HTTP here, unless a TLS proxy in front (ngrok, a load balancer) says
        # otherwise: HubSpot signs the https URL it was given.
        headers.setdefault("x-forwarded-proto", "http")
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        client = scope.get("client") or ("127.0.0.1", 0)
        event = build_event(scope["method"], f"http://{host}{target}", headers, body, source_ip=client[0])
        try:
            answer = await asyncio.get_running_loop().run_in_executor(executor, handler, event, None)
        except Exception:  # the Lambda runtime would answer 502; so do we
            log.exception("receiver handler failed")
            await send_reply(send, 502, {"Content-Type": "application/json"}, b'{"message":"Internal Server Error"}')
            return
        payload = answer.get("body") or ""
        data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
        reply_headers = {k: str(v) for k, v in (answer.get("headers") or {}).items() if k.lower() != "connection"}
        await send_reply(send, int(answer.get("statusCode", 200)), reply_headers, data)

    return app


class Server:
    """A bound (not yet serving) receiver server; `serve_forever()` blocks until
    `shutdown()` (from another thread) or Ctrl-C."""

    def __init__(
        self,
        host: str,
        port: int,
        handler,
        *,
        reuse_port: bool = False,
        timeouts: Timeouts = Timeouts(),
        threads: int = 32,
    ):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.socket.bind((host, port))
        self.socket.listen(BACKLOG)
        self.server_address = self.socket.getsockname()[:2]
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="receiver")
        config = uvicorn.Config(
            make_app(handler, self._executor, timeouts),
            http=_header_timeout_protocol(timeouts.header),
            ws="none",
            lifespan="off",
            interface="asgi3",
            log_config=None,
            access_log=False,
            proxy_headers=False,  # the peer address is the peer: a forwarded header is the caller's claim
            server_header=False,
            timeout_keep_alive=timeouts.keep_alive,
            timeout_graceful_shutdown=5,
            backlog=BACKLOG,
        )
        self._server = uvicorn.Server(config)
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        self._server.should_exit = True
        self._stopped.wait(10)

    def server_close(self) -> None:
        self.socket.close()
        self._executor.shutdown(wait=False, cancel_futures=True)


def make_server(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    handler=None,
    reuse_port: bool = False,
    timeouts: Timeouts = Timeouts(),
) -> Server:
    """A ready (not yet serving) server; `port=0` picks a free one (see server_address)."""
    if handler is None:
        from ..handlers.receiver import handler as receiver_handler

        handler = receiver_handler
    return Server(host, port, handler, reuse_port=reuse_port, timeouts=timeouts)


def prepare_local() -> Any:
    """Lake buckets (local S3 only) and the hydration queue for a local receiver."""
    from ..config import Settings
    from ..handlers import receiver
    from ..lake import Lake
    from .queue import local_queue_or_discard

    lake = Lake()
    if Settings.from_env().s3_endpoint:
        from botocore.exceptions import ClientError

        try:
            lake.ensure_buckets()
        except ClientError:  # another worker process created it between HEAD and PUT
            lake.ensure_buckets()
    queue = local_queue_or_discard()
    receiver.configure(lake=lake, queue=queue)
    return queue


def _worker(host: str, port: int) -> None:
    prepare_local()
    make_server(host, port, reuse_port=True).serve_forever()


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT, workers: int = 1) -> None:
    """Serve until interrupted."""
    if workers <= 1:
        queue = prepare_local()
        server = make_server(host, port)
        log.info(
            "receiver on http://%s:%d/webhooks/{source} (hydration: %s)",
            host,
            server.server_address[1],
            type(queue).__name__,
        )
        try:
            server.serve_forever()
        finally:
            server.server_close()
        return
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(host, port), daemon=True) for _ in range(workers)]
    for process in processes:
        process.start()
    log.info("receiver on http://%s:%d/webhooks/{source} (%d worker processes)", host, port, workers)
    try:
        for process in processes:
            process.join()
    finally:
        for process in processes:
            process.terminate()
