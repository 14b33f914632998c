"""Helpers for dispatch tests: a fake Aliyun client that records what it was asked."""

from __future__ import annotations

import itertools
import threading

from campaigns.dialling import aliyun
from campaigns.models import Call


class RecordingClient:
    """Answers like the API would; `script` maps called numbers to the outcome to return."""

    def __init__(self, script: dict[str, aliyun.CallResult] | None = None, default: aliyun.CallResult | None = None):
        self.script = script or {}
        self.default = default
        self.requests: list[aliyun.IvrCallRequest] = []
        self.status_when_sent: list[tuple[str, str | None]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def prepare_ivr_call(self, request: aliyun.IvrCallRequest) -> aliyun.IvrCallRequest:
        return request  # nothing to sign

    def send(self, prepared: aliyun.IvrCallRequest) -> aliyun.CallResult:
        return self.ivr_call(prepared)

    def ivr_call(self, request: aliyun.IvrCallRequest) -> aliyun.CallResult:
        call = Call.objects.get(out_id=request.out_id)
        with self._lock:
            self.requests.append(request)
            self.status_when_sent.append((call.status, call.out_id))
            n = next(self._ids)
        result = self.script.get(request.called_number) or self.default
        if result is not None:
            return result
        return aliyun.CallResult(aliyun.Outcome.PLACED, f"1160{n:08d}^1028", "OK", "OK", f"req-{n}")

    def dialled(self) -> list[str]:
        return [r.called_number for r in self.requests]


def result(outcome: aliyun.Outcome, code: str) -> aliyun.CallResult:
    return aliyun.CallResult(outcome, None, code, code)
