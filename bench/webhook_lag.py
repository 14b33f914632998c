"""Webhook lag during a campaign (issue 24), for `soak_bench.py --webhook`.

An endpoint subscribed to `call.settled` at a local receiver (an asyncio HTTP/1.1 server in a
process of its own, answering 204 and writing down when each POST arrived, its `webhook-id` and
the call it reports). The receipt's 200 is when its push was committed: a trigger copies each
`receipts_pendingpush` row (its `received_at` and body) into a table of the bench's own before
the settler deletes it. Lag = arrival at the receiver - the last push naming the call's OutId.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import signal
import socket
import statistics
import time
from pathlib import Path

KEEP_PUSHES = """
CREATE TABLE bench_push_times (received_at timestamptz NOT NULL, body text NOT NULL);
CREATE FUNCTION bench_keep_push() RETURNS trigger AS $$
BEGIN
    INSERT INTO bench_push_times VALUES (NEW.received_at, NEW.body);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER bench_keep_push AFTER INSERT ON receipts_pendingpush FOR EACH ROW EXECUTE FUNCTION bench_keep_push();
"""
NO_CONTENT = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


class PostReceiver(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining, just enough for POSTs with a content-length: each
    complete request (its head, lower-cased, and its body) goes to `received`, and is answered 204."""

    buffer = b""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        requests = []
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end].lower()
            at = head.find(b"content-length:")
            line_end = head.find(b"\r\n", at)
            length = 0 if at < 0 else int(head[at + 15 : line_end if line_end > 0 else None])
            if len(buffer) < end + 4 + length:
                break
            requests.append((head, buffer[end + 4 : end + 4 + length]))
            buffer = buffer[end + 4 + length :]
        self.buffer = buffer
        if requests:
            self.received(requests)
            self.transport.write(NO_CONTENT * len(requests))

    def received(self, requests: list[tuple[bytes, bytes]]) -> None:
        raise NotImplementedError


class Recorder(PostReceiver):
    """One line per POST: when it arrived, its webhook-id and the call it reports."""

    def __init__(self, log) -> None:
        self.log = log

    def received(self, requests: list[tuple[bytes, bytes]]) -> None:
        arrived = time.time()
        for head, body in requests:
            headers = dict(line.split(":", 1) for line in head.decode("latin-1").split("\r\n")[1:] if ":" in line)
            data = json.loads(body).get("data") or {}
            self.log.write(f"{arrived:.6f} {headers.get('webhook-id', '').strip()} {data.get('call_id')}\n")
        self.log.flush()


def _serve(listener: socket.socket, path: Path) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the bench's handler, inherited by the fork
    with path.open("a", buffering=1 << 16) as log:

        async def serve() -> None:
            server = await asyncio.get_running_loop().create_server(lambda: Recorder(log), sock=listener)
            await server.serve_forever()

        asyncio.run(serve())


class Receiver:
    """The receiver process and the endpoint pointing at it."""

    def __init__(self, log_dir: Path) -> None:
        self.path = log_dir / "webhook-arrivals.txt"
        self.path.unlink(missing_ok=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.listener.setblocking(False)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(self.listener, self.path), daemon=True
        )

    def start(self) -> Receiver:
        self.process.start()
        return self

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=5)

    def arrivals(self) -> list[tuple[float, str, int]]:
        rows = []
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                at, msg_id, call_id = line.split(" ")
                rows.append((float(at), msg_id, int(call_id) if call_id.isdigit() else -1))
        return rows


def subscribe(database_url: str, url: str) -> None:
    """The endpoint (as staff would add it) and the trigger keeping each push's time."""
    import psycopg

    from webhooks.models import WebhookEndpoint

    WebhookEndpoint.objects.create(url=url, events=["call.settled"], description="soak bench receiver")
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(KEEP_PUSHES)


def wait_for_deliveries(expected: int, timeout: float) -> int:
    from webhooks.models import WebhookMessage

    deadline = time.monotonic() + timeout
    while True:
        delivered = WebhookMessage.objects.filter(event_type="call.settled", status="delivered").count()
        if delivered >= expected or time.monotonic() > deadline:
            return delivered
        time.sleep(1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(database_url: str, receiver: Receiver, campaign) -> dict:
    """Every settled call's events: received, once per webhook-id, and their lag."""
    import psycopg

    from campaigns.models import Call

    final = dict(
        Call.objects.filter(campaign=campaign, status__in=Call.FINAL, sent_at__isnull=False).values_list("pk", "out_id")
    )
    pushed: dict[str, float] = {}
    with psycopg.connect(database_url, autocommit=True) as conn:
        for received_at, body in conn.execute("SELECT received_at, body FROM bench_push_times"):
            for element in json.loads(body):
                out_id = element.get("out_id") if isinstance(element, dict) else None
                if out_id:
                    pushed[out_id] = max(pushed.get(out_id, 0.0), received_at.timestamp())
    arrivals = receiver.arrivals()
    first: dict[str, tuple[float, int]] = {}
    for at, msg_id, call_id in arrivals:
        if msg_id not in first or at < first[msg_id][0]:
            first[msg_id] = (at, call_id)
    ids_by_call: dict[int, set[str]] = {}
    for msg_id, (_at, call_id) in first.items():
        ids_by_call.setdefault(call_id, set()).add(msg_id)
    lags = [
        at - pushed[final[call_id]] for at, call_id in first.values() if call_id in final and final[call_id] in pushed
    ]
    result = {
        "settled_calls": len(final),
        "posts_received": len(arrivals),
        "webhook_ids": len(first),
        "repeated_posts_same_id": len(arrivals) - len(first),
        "calls_without_event": sum(1 for pk in final if pk not in ids_by_call),
        "calls_with_two_ids": sum(1 for ids in ids_by_call.values() if len(ids) > 1),
        "lags_measured": len(lags),
    }
    if lags:
        result |= {
            "lag_p50_s": round(statistics.median(lags), 3),
            "lag_p90_s": round(percentile(lags, 0.90), 3),
            "lag_p99_s": round(percentile(lags, 0.99), 3),
            "lag_max_s": round(max(lags), 3),
        }
    return result
