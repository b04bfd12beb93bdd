"""Webhook receiver benchmarks: cold-start import time and local throughput.

    python -m ledgerlake.bench.webhooks [--events 2000] [--workers 1,2] [--s3 moto|local]
    python -m ledgerlake.bench.webhooks --qbo-batch 1500   # one large QBO delivery

* import: `python -X importtime -c "import ledgerlake.handlers.receiver"`, median of 7
  fresh processes (target < 300 ms), and the modules it must never pull in;
* first delivery: a fresh process importing the handler and landing one signed Stripe
  event (boto3 import and client creation included: the real cold-start cost);
* throughput: `ledgerlake serve --workers N` as a subprocess, fed distinct signed Stripe
  and Shopify deliveries over HTTP by 16 concurrent senders (`replay_http`); events/s
  counted as objects actually landed on the S3 server (target >= 200/s with 2 workers).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HEAVY = ("polars", "duckdb", "pandas", "prophet", "numpy")
SECRETS = {
    "STRIPE_WEBHOOK_SECRET": "whsec_bench_secret",
    "SHOPIFY_WEBHOOK_SECRET": "bench-shopify-secret",
    "HUBSPOT_CLIENT_SECRET": "bench-hubspot-secret",
    "QBO_WEBHOOK_VERIFIER_TOKEN": "bench-qbo-token",
    "XERO_WEBHOOK_KEY": "bench-xero-key",
}


def import_time(runs: int = 7) -> tuple[float, list[str]]:
    """Median cumulative import time of the receiver (ms), and heavy modules it loaded."""
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import ledgerlake.handlers.receiver"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        match = re.search(r"\|\s*(\d+)\s*\|\s*ledgerlake\.handlers\.receiver\s*$", out, re.M)
        times.append(int(match.group(1)) / 1000)
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, ledgerlake.handlers.receiver; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    heavy = sorted({m.split(".")[0] for m in loaded if m.split(".")[0] in HEAVY})
    return statistics.median(times), heavy


_FIRST = r"""
import time; t0 = time.perf_counter()
import json
from ledgerlake.handlers.receiver import handler
t1 = time.perf_counter()
from ledgerlake.sources.stripe.webhook import event_of, sign
from ledgerlake.webhooks.apigw import build_event
body = event_of({"id": "ch_bench", "object": "charge", "amount": 1000, "currency": "usd", "created": 1746187200},
                event_id="evt_bench_first")
url = "https://hooks.example.com/webhooks/stripe"
t2 = time.perf_counter()
answer = handler(build_event("POST", url, {"Content-Type": "application/json", **sign(body, url=url)}, body), None)
t3 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_ms": (t3 - t2) * 1000, "status": answer["statusCode"]}))
"""


def first_delivery(env: dict) -> dict:
    """Import, then one delivery: boto3's import and the S3 client are paid inside it."""
    from ..lake import Lake

    _with_env(env, lambda: Lake().ensure_buckets())
    out = subprocess.run([sys.executable, "-c", _FIRST], capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port}")


def write_deliveries(directory: Path, n: int) -> Path:
    """n distinct deliveries (alternating Stripe events and Shopify orders), real shapes."""
    (directory / "webhooks").mkdir(parents=True, exist_ok=True)
    base = 1746187200
    with (
        (directory / "webhooks" / "stripe.jsonl").open("w") as stripe,
        (directory / "webhooks" / "shopify.jsonl").open("w") as shop,
    ):
        for i in range(n):
            if i % 2 == 0:
                event = {
                    "id": f"evt_bench_{i:07d}",
                    "object": "event",
                    "api_version": "2024-06-20",
                    "created": base + i,
                    "type": "charge.succeeded",
                    "livemode": False,
                    "pending_webhooks": 1,
                    "request": {"id": None, "idempotency_key": None},
                    "data": {
                        "object": {
                            "id": f"ch_bench_{i:07d}",
                            "object": "charge",
                            "amount": 1000 + i,
                            "currency": "usd",
                            "created": base + i,
                            "status": "succeeded",
                            "paid": True,
                        }
                    },
                }
                stripe.write(
                    json.dumps(
                        {
                            "delivery_id": event["id"],
                            "source": "stripe",
                            "method": "POST",
                            "path": "/webhooks/stripe",
                            "headers": {"Content-Type": "application/json"},
                            "body": json.dumps(event),
                        }
                    )
                    + "\n"
                )
            else:
                order = {
                    "id": 5000000000 + i,
                    "name": f"#{1000 + i}",
                    "created_at": "2025-05-02T12:00:00-04:00",
                    "updated_at": "2025-05-02T12:00:00-04:00",
                    "currency": "USD",
                    "total_price": "49.00",
                    "financial_status": "paid",
                    "line_items": [{"id": i, "title": "Widget", "price": "49.00", "quantity": 1}],
                }
                webhook_id = str(uuid.UUID(int=i))
                shop.write(
                    json.dumps(
                        {
                            "delivery_id": webhook_id,
                            "source": "shopify",
                            "method": "POST",
                            "path": "/webhooks/shopify",
                            "headers": {
                                "Content-Type": "application/json",
                                "X-Shopify-Topic": "orders/create",
                                "X-Shopify-Webhook-Id": webhook_id,
                                "X-Shopify-Triggered-At": "2025-05-02T16:00:00.000000Z",
                            },
                            "body": json.dumps(order),
                        }
                    )
                    + "\n"
                )
    return directory


def throughput(env: dict, workers: int, events: int, senders: int = 16) -> dict:
    from ..lake import Lake
    from ..webhooks.replay import replay_http

    bucket = f"bench-raw-{uuid.uuid4().hex[:8]}"
    run_env = dict(
        env, LEDGERLAKE_RAW_BUCKET=bucket, POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING"
    )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ledgerlake", "serve", "--port", str(port), "--workers", str(workers)],
        env=run_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port)
        time.sleep(1.0 if workers > 1 else 0.2)  # let every worker bind
        with tempfile.TemporaryDirectory() as tmp:
            directory = write_deliveries(Path(tmp), events)
            report = _with_env(
                run_env, lambda: replay_http(directory, f"http://127.0.0.1:{port}", duplicates=False, workers=senders)
            )
            landed = _with_env(run_env, lambda: Lake().count("raw/"))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {
        "workers": workers,
        "sent": report.sent,
        "landed": landed,
        "seconds": report.seconds,
        "per_second": landed / report.seconds,
        "ok": report.ok,
        "statuses": report.statuses,
        "failures": report.failures[:3],
    }


def qbo_batch(env: dict, entities: int) -> dict:
    """One signed QBO delivery of `entities` changes through the receiver handler (API
    Gateway v2 event, memory queue): seconds to the answer, then seconds for the fan-out
    jobs it deferred to run through the hydrator handler."""

    def run():
        from ..handlers import hydrator, receiver
        from ..lake import Lake
        from ..sources.qbo.webhook import sign
        from ..webhooks.apigw import build_event
        from ..webhooks.queue import MemoryQueue, sqs_event

        lake, queue, out = Lake(), MemoryQueue(), MemoryQueue()
        lake.ensure_buckets()
        receiver.configure(lake=lake, queue=queue)
        hydrator.configure(lake=lake, queue=out)
        changes = [
            {"name": "Invoice", "id": str(1000 + i), "operation": "Update", "lastUpdated": "2025-05-03T17:15:00.000Z"}
            for i in range(entities)
        ]
        body = json.dumps(
            {"eventNotifications": [{"realmId": "9130350000000001", "dataChangeEvent": {"entities": changes}}]}
        ).encode()
        url = "https://hooks.example/webhooks/qbo"
        event = build_event("POST", url, {"Content-Type": "application/json", **sign(body, url=url)}, body)
        t0 = time.perf_counter()
        status = receiver.handler(event, None)["statusCode"]
        answered = time.perf_counter() - t0
        fanouts = [job for job in queue.jobs if "fanout" in job]
        t0 = time.perf_counter()
        for job in fanouts:
            hydrator.handler(sqs_event([job]), None)
        return {
            "status": status,
            "answer_s": answered,
            "fanout_jobs": len(fanouts),
            "fanout_s": time.perf_counter() - t0,
            "notifications": lake.count("raw/source=qbo/entity=notifications/"),
        }

    return _with_env(env, run)


def _with_env(env: dict, fn):
    """Run fn with env applied to this process (signing reads secrets from it), then restore."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return fn()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _s3(kind: str, home: str) -> tuple[dict, object]:
    """(settings env, stop) for the S3 server the figures are taken on."""
    if kind == "local":
        # A private SeaweedFS in the bench's own home (the demo's lake is left alone).
        from .. import lakeserver
        from ..config import LOCAL_S3_PORT, local_env_path

        def start():
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the new home's local.env decides
                os.environ.pop(name, None)
            endpoint = lakeserver.start().endpoint
            values = dict(
                line.split("=", 1)
                for line in local_env_path().read_text().splitlines()
                if "=" in line and not line.startswith("#")
            )
            return {**values, "LEDGERLAKE_S3_ENDPOINT": endpoint}

        env = _with_env(
            {
                "LEDGERLAKE_HOME": home,
                "LEDGERLAKE_S3_ENDPOINT": f"http://127.0.0.1:{LOCAL_S3_PORT}",
                "AWS_ACCESS_KEY_ID": "",
                "AWS_SECRET_ACCESS_KEY": "",
            },
            start,
        )
        return env, lambda: _with_env({"LEDGERLAKE_HOME": home}, lakeserver.stop)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return {
        "LEDGERLAKE_S3_ENDPOINT": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
    }, server.stop


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m ledgerlake.bench.webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--s3", choices=["moto", "local"], default="moto", help="moto server, or the local SeaweedFS lake"
    )
    parser.add_argument(
        "--qbo-batch",
        type=int,
        default=0,
        metavar="N",
        help="only time one QBO delivery of N entity changes (answer, then its fan-out)",
    )
    args = parser.parse_args(argv)
    if args.qbo_batch:
        with tempfile.TemporaryDirectory() as home:
            s3_env, stop = _s3(args.s3, home)
            try:
                env = {
                    **SECRETS,
                    **s3_env,
                    "LEDGERLAKE_HOME": home,
                    "POWERTOOLS_METRICS_DISABLED": "true",
                    "POWERTOOLS_LOG_LEVEL": "WARNING",
                    "LEDGERLAKE_RAW_BUCKET": f"bench-raw-{uuid.uuid4().hex[:8]}",
                }
                r = qbo_batch(env, args.qbo_batch)
            finally:
                stop()
        return (
            f"QBO delivery of {args.qbo_batch} entities: {r['status']} in {r['answer_s']:.2f} s; "
            f"{r['fanout_jobs']} fan-out jobs landed {r['notifications']} notifications in {r['fanout_s']:.1f} s\n"
        )

    import_ms, heavy = import_time()
    with tempfile.TemporaryDirectory() as home:
        s3_env, stop = _s3(args.s3, home)
        try:
            env = {
                **os.environ,
                **SECRETS,
                **s3_env,
                "LEDGERLAKE_HOME": home,
                "LEDGERLAKE_RAW_BUCKET": f"bench-raw-{uuid.uuid4().hex[:8]}",
            }
            first = first_delivery(dict(env, POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="WARNING"))
            runs = [throughput(env, int(w), args.events) for w in args.workers.split(",")]
        finally:
            stop()

    cpu = os.cpu_count()
    lines = [
        (
            f"Measured {time.strftime('%Y-%m-%d')} on {cpu} CPU cores, Python {sys.version.split()[0]}, "
            f"S3 = {'local SeaweedFS' if args.s3 == 'local' else 'moto server'} "
            f"(`python -m ledgerlake.bench.webhooks --s3 {args.s3}`)."
        ),
        "",
        "| measure | figure | target |",
        "|---|---|---|",
        f"| receiver cold import (`-X importtime`, median of 7) | {import_ms:.0f} ms | < 300 ms |",
        (
            f"| heavy modules in the receiver's import graph | {', '.join(heavy) or 'none'} "
            "| none of polars, duckdb, pandas, prophet |"
        ),
        (
            "| first delivery in a fresh process (boto3 import + S3 client + verify + land) "
            f"| {first['first_ms']:.0f} ms (after {first['import_ms']:.0f} ms import) | inside QBO's 3 s |"
        ),
    ]
    for run in runs:
        lines.append(
            f"| throughput, `serve --workers {run['workers']}`, 16 senders, {run['sent']} distinct events | "
            f"{run['per_second']:.0f} events/s landed ({run['landed']} in {run['seconds']:.1f} s) "
            "| >= 200/s with 2 workers |"
        )
        if not run["ok"]:
            lines.append(f"| ↳ not all answered 2xx | {run['statuses']} {run['failures']} | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(main())
