"""The simulator's HTTP server: Aliyun's RPC API on one port, plus `GET /__simulator/stats`."""

from __future__ import annotations

import collections
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from campaigns.dialling.simulator.api import Api

logger = logging.getLogger(__name__)

STATS_PATH = "/__simulator/stats"
DEFAULT_OUTCOMES = {"answered_key": 0.6, "answered_no_key": 0.1, "no_answer": 0.15, "busy": 0.1, "unreachable": 0.05}


@dataclass
class SimulatorConfig:
    keys: dict[str, str]  # AccessKeyId -> AccessKeySecret (one pair per account)
    host: str = "127.0.0.1"
    port: int = 8010  # 0: any free port
    qps: int = 100  # per AccessKey, unless key_qps names another for it
    key_qps: dict[str, int] = field(default_factory=dict)  # AccessKeyId -> its own requests/s
    seed: int | None = None
    receipt_url: str = ""
    caller_numbers: frozenset[str] = frozenset()  # empty: any caller number is "purchased"
    blocked_numbers: frozenset[str] = frozenset()  # answered with isv.COMPLAINT_REJECT
    max_concurrent: int = 1000  # per caller number, calls in progress
    frequency_limit: bool = False  # per called number 1/min, 5/h, 20/day (isv.BUSINESS_LIMIT_CONTROL)
    frequency_time_scale: float = 1.0  # shrinks those windows (0.25: 1 per 15 s...) for tests that wait them out
    outcome_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_OUTCOMES))
    call_duration_scale: float = 1.0
    fault_timeout_rate: float = 0.0
    fault_timeout_seconds: float = 15.0  # past the client's 10 s read timeout
    fault_500_rate: float = 0.0
    receipt_flush_interval: float = 1.0
    receipt_batch_size: int = 100
    receipt_retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)


class Stats:
    """Counters the tests and benchmarks read (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: collections.Counter[str] = collections.Counter()
        self._groups: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self._peaks: dict[str, int] = collections.defaultdict(int)
        self.started = time.monotonic()

    def add(self, **amounts: int) -> None:
        with self._lock:
            self._counters.update(amounts)

    def count(self, group: str, key: str, amount: int = 1) -> int:
        with self._lock:
            self._groups[group][key] += amount
            return self._groups[group][key]

    def peak(self, name: str, value: int) -> None:
        with self._lock:
            if value > self._peaks[name]:
                self._peaks[name] = value

    def snapshot(self) -> dict:
        with self._lock:
            dials = self._groups["dials_per_called_number"]
            return {
                "requests": self._counters["requests"],
                "placed": self._counters["placed"],
                "throttled": self._counters["throttled"],
                "rejected": sum(self._groups["rejected_by_code"].values()),
                "rejected_by_code": dict(self._groups["rejected_by_code"]),
                "requests_by_action": dict(self._groups["requests_by_action"]),
                "requests_by_key": dict(self._groups["requests_by_key"]),
                "throttled_by_key": dict(self._groups["throttled_by_key"]),
                "peak_requests_per_second_by_key": {
                    name[len("key:") :]: value for name, value in self._peaks.items() if name.startswith("key:")
                },
                "duplicate_out_ids": self._counters["duplicate_out_ids"],
                "called_numbers": len(dials),
                "dials_per_called_number_max": max(dials.values(), default=0),
                "numbers_dialled_more_than_once": sum(1 for n in dials.values() if n > 1),
                "calls_in_progress": self._counters["placed"] - self._counters["calls_completed"],
                "calls_completed": self._counters["calls_completed"],
                "outcomes": dict(self._groups["outcomes"]),
                "peak_requests_per_second": self._peaks["requests_per_second"],
                "peak_concurrent_calls_per_caller": self._peaks["concurrent_per_caller"],
                "faults_timeout": self._counters["faults_timeout"],
                "faults_500": self._counters["faults_500"],
                "receipts_pushed": self._counters["receipts_pushed"],
                "receipt_batches": self._counters["receipt_batches"],
                "receipt_push_errors": self._counters["receipt_push_errors"],
                "receipts_failed": self._counters["receipts_failed"],
                "uptime_seconds": round(time.monotonic() - self.started, 3),
            }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections like they do with Aliyun
    server_version = "Tengine"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, payload: dict, delay: float = 0.0) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        if delay:
            time.sleep(delay)  # fault injection: answer after the client gave up
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _handle(self) -> None:
        path, _, raw_query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        sim: SimulatorServer = self.server.simulator  # type: ignore[attr-defined]
        if path == STATS_PATH:
            self._send(200, sim.stats.snapshot())
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, payload, delay = sim.api.handle(self.command, path, raw_query, headers, body)
        self._send(status, payload, delay)

    do_GET = _handle
    do_POST = _handle


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256


class SimulatorServer:
    """`SimulatorServer(config).start()` serves in background threads; `.stop()` shuts it down."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.stats = Stats()
        self.rng = random.Random(config.seed)
        self.api = Api(config, self.stats, self.rng)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        assert self._httpd is not None, "not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def calls(self) -> dict:
        """CallId -> SimCall, for tests."""
        return self.api.calls

    def start(self) -> SimulatorServer:
        self._httpd = _HTTPServer((self.config.host, self.config.port), _Handler)
        self._httpd.simulator = self  # type: ignore[attr-defined]
        self.api.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="simulator-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Start (unless started) and block until interrupted (the management command)."""
        if self._httpd is None:
            self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        self.api.stop()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
