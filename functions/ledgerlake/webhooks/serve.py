"""`ledgerlake serve`: the receiver Lambda behind a local HTTP server.

Each request becomes the API Gateway HTTP API v2 event the Lambda would get and goes
through the same `handlers.receiver.handler`, so `stripe listen --forward-to
localhost:8800/webhooks/stripe` and `ledgerlake replay --to http://127.0.0.1:8800`
exercise the deployed code path. Like API Gateway, bodies over 10 MB are refused before
the handler (which itself refuses anything over 1 MiB).

`workers > 1` runs that many processes on one port (SO_REUSEPORT; the kernel spreads
connections), each a ThreadingHTTPServer.
"""

from __future__ import annotations

import base64
import logging
import multiprocessing
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from .apigw import build_event

DEFAULT_PORT = 8800
GATEWAY_MAX_BYTES = 10 * 1024 * 1024  # API Gateway's own payload limit
log = logging.getLogger(__name__)


def make_request_handler(handler: Callable[[dict, Any], dict]):
    class WebhookRequest(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ledgerlake-serve"

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > GATEWAY_MAX_BYTES:
                self._reply(413, {"Content-Type": "application/json"}, b'{"message":"Request Entity Too Large"}', close=True)
                return
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            # Plain HTTP here, unless a TLS proxy in front (ngrok, a load balancer) says
            # otherwise: HubSpot signs the https URL it was given.
            headers.setdefault("x-forwarded-proto", "http")
            event = build_event(self.command, f"http://{host}{self.path}", headers, body, source_ip=self.client_address[0])
            try:
                answer = handler(event, None)
            except Exception:  # the Lambda runtime would answer 502; so do we
                log.exception("receiver handler failed")
                self._reply(502, {"Content-Type": "application/json"}, b'{"message":"Internal Server Error"}')
                return
            payload = answer.get("body") or ""
            data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
            reply_headers = {k: str(v) for k, v in (answer.get("headers") or {}).items()}
            self._reply(int(answer.get("statusCode", 200)), reply_headers, data)

        def _reply(self, status: int, headers: dict[str, str], data: bytes, close: bool = False) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

        def log_message(self, format: str, *args) -> None:  # the handler logs each delivery
            log.debug("%s %s", self.address_string(), format % args)

    return WebhookRequest


class ReusePortServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def make_server(host: str = "127.0.0.1", port: int = DEFAULT_PORT, handler=None, reuse_port: bool = False):
    """A ready (not yet serving) server; `port=0` picks a free one (see server_address)."""
    if handler is None:
        from ..handlers.receiver import handler as receiver_handler

        handler = receiver_handler
    cls = ReusePortServer if reuse_port else ThreadingHTTPServer
    return cls((host, port), make_request_handler(handler))


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
        log.info("receiver on http://%s:%d/webhooks/{source} (hydration: %s)", host, server.server_address[1], type(queue).__name__)
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
