"""Simulated calls and the receipts they produce, pushed in batches to our webhook.

A placed call rings, then ends in an outcome drawn from the configured mix. Answered calls
with a menu press one of the request's MenuKeyMap keys: a `VoiceCallReport` element
(status 300000, `dtmf`) is pushed while the call is up, and every call ends with a
`VoiceReport` element. Timings are Aliyun's scaled by `call_duration_scale` (0: instant).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

logger = logging.getLogger(__name__)

BEIJING = dt.timezone(dt.timedelta(hours=8))
# outcome -> (VoiceReport status_code, status_msg, answered)
OUTCOMES = {
    "answered_key": ("200000", "用户听完挂断", True),
    "answered_no_key": ("200000", "用户听完挂断", True),
    "no_answer": ("200003", "无人接听", False),
    "busy": ("200002", "用户忙", False),
    "unreachable": ("200005", "无法接通", False),
}


def beijing(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(slots=True)
class SimCall:
    call_id: str
    out_id: str
    caller: str
    callee: str
    keys: list[str]
    placed_at: float  # wall clock
    outcome: str
    key: str
    ring_s: float  # simulated (unscaled) seconds
    talk_s: float
    ended: bool = False

    @property
    def answered(self) -> bool:
        return OUTCOMES[self.outcome][2]

    def key_press_record(self) -> dict:
        pressed = self.placed_at + self.ring_s + min(self.talk_s, 6.0)
        return {
            "call_id": self.call_id,
            "out_id": self.out_id,
            "status_code": "300000",
            "smart_status_code": "",
            "status_time": beijing(pressed),
            "dtmf": self.key,
        }

    def final_record(self) -> dict:
        status_code, status_msg, answered = OUTCOMES[self.outcome]
        start = self.placed_at + self.ring_s
        end = start + self.talk_s if answered else start
        return {
            "call_id": self.call_id,
            "out_id": self.out_id,
            "status_code": status_code,
            "status_msg": status_msg,
            "start_time": beijing(start) if answered else "",
            "end_time": beijing(end),
            "duration": str(round(self.talk_s)) if answered else "0",
            "originate_time": beijing(self.placed_at),
            "ring_time": beijing(self.placed_at + 1),
            "caller": self.caller,
            "callee": self.callee,
            "hangup_direction": "1" if answered else "0",
            "dtmf": self.key,
            "toll_type": "LOCAL",
            "voice_type": "ivr",
        }

    def detail(self) -> dict:
        """QueryCallDetailByCallId's Data for this (ended) call."""
        record = self.final_record()
        return {
            "caller": self.caller,
            "callee": self.callee,
            "callerShowNumber": self.caller,
            "calleeShowNumber": self.callee,
            "state": record["status_code"],
            "stateDesc": record["status_msg"],
            "duration": int(record["duration"]),
            "startDate": record["start_time"],
            "endDate": record["end_time"],
            "gmtCreate": record["originate_time"],
            "bRingTime": record["ring_time"],
            "bEndTime": record["end_time"],
        }


class Scheduler:
    """One thread running callbacks at their due time (monotonic clock)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="simulator-calls", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=2)

    def at(self, delay: float, callback: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + max(delay, 0.0), next(self._seq), callback))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, callback = heapq.heappop(self._heap)
            try:
                callback()
            except Exception:
                logger.exception("simulated call event failed")


class ReceiptPusher:
    """Batches receipts (flush every `interval` s or `batch_size` records) and POSTs them as JSON.

    A batch our side answers with non-2xx (or does not answer) is retried after each delay of
    `retry_delays` in turn, then dropped and counted in `receipts_failed`. Aliyun waits 1, 5
    and 10 minutes; the simulator uses seconds so tests and demos see the retry.
    """

    def __init__(
        self, url: str, stats, interval: float = 1.0, batch_size: int = 100, retry_delays=(0.5, 1, 2, 5, 10)
    ) -> None:
        self.url = url
        self.stats = stats
        self.interval = interval
        self.batch_size = batch_size
        self.retry_delays = tuple(retry_delays)
        self._pending: list[dict] = []
        self._first_at = 0.0
        self._retries: list[tuple[float, int, int, list[dict]]] = []  # (due, seq, attempt, batch)
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="simulator-receipts", daemon=True)

    def start(self) -> None:
        if self.url:
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=3)

    def add(self, record: dict) -> None:
        if not self.url:
            return
        with self._cond:
            if not self._pending:
                self._first_at = time.monotonic()
            self._pending.append(record)
            if len(self._pending) in (1, self.batch_size):  # a new flush deadline, or a full batch
                self._cond.notify()

    def _next_work(self) -> tuple[int, list[dict]] | None:
        """Wait for a batch that is due; (attempt, batch), or None once stopped."""
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._retries and self._retries[0][0] <= now:
                    _, _, attempt, batch = heapq.heappop(self._retries)
                    return attempt, batch
                if self._pending and (len(self._pending) >= self.batch_size or now >= self._first_at + self.interval):
                    batch, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
                    self._first_at = now
                    return 0, batch
                wakeups = [self._retries[0][0]] if self._retries else []
                if self._pending:
                    wakeups.append(self._first_at + self.interval)
                self._cond.wait(min(wakeups) - now if wakeups else None)
            return None

    def _run(self) -> None:
        while (work := self._next_work()) is not None:
            attempt, batch = work
            body = json.dumps(batch, ensure_ascii=False).encode()
            try:
                response = self._session.post(
                    self.url, data=body, headers={"Content-Type": "application/json"}, timeout=(2, 5)
                )
                ok = 200 <= response.status_code < 300
            except requests.RequestException:
                ok = False
            if ok:
                self.stats.add(receipts_pushed=len(batch), receipt_batches=1)
                continue
            self.stats.add(receipt_push_errors=1)
            if attempt < len(self.retry_delays):
                with self._cond:
                    due = time.monotonic() + self.retry_delays[attempt]
                    heapq.heappush(self._retries, (due, next(self._seq), attempt + 1, batch))
            else:
                self.stats.add(receipts_failed=len(batch))
                logger.warning("dropped %d receipts after %d attempts", len(batch), attempt + 1)


class CallSimulator:
    """Decides each placed call's fate and emits its receipts; frees the caller slot at hang-up."""

    def __init__(self, config, stats, rng: random.Random, on_end: Callable[[SimCall], None]) -> None:
        self.config = config
        self.stats = stats
        self.rng = rng
        self.rng_lock = threading.Lock()
        self.on_end = on_end
        self.scheduler = Scheduler()
        self.pusher = ReceiptPusher(
            config.receipt_url,
            stats,
            interval=config.receipt_flush_interval,
            batch_size=config.receipt_batch_size,
            retry_delays=config.receipt_retry_delays,
        )
        weights = {name: float(w) for name, w in config.outcome_weights.items() if w > 0}
        self._outcomes = list(weights) or ["no_answer"]
        self._weights = list(weights.values()) or [1.0]

    def start(self) -> None:
        self.scheduler.start()
        self.pusher.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.pusher.stop()

    def new_call(self, call_id: str, out_id: str, caller: str, callee: str, keys: list[str]) -> SimCall:
        with self.rng_lock:
            outcome = self.rng.choices(self._outcomes, self._weights)[0]
            if outcome == "answered_key" and not keys:
                outcome = "answered_no_key"
            key = self.rng.choice(keys) if outcome == "answered_key" else ""
            ring_s = self.rng.uniform(3, 15) if OUTCOMES[outcome][2] else self.rng.uniform(5, 30)
            talk_s = self.rng.uniform(10, 40) if OUTCOMES[outcome][2] else 0.0
        call = SimCall(call_id, out_id, caller, callee, keys, time.time(), outcome, key, ring_s, talk_s)
        scale = self.config.call_duration_scale
        if key:
            self.scheduler.at((ring_s + min(talk_s, 6.0)) * scale, lambda: self._emit(call, call.key_press_record()))
        self.scheduler.at((ring_s + talk_s) * scale, lambda: self._end(call))
        return call

    def _emit(self, call: SimCall, record: dict) -> None:
        self.pusher.add(record)

    def _end(self, call: SimCall) -> None:
        call.ended = True
        self._emit(call, call.final_record())
        self.stats.add(calls_completed=1)
        self.stats.count("outcomes", call.outcome)
        self.on_end(call)
