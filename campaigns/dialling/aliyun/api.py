"""What the Voice Service API takes and answers (dyvms 2017-05-25): constants, request and
result types. Plain Python: the simulator imports it without Django."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any

API_VERSION = "2017-05-25"
REGION_ID = "cn-hangzhou"
IVR_PROD_ID = "11000000300005"
MAX_OUT_ID_BYTES = 15
# The simulator's answer when a caller number is over its concurrency cap. Aliyun publishes
# no API code for this (its receipts carry 200121 instead); any code naming concurrency is
# classified the same way.
CALLER_CONCURRENCY_CODE = "isv.CALLER_CONCURRENCY_LIMIT"


class Outcome(enum.StrEnum):
    PLACED = "placed"  # Code OK, CallId returned
    THROTTLED = "throttled"  # retry the same call later; not an attempt
    FREQUENCY_LIMITED = "frequency_limited"  # per-called-number frequency control: reschedule the contact
    CALLER_BUSY = "caller_busy"  # caller number over its concurrency: retry later; not an attempt
    INVALID_NUMBER = "invalid_number"  # final, never retry
    BLOCKED_NUMBER = "blocked_number"  # blocked after complaints: final for this contact
    CONFIG_ERROR = "config_error"  # account/credentials/caller number/template: pause campaign, tell staff
    UNKNOWN = "unknown"  # may have been placed: never re-dial blindly


@dataclass(frozen=True)
class CallResult:
    outcome: Outcome
    call_id: str | None
    code: str  # Aliyun Code, or e.g. "Timeout" / "ConnectionError" / "HTTP502"
    message: str  # safe to show staff: never contains the secret
    request_id: str = ""
    detail: str = ""  # Aliyun's own Message, as it worded it
    reason: str = ""  # the campaigns.reasons code of `message`, to store instead of its words


@dataclass(frozen=True)
class MenuKey:
    key: str
    code: str
    tts_params: str = ""


@dataclass(frozen=True)
class IvrCallRequest:
    called_show_number: str
    called_number: str
    start_code: str
    out_id: str
    start_tts_params: str = ""  # JSON string, already rendered (UTF-8 kept, no \\u escapes)
    play_times: int | None = None
    timeout_ms: int | None = None
    bye_code: str = ""
    bye_tts_params: str = ""
    menu_keys: tuple[MenuKey, ...] = ()

    def to_params(self) -> dict[str, str]:
        """The API parameters of this request (MenuKeyMap flattened 1-based); empty ones left out."""
        params = {
            "CalledShowNumber": self.called_show_number,
            "CalledNumber": self.called_number,
            "StartCode": self.start_code,
            "OutId": self.out_id,
            "StartTtsParams": self.start_tts_params,
            "ByeCode": self.bye_code,
            "ByeTtsParams": self.bye_tts_params,
            "PlayTimes": "" if self.play_times is None else str(self.play_times),
            "Timeout": "" if self.timeout_ms is None else str(self.timeout_ms),
        }
        for n, item in enumerate(self.menu_keys, start=1):
            params[f"MenuKeyMap.{n}.Key"] = item.key
            params[f"MenuKeyMap.{n}.Code"] = item.code
            params[f"MenuKeyMap.{n}.TtsParams"] = item.tts_params
        return {name: value for name, value in params.items() if value != ""}


@dataclass(frozen=True)
class CallDetail:
    """QueryCallDetailByCallId's `Data`: settles whether a call connected, not what was pressed."""

    call_id: str
    state: str
    state_desc: str
    duration: int | None
    start_date: str
    end_date: str
    caller: str
    callee: str
    raw: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class SignedIvrCall:
    """An IvrCall request signed and ready to send (valid for Aliyun's 15-minute timestamp window)."""

    out_id: str
    body: bytes = dataclasses.field(repr=False)


class VoiceApiError(Exception):
    """A query (not a dial) that got no usable answer. Text is safe to show: no secret in it."""

    def __init__(self, result: CallResult) -> None:
        super().__init__(f"{result.code}: {result.message}")
        self.result = result
