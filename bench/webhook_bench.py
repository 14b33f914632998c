"""Webhook delivery: how fast a backlog drains to one endpoint, and the lag of a fresh event.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/webhook_bench.py [--messages N]

Creates a throwaway database, an endpoint at a local receiver (its own process, HTTP/1.1
keep-alive, answers 204), writes N call.settled messages to the outbox as settling writes
them (`webhooks.outbox.emit`, one INSERT), then runs the delivery job a worker runs
(`webhooks.delivery.deliver`) until all are delivered: deliveries/s. Then emits single events
one at a time and delivers each as a kicked job would: the lag from emit to the receiver.
Baseline in the same run: unsigned POSTs of the same bodies from the same thread pool.
Targets (issue 24): >= 2,000 deliveries/s draining a backlog; p99 lag < 2 s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEST_DATABASE_NAME", "ivr_webhook_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivrsite.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")


def receive(port, ready, count) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with count.get_lock():
                count.value += 1
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_address[1]
    ready.set()
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=100, help="Events emitted one at a time for the lag.")
    args = parser.parse_args()
    import django

    django.setup()
    import requests
    from django.conf import settings
    from django.db import connection, transaction

    from webhooks import delivery
    from webhooks.models import WebhookEndpoint, WebhookMessage
    from webhooks.outbox import emit

    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL.")
    port, ready, count = multiprocessing.Value("i", 0), multiprocessing.Event(), multiprocessing.Value("l", 0)
    receiver = multiprocessing.Process(target=receive, args=(port, ready, count), daemon=True)
    receiver.start()
    ready.wait(30)
    url = f"http://127.0.0.1:{port.value}/hook"
    delivery.kick = lambda endpoint_ids: None  # the bench runs the job itself
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        endpoint = WebhookEndpoint.objects.create(url=url, events=["call.settled"])
        payload = {"call_id": 1, "campaign_id": 1, "status": "answered", "answer_label": "满意", "answer_key": "1"}
        payload |= {"variables": {"product": "宽带", "city": "杭州"}, "external_id": "crm-1", "attempt": 1}

        body = b'{"type":"call.settled","data":{}}'
        with requests.Session() as session, ThreadPoolExecutor(settings.WEBHOOK_CONCURRENCY) as pool:
            started = time.monotonic()
            list(pool.map(lambda _n: session.post(url, data=body, timeout=5), range(min(args.messages, 5000))))
            plain_rate = min(args.messages, 5000) / (time.monotonic() - started)

        with transaction.atomic():
            for start in range(0, args.messages, 1000):
                emit("call.settled", [payload] * min(1000, args.messages - start))
        started = time.monotonic()
        delivered = 0
        while delivered < args.messages:
            delivered += delivery.deliver(endpoint.pk, max_seconds=3600)
        drain = time.monotonic() - started
        left = WebhookMessage.objects.exclude(status="delivered").count()
        if left:
            raise SystemExit(f"{left} messages not delivered")

        lags = []
        for _ in range(args.single):
            before = count.value
            started = time.monotonic()
            with transaction.atomic():
                emit("call.settled", [payload])
            delivery.deliver(endpoint.pk)
            while count.value == before:
                time.sleep(0.0005)
            lags.append(time.monotonic() - started)
        lags.sort()
        p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))]
        rate = args.messages / drain
        print(f"backlog of {args.messages:,} drained in {drain:.1f} s = {rate:,.0f} deliveries/s (signed, logged)")
        print(f"baseline: unsigned POSTs from the same {settings.WEBHOOK_CONCURRENCY} threads {plain_rate:,.0f}/s")
        print(f"ratio: {rate / plain_rate:.2f}x")
        print(
            f"lag emit -> received, one event at a time: median {statistics.median(lags) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms (the job runs at once here; a worker adds its pickup time)"
        )
        print(f"targets: >= 2,000/s, p99 < 2 s -> {'met' if rate >= 2000 and p99 < 2 else 'MISSED'}")
        print(f"machine load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        receiver.terminate()


if __name__ == "__main__":
    main()
