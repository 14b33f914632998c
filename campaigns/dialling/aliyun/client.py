"""Alibaba Cloud Voice Service (dyvms 2017-05-25) client: IvrCall, QueryCallDetailByCallId.

Knows HTTP and signatures, nothing about campaigns: `ivr_call` turns one request into a
`CallResult` whose `outcome` tells the dispatcher what to do (see shared/aliyun-ivrcall.md).

Rules kept here:
- no retries inside the client: a retried IvrCall could dial a person twice;
- `ivr_call` never raises for transport errors; an answer we cannot read is UNKNOWN
  (the call may have been placed) unless the request provably never left this process;
- the AccessKey secret never appears in a repr, a log line, an exception or a message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from campaigns import reasons
from campaigns.dialling.aliyun.api import (
    API_VERSION,
    CALLER_CONCURRENCY_CODE,
    IVR_PROD_ID,
    MAX_OUT_ID_BYTES,
    REGION_ID,
    CallDetail,
    CallResult,
    IvrCallRequest,
    Outcome,
    SignedIvrCall,
    VoiceApiError,
)
from campaigns.dialling.aliyun.signing import canonical_query, percent_encode, sign_query, utc_timestamp

logger = logging.getLogger(__name__)

# --- classification ---------------------------------------------------------------------

_THROTTLED = {"Throttling", "Throttling.User", "Throttling.Api", "Throttling.Concurrency"}
_FREQUENCY = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL"}
_INVALID_NUMBER = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.NO_NOT_EXIST"}
_BLOCKED = {"isv.COMPLAINT_REJECT"}
# Outcome unknown: the request may have been executed.
_UNKNOWN = {
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "isp.UNKNOWN_ERR_CODE",
    "InternalError",
    "ServiceUnavailable",
    "ServiceTimeout",
    "isv.SYSTEM_ERROR",
}
# isv.DISPLAY_NUMBER_ILLEGAL names the caller or the called number; our called numbers are
# validated on import, so it is treated as a caller-number problem: pausing is recoverable,
# marking every contact invalid would not be.
_CONFIG = {
    "isv.DISPLAY_NUMBER_ILLEGAL",
    "isv.BILLID_NOT_EXIST",
    "isv.OUT_OF_SERVICE",
    "isv.AMOUNT_NOT_ENOUGH",
    "isv.ACCOUNT_ABNORMAL",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.PRODUCT_UNSUBSCRIBE",
    "isv.PRODUCT_UN_SUBSCRIPT",
    "isp.RAM_PERMISSION_DENY",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidTimeStamp.Expired",
    "isv.TEMPLATE_ILLEGAL",
    "isv.TTS_TEMPLATE_ILLEGAL",
    "isv.TEMPLATE_PARAMS_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.INVALID_PARAMETERS",
}


def outcome_for_code(code: str, http_status: int = 200) -> Outcome:
    """What an Aliyun `Code` means for the dispatcher (unlisted: 5xx/isp.* unknown, else config)."""
    if code == "OK":
        return Outcome.PLACED
    if code in _THROTTLED or code.startswith("Throttling"):
        return Outcome.THROTTLED
    if code in _FREQUENCY:
        return Outcome.FREQUENCY_LIMITED
    if code == CALLER_CONCURRENCY_CODE or "CONCURREN" in code.upper():
        return Outcome.CALLER_BUSY
    if code in _INVALID_NUMBER:
        return Outcome.INVALID_NUMBER
    if code in _BLOCKED:
        return Outcome.BLOCKED_NUMBER
    if code in _CONFIG:
        return Outcome.CONFIG_ERROR
    if code in _UNKNOWN or code.startswith("isp.") or http_status >= 500:
        return Outcome.UNKNOWN
    # A refusal we do not know: stop and let a person look rather than guess.
    return Outcome.CONFIG_ERROR


def _note(outcome: Outcome, code: str) -> str:
    return reasons.describe(reasons.reason(f"api.{outcome}", code=code))


def _staff_message(outcome: Outcome, code: str, detail: str) -> str:
    text = _note(outcome, code)
    return f"{text} {detail}".strip() if detail and outcome != Outcome.PLACED else text


def classify_response(http_status: int, body: bytes | str) -> CallResult:
    """Classify one HTTP answer to IvrCall: the JSON `Code` decides, whatever the HTTP status."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("Code"), str):
        # 5xx, or a 2xx/4xx we cannot read (a proxy answered?): the call may have gone through.
        code = f"HTTP{http_status}"
        return CallResult(Outcome.UNKNOWN, None, code, _staff_message(Outcome.UNKNOWN, code, ""), reason="api.unknown")
    code = data["Code"]
    request_id = str(data.get("RequestId") or "")
    detail = str(data.get("Message") or "")[:300]
    outcome = outcome_for_code(code, http_status)
    call_id = str(data.get("CallId") or "") or None
    if outcome == Outcome.PLACED and not call_id:
        # Placed without an id: the receipt (matched by OutId) will settle it.
        code = "MissingCallId"
        message = _staff_message(Outcome.UNKNOWN, code, "")
        return CallResult(Outcome.UNKNOWN, None, code, message, request_id, reason="api.unknown")
    if outcome != Outcome.PLACED:
        call_id = None
    message = _staff_message(outcome, code, detail)
    return CallResult(outcome, call_id, code, message, request_id, detail=detail, reason=f"api.{outcome}")


def classify_transport_error(exc: requests.RequestException) -> CallResult:
    """A request that got no HTTP answer. Only a failure to connect proves nothing was sent."""
    if _never_sent(exc):
        code = "ConnectTimeout" if isinstance(exc, requests.ConnectTimeout) else "ConnectFailed"
        message = reasons.describe(reasons.reason("api.connect_failed", code=code))
        return CallResult(Outcome.THROTTLED, None, code, message, reason="api.connect_failed")
    if isinstance(exc, requests.Timeout):
        code = "Timeout"
    elif isinstance(exc, requests.ConnectionError):
        code = "ConnectionError"
    else:
        code = type(exc).__name__
    return CallResult(Outcome.UNKNOWN, None, code, _staff_message(Outcome.UNKNOWN, code, ""), reason="api.unknown")


def _never_sent(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    seen: set[int] = set()
    pending: list[Any] = [exc]
    while pending:
        item = pending.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(item, BaseException):
            pending.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])
    return False


# --- the client -------------------------------------------------------------------------


class _Secret:
    """Holds the AccessKey secret; prints as a mask wherever it ends up."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("the AccessKey secret cannot be pickled")


class VoiceClient:
    """Signs and sends Voice Service requests. Thread-safe: one requests.Session per thread."""

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str,
        timeout: tuple[float, float] = (3.05, 10.0),
        session: requests.Session | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret = _Secret(access_key_secret)
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.timeout = timeout
        self._session = session
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"<VoiceClient {self.access_key_id} at {self.endpoint}>"

    @property
    def session(self) -> requests.Session:
        if self._session is not None:
            return self._session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            # Proxies and CA bundle from the environment, read once: left to requests, every
            # request re-scans os.environ and stats ~/.netrc, which costs more CPU than signing.
            environment = session.merge_environment_settings(self.endpoint, {}, None, None, None)
            session.proxies.update(environment["proxies"])
            session.verify = environment["verify"]
            session.trust_env = False
        return session

    def signed_body(self, action: str, params: dict[str, str]) -> str:
        """The form body of one signed request: common parameters, `params`, then Signature."""
        full = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": REGION_ID,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": utc_timestamp(),
            "Version": API_VERSION,
            **params,
        }
        query = canonical_query(full)
        return f"{query}&Signature={percent_encode(sign_query(query, self._secret.reveal()))}"

    def _post(self, action: str, params: dict[str, str]) -> requests.Response:
        return self._send_body(self.signed_body(action, params).encode())

    def _send_body(self, body: bytes) -> requests.Response:
        return self.session.post(
            self.endpoint,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
            timeout=self.timeout,
            allow_redirects=False,
        )

    def prepare_ivr_call(self, request: IvrCallRequest) -> SignedIvrCall:
        """Sign an IvrCall now, to send it later with `send`: whoever paces requests can do the
        signing before the request's slot. ValueError for a bad OutId."""
        size = len(request.out_id.encode())
        if not 1 <= size <= MAX_OUT_ID_BYTES:
            raise ValueError(f"OutId must be 1-{MAX_OUT_ID_BYTES} bytes, got {size}")
        return SignedIvrCall(request.out_id, self.signed_body("IvrCall", request.to_params()).encode())

    def send(self, signed: SignedIvrCall) -> CallResult:
        """Send a signed IvrCall. Never raises for transport errors."""
        try:
            response = self._send_body(signed.body)
        except requests.RequestException as exc:
            result = classify_transport_error(exc)
        else:
            result = classify_response(response.status_code, response.content)
        log = logger.warning if result.outcome in (Outcome.CONFIG_ERROR, Outcome.UNKNOWN) else logger.info
        log(
            "IvrCall out_id=%s -> %s code=%s call_id=%s request_id=%s",
            signed.out_id,
            result.outcome,
            result.code,
            result.call_id,
            result.request_id,
        )
        return result

    def ivr_call(self, request: IvrCallRequest) -> CallResult:
        """Send one IvrCall. Never raises for transport errors; ValueError for a bad OutId (nothing sent)."""
        return self.send(self.prepare_ivr_call(request))

    def query_call_detail(self, call_id: str, query_date: dt.datetime) -> CallDetail | None:
        """QueryCallDetailByCallId (IVR). None when Aliyun has no record (yet); VoiceApiError otherwise."""
        params = {"CallId": call_id, "ProdId": IVR_PROD_ID, "QueryDate": str(int(query_date.timestamp() * 1000))}
        try:
            response = self._post("QueryCallDetailByCallId", params)
        except requests.RequestException as exc:
            raise VoiceApiError(classify_transport_error(exc)) from None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or payload.get("Code") != "OK":
            raise VoiceApiError(classify_response(response.status_code, response.content))
        data = payload.get("Data")
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else None
            except ValueError:
                data = None
        if not isinstance(data, dict) or not data:
            return None
        try:
            duration = int(data["duration"])
        except (KeyError, TypeError, ValueError):
            duration = None
        return CallDetail(
            call_id=call_id,
            state=str(data.get("state") or ""),
            state_desc=str(data.get("stateDesc") or ""),
            duration=duration,
            start_date=str(data.get("startDate") or ""),
            end_date=str(data.get("endDate") or ""),
            caller=str(data.get("caller") or ""),
            callee=str(data.get("callee") or ""),
            raw=data,
        )
