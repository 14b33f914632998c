"""The API actions: IvrCall and QueryCallDetailByCallId, answered the way Aliyun answers.

Order of checks, as at Aliyun's gateway: signature, flow control (QPS per AccessKey),
action, parameters, then the business rules (caller number, called number, complaint
block, frequency control, caller concurrency). Gateway errors use HTTP 4xx; business
errors (`isv.*`) come back with HTTP 200 and a `Code` other than OK.

Caller concurrency: Aliyun documents no API code for it (its receipts carry 200121), so the
simulator answers `isv.CALLER_CONCURRENCY_LIMIT` (campaigns.dialling.aliyun.CALLER_CONCURRENCY_CODE).
"""

from __future__ import annotations

import collections
import json
import re
import threading
import time
import uuid
from urllib.parse import parse_qsl

from campaigns.dialling.aliyun.api import API_VERSION, CALLER_CONCURRENCY_CODE, IVR_PROD_ID, MAX_OUT_ID_BYTES
from campaigns.dialling.simulator.auth import ACS3, ApiError, NonceCache, missing, verify_acs3, verify_v1
from campaigns.dialling.simulator.calls import CallSimulator, SimCall
from campaigns.dialling.simulator.limits import SlidingWindow

CALLED_NUMBER_RE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11})$")
DISPLAY_NUMBER_RE = re.compile(r"^\d{5,16}$")
MENU_KEY_RE = re.compile(r"^MenuKeyMap\.(\d+)\.(Key|Code|TtsParams)$")
VALID_KEYS = set("0123456789*#")
# Aliyun's default frequency control per called number: (window seconds, calls allowed).
FREQUENCY_RULES = ((60, 1), (3600, 5), (86400, 20))


def request_id() -> str:
    return str(uuid.uuid4()).upper()


def error_payload(error: ApiError) -> dict:
    return {
        "RequestId": request_id(),
        "HostId": "dyvmsapi.aliyuncs.com",
        "Code": error.code,
        "Message": error.message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=Dyvmsapi",
    }


def business_error(code: str, message: str) -> ApiError:
    return ApiError(code, message, 200)


def _json_object(value: str) -> bool:
    try:
        return isinstance(json.loads(value), dict)
    except ValueError:
        return False


class Api:
    def __init__(self, config, stats, rng) -> None:
        self.config = config
        self.stats = stats
        self.rng = rng
        self.nonces = NonceCache()
        self.limiters: dict[str, SlidingWindow] = {}
        self._per_key: dict[str, SlidingWindow] = {}
        self.calls: dict[str, SimCall] = {}
        self._lock = threading.Lock()
        self._in_progress: collections.Counter[str] = collections.Counter()
        self._out_ids: set[str] = set()
        self._recent_dials: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._all_requests = SlidingWindow(limit=0)
        self.simulator = CallSimulator(config, stats, rng, self._call_ended)

    def start(self) -> None:
        self.simulator.start()

    def stop(self) -> None:
        self.simulator.stop()

    # --- entry point ------------------------------------------------------------------

    def handle(self, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes):
        """Returns (HTTP status, JSON payload, seconds to wait before answering)."""
        self.stats.add(requests=1)
        self.stats.peak("requests_per_second", self._all_requests.record())
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        content_type = headers.get("content-type", "")
        if body and "json" not in content_type:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if (headers.get("authorization") or "").startswith(ACS3):
            key_id, error = verify_acs3(method, path, raw_query, headers, body, self.config.keys, self.nonces)
            action = headers.get("x-acs-action") or params.get("Action", "")
            version = headers.get("x-acs-version") or params.get("Version", "")
        else:
            key_id, error = verify_v1(method, params, self.config.keys, self.nonces)
            action, version = params.get("Action", ""), params.get("Version", "")
        if error is None:
            self.stats.count("requests_by_key", key_id)
            self.stats.peak(f"key:{key_id}", self._key_requests(key_id).record())
            if not self._limiter(key_id).admit():
                self.stats.add(throttled=1)
                self.stats.count("throttled_by_key", key_id)
                error = ApiError("Throttling.User", "Request was denied due to user flow control.")
        self.stats.count("requests_by_action", action or "?")
        if error is None:
            if version != API_VERSION or action not in ("IvrCall", "QueryCallDetailByCallId"):
                error = ApiError(
                    "InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404
                )
            elif action == "IvrCall":
                return self.ivr_call(params)
            else:
                return self.query_call_detail(params)
        return self._reject(error)

    def _reject(self, error: ApiError):
        self.stats.count("rejected_by_code", error.code)
        return error.status, error_payload(error), 0.0

    def _limiter(self, key_id: str):
        limiter = self.limiters.get(key_id)
        if limiter is None:
            with self._lock:
                qps = self.config.key_qps.get(key_id, self.config.qps)
                limiter = self.limiters.setdefault(key_id, SlidingWindow(qps))
        return limiter

    def _key_requests(self, key_id: str):
        """Every signed request of one AccessKey in the last second, admitted or not."""
        window = self._per_key.get(key_id)
        if window is None:
            with self._lock:
                window = self._per_key.setdefault(key_id, SlidingWindow(limit=0))
        return window

    # --- IvrCall ------------------------------------------------------------------------

    def validate_ivr_call(self, params: dict[str, str]) -> tuple[ApiError | None, list[str]]:
        """Parameter checks; returns (error, menu keys)."""
        for name in ("CalledShowNumber", "CalledNumber", "StartCode"):
            if not params.get(name):
                return missing(name), []
        out_id = params.get("OutId")
        if out_id is not None and not 1 <= len(out_id.encode()) <= MAX_OUT_ID_BYTES:
            return business_error("isv.INVALID_PARAMETERS", "OutId must be 1-15 bytes."), []
        play_times = params.get("PlayTimes")
        if play_times is not None and play_times not in ("1", "2", "3"):
            return business_error("isv.INVALID_PARAMETERS", "PlayTimes must be 1, 2 or 3."), []
        timeout = params.get("Timeout")
        if timeout is not None and not (timeout.isdigit() and int(timeout) <= 3_600_000):
            return business_error("isv.INVALID_PARAMETERS", "Timeout must be a number of milliseconds."), []
        bye_code = params.get("ByeCode")
        if bye_code and bye_code.startswith("TTS_") != params["StartCode"].startswith("TTS_"):
            return business_error("isv.TEMPLATE_ILLEGAL", "ByeCode must be the same kind as StartCode."), []
        menu: dict[int, dict[str, str]] = collections.defaultdict(dict)
        for name, value in params.items():
            match = MENU_KEY_RE.match(name)
            if match:
                menu[int(match[1])][match[2]] = value
        keys = []
        for index in sorted(menu):
            item = menu[index]
            if item.get("Key") not in VALID_KEYS or not item.get("Code"):
                return business_error(
                    "isv.INVALID_PARAMETERS", f"MenuKeyMap.{index} needs a Key (0-9 * #) and a Code."
                ), []
            keys.append(item["Key"])
        for name, value in params.items():
            if (name in ("StartTtsParams", "ByeTtsParams") or name.endswith(".TtsParams")) and value:
                if not _json_object(value):
                    return business_error("isv.TEMPLATE_PARAMS_ILLEGAL", f"{name} is not a JSON object."), []
        show, called = params["CalledShowNumber"], params["CalledNumber"]
        if not DISPLAY_NUMBER_RE.match(show):
            return business_error("isv.DISPLAY_NUMBER_ILLEGAL", "号显不合法"), []
        if self.config.caller_numbers and show not in self.config.caller_numbers:
            return business_error("isv.BILLID_NOT_EXIST", "计费账号不存在"), []
        if not CALLED_NUMBER_RE.match(called):
            return business_error("isv.MOBILE_NUMBER_ILLEGAL", "号码格式非法"), []
        if called in self.config.blocked_numbers:
            return business_error("isv.COMPLAINT_REJECT", "防骚扰拦截"), []
        return None, keys

    def ivr_call(self, params: dict[str, str]):
        error, keys = self.validate_ivr_call(params)
        if error is not None:
            return self._reject(error)
        show, called, out_id = params["CalledShowNumber"], params["CalledNumber"], params.get("OutId", "")
        with self._lock:
            if self.config.frequency_limit and not self._frequency_ok(called):
                error = business_error("isv.BUSINESS_LIMIT_CONTROL", "触发业务流控限制")
            elif self._in_progress[show] >= self.config.max_concurrent:
                error = business_error(CALLER_CONCURRENCY_CODE, "主叫号码超过并发限制")
            else:
                self._in_progress[show] += 1
                concurrent = self._in_progress[show]
                duplicate = bool(out_id) and out_id in self._out_ids
                self._out_ids.add(out_id)
                call_id = self._new_call_id()
                fault = self.rng.random()
        if error is not None:
            return self._reject(error)
        self.stats.add(placed=1, duplicate_out_ids=int(duplicate))
        self.stats.count("dials_per_called_number", called)
        self.stats.peak("concurrent_per_caller", concurrent)
        call = self.simulator.new_call(call_id, out_id, show, called, keys)
        self.calls[call_id] = call
        payload = {"Code": "OK", "Message": "OK", "RequestId": request_id(), "CallId": call_id}
        if fault < self.config.fault_timeout_rate:
            self.stats.add(faults_timeout=1)
            return 200, payload, self.config.fault_timeout_seconds
        if fault < self.config.fault_timeout_rate + self.config.fault_500_rate:
            self.stats.add(faults_500=1)
            return (
                500,
                error_payload(
                    ApiError("InternalError", "The request processing has failed due to some unknown error.", 500)
                ),
                0.0,
            )
        return 200, payload, 0.0

    def _new_call_id(self) -> str:
        while True:
            call_id = f"{self.rng.randrange(10**11, 10**12)}^{self.rng.randrange(10**10, 10**11)}"
            if call_id not in self.calls:
                return call_id

    def _frequency_ok(self, called: str) -> bool:
        """Aliyun's per-called-number control; records the dial when allowed (lock held)."""
        now = time.monotonic()
        scale = self.config.frequency_time_scale
        recent = self._recent_dials[called]
        while recent and recent[0] <= now - FREQUENCY_RULES[-1][0] * scale:
            recent.popleft()
        for window, allowed in FREQUENCY_RULES:
            if sum(1 for t in recent if t > now - window * scale) >= allowed:
                return False
        recent.append(now)
        return True

    def _call_ended(self, call: SimCall) -> None:
        with self._lock:
            self._in_progress[call.caller] -= 1

    # --- QueryCallDetailByCallId --------------------------------------------------------

    def query_call_detail(self, params: dict[str, str]):
        for name in ("CallId", "ProdId", "QueryDate"):
            if not params.get(name):
                return self._reject(missing(name))
        if params["ProdId"] != IVR_PROD_ID or not params["QueryDate"].isdigit():
            return self._reject(business_error("isv.INVALID_PARAMETERS", "ProdId or QueryDate is invalid."))
        call = self.calls.get(params["CallId"])
        data = json.dumps(call.detail(), ensure_ascii=False) if call is not None and call.ended else None
        return 200, {"Code": "OK", "Message": "OK", "RequestId": request_id(), "Data": data}, 0.0
