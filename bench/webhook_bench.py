"""Webhook delivery: how fast a backlog drains to one endpoint, and the lag of a fresh event.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/webhook_bench.py \
        [--messages N] [--jobs J] [--receivers R] [--profile]

Creates a throwaway database and an endpoint at a local receiver: R processes of a small
asyncio HTTP/1.1 keep-alive server (stdlib only) sharing one listening socket, answering 204,
so the receiver is not what is measured. Baseline first, in the same run: unsigned POSTs of the
same bodies from the same shape of pool (J processes of `WEBHOOK_CONCURRENCY` threads, the
delivery's own HTTP client) to the same receiver, no database. Then writes N call.settled
messages to the outbox as settling writes them (`webhooks.outbox.emit`) and runs J delivery
jobs side by side (`webhooks.delivery.deliver`, what J workers run) until all are delivered:
deliveries/s, and every message received exactly once. Then emits single events one at a time
and delivers each as a kicked job would: the lag from emit to the receiver. `--profile` runs
one job under cProfile instead of the J processes and prints where its time goes.
Targets (issue 24): >= 2,000 deliveries/s draining a backlog; p99 lag < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import os
import pstats
import socket
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from webhook_lag import PostReceiver  # noqa: E402  (the receivers' one HTTP framing)

os.environ.setdefault("TEST_DATABASE_NAME", "ivr_webhook_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivrsite.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

JUDGED_FROM = 5_000  # messages in the backlog for the targets to be judged


class Hook(PostReceiver):
    """Counts the POSTs it answers, in its slot of a shared array."""

    def __init__(self, counts, slot: int) -> None:
        self.counts, self.slot = counts, slot

    def received(self, requests: list[tuple[bytes, bytes]]) -> None:
        self.counts[self.slot] += len(requests)


def receive(listener: socket.socket, counts, slot: int) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(lambda: Hook(counts, slot), sock=listener)
        await server.serve_forever()

    asyncio.run(serve())


def received(counts) -> int:
    return sum(counts)


def post_unsigned(url: str, bodies: list[bytes], threads: int) -> None:
    """The baseline: the delivery's HTTP client, no signature, no database."""
    from webhooks.delivery import http_pool

    pool = http_pool(threads)
    with ThreadPoolExecutor(threads) as executor:
        codes = list(
            executor.map(
                lambda body: (
                    pool.request(
                        "POST", url, body=body, headers={"content-type": "application/json"}, retries=False
                    ).status
                ),
                bodies,
            )
        )
    if any(code != 204 for code in codes):
        raise SystemExit("baseline: the receiver refused a POST")


def quiet(delivery) -> None:
    """The bench runs the jobs itself: nothing is queued in Redis."""
    delivery.kick = lambda endpoint_ids: None
    delivery._kick_slots = lambda endpoint_id, slots: None


def drain(endpoint_id: int) -> None:
    from webhooks import delivery

    quiet(delivery)
    delivery.deliver(endpoint_id, max_seconds=3600)


def side_by_side(jobs: int, target, args_for) -> float:
    """Run `target` in `jobs` forked processes at once; seconds until the last one ends."""
    from django.db import connections

    connections.close_all()  # each child opens its own connection
    processes = [multiprocessing.Process(target=target, args=args_for(n)) for n in range(jobs)]
    started = time.monotonic()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    seconds = time.monotonic() - started
    if any(process.exitcode != 0 for process in processes):
        raise SystemExit(f"a process failed: exit codes {[p.exitcode for p in processes]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=100, help="Events emitted one at a time for the lag.")
    parser.add_argument("--jobs", type=int, default=2, help="Delivery jobs side by side (worker processes).")
    parser.add_argument("--receivers", type=int, default=2, help="Receiver processes.")
    parser.add_argument("--profile", action="store_true", help="One job in this process, under cProfile.")
    args = parser.parse_args()
    multiprocessing.set_start_method("fork")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction

    from webhooks import delivery
    from webhooks.models import WebhookEndpoint, WebhookMessage
    from webhooks.outbox import emit

    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at PostgreSQL.")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    listener.setblocking(False)
    counts = multiprocessing.Array("q", args.receivers, lock=False)
    receivers = [
        multiprocessing.Process(target=receive, args=(listener, counts, n), daemon=True) for n in range(args.receivers)
    ]
    for process in receivers:
        process.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    quiet(delivery)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    threads = settings.WEBHOOK_CONCURRENCY
    try:
        endpoint = WebhookEndpoint.objects.create(url=url, events=["call.settled"])
        payload = {"call_id": 1, "campaign_id": 1, "status": "answered", "answer_label": "满意", "answer_key": "1"}
        payload |= {"variables": {"product": "宽带", "city": "杭州"}, "external_id": "crm-1", "attempt": 1}
        payload |= {"score": 5, "duration": 37, "contact_id": 1, "list_id": 1, "settled_at": "2026-12-06T09:00:00Z"}
        event = {"type": "call.settled", "timestamp": "2026-12-06T09:00:00+00:00", "data": payload}
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()

        share = -(-args.messages // args.jobs)
        before = received(counts)
        plain = side_by_side(args.jobs, post_unsigned, lambda n: (url, [body] * share, threads))
        plain_count = received(counts) - before
        if plain_count != share * args.jobs:
            raise SystemExit(f"baseline: {plain_count} POSTs received of {share * args.jobs}")
        plain_rate = plain_count / plain

        with transaction.atomic():
            for start in range(0, args.messages, 1000):
                emit("call.settled", [payload] * min(1000, args.messages - start))
        before = received(counts)
        if args.profile:
            profiler = cProfile.Profile()
            started = time.monotonic()
            profiler.runcall(delivery.deliver, endpoint.pk, max_seconds=3600)
            seconds = time.monotonic() - started
        else:
            seconds = side_by_side(args.jobs, drain, lambda n: (endpoint.pk,))
        got = received(counts) - before
        left = WebhookMessage.objects.exclude(status="delivered").count()
        if left:
            raise SystemExit(f"{left} messages not delivered")
        if got != args.messages:
            raise SystemExit(f"the receiver got {got} POSTs for {args.messages} messages")
        rate = args.messages / seconds
        if args.profile:
            stats = pstats.Stats(profiler).strip_dirs().sort_stats("tottime")
            stats.print_stats(25)

        lags = []
        for _ in range(args.single):
            before = received(counts)
            started = time.monotonic()
            with transaction.atomic():
                emit("call.settled", [payload])
            delivery.deliver(endpoint.pk)
            while received(counts) == before:
                time.sleep(0.0005)
            lags.append(time.monotonic() - started)
        lags.sort()
        p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))]
        jobs = 1 if args.profile else args.jobs
        print(f"receiver: {args.receivers} asyncio processes, HTTP/1.1 keep-alive, 204")
        print(
            f"backlog of {args.messages:,} drained by {jobs} job(s) of {threads} threads in {seconds:.2f} s "
            f"= {rate:,.0f} deliveries/s (signed, logged, each received once)"
        )
        print(
            f"baseline: unsigned POSTs of the same {len(body)}-byte bodies, {args.jobs} process(es) of {threads} "
            f"threads, same client and receiver, no database: {plain_rate:,.0f}/s"
        )
        print(f"ratio: {rate / plain_rate:.2f}x")
        print(
            f"lag emit -> received, one event at a time: median {statistics.median(lags) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms (the job runs at once here; a worker adds its pickup time)"
        )
        if args.messages < JUDGED_FROM:  # a smoke run: start-up dominates a backlog this small
            print(f"targets: >= 2,000/s, p99 < 2 s -> not judged below {JUDGED_FROM:,} messages")
        else:
            print(f"targets: >= 2,000/s, p99 < 2 s -> {'met' if rate >= 2000 and p99 < 2 else 'MISSED'}")
        print(f"machine load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        for process in receivers:
            process.terminate()


if __name__ == "__main__":
    main()
