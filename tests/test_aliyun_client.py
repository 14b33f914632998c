"""VoiceClient against the bundled simulator over real HTTP, and the classification table."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import pickle
import socket

import pytest
import requests
from urllib3.exceptions import NewConnectionError, ProtocolError

from campaigns import accounts
from campaigns.dialling import aliyun
from campaigns.dialling.aliyun import (
    CallDetail,
    IvrCallRequest,
    MenuKey,
    Outcome,
    VoiceApiError,
    VoiceClient,
    classify_response,
    classify_transport_error,
)
from campaigns.dialling.simulator import SimulatorServer
from tests.waiting import wait_until

KEY_ID = "LTAI-test-key"
SECRET = "s3cr3t-Very-Distinctive-value"


@pytest.fixture
def simulator(start_simulator):
    """Start simulators with this file's key pair and seed; all are stopped afterwards."""
    return functools.partial(start_simulator, keys={KEY_ID: SECRET}, seed=7)


def make_request(out_id: str = "c1-a1", called: str = "13800138000", caller: str = "057112345678", **extra):
    fields = {
        "start_tts_params": '{"name": "张三", "product": "宽带 ~*+/=&😀"}',
        "play_times": 2,
        "timeout_ms": 5000,
        "bye_code": "TTS_100009",
        "bye_tts_params": "{}",
        "menu_keys": (MenuKey("1", "TTS_200001"), MenuKey("2", "TTS_200002", '{"x": "一般"}'), MenuKey("#", "TTS_9")),
    }
    fields.update(extra)
    return IvrCallRequest(caller, called, "TTS_100001", out_id, **fields)


def client_for(server: SimulatorServer, secret: str = SECRET, key_id: str = KEY_ID, **kwargs) -> VoiceClient:
    return VoiceClient(key_id, secret, server.url, **kwargs)


def test_ivr_call_is_placed_with_every_parameter(simulator):
    server = simulator()
    result = client_for(server).ivr_call(make_request())
    assert result.outcome == Outcome.PLACED
    assert result.code == "OK" and result.request_id
    call = server.calls[result.call_id]
    assert (call.out_id, call.callee, call.caller, call.keys) == (
        "c1-a1",
        "13800138000",
        "057112345678",
        ["1", "2", "#"],
    )


def test_parameters_are_checked_by_the_server(simulator):
    server = simulator()
    result = client_for(server).ivr_call(make_request(play_times=4))
    assert (result.outcome, result.code) == (Outcome.CONFIG_ERROR, "isv.INVALID_PARAMETERS")
    assert "PlayTimes" in result.message and result.call_id is None


def test_throttled_requests_are_not_attempts(simulator):
    server = simulator(qps=3)
    client = client_for(server)
    results = [client.ivr_call(make_request(out_id=f"t{n}", called=f"1380013{n:04d}")) for n in range(6)]
    assert [r.outcome for r in results[:3]] == [Outcome.PLACED] * 3
    throttled = [r for r in results if r.outcome == Outcome.THROTTLED]
    assert throttled and all(r.code == "Throttling.User" for r in throttled)
    assert server.stats.snapshot()["throttled"] == len(throttled)


def test_caller_number_over_concurrency_is_caller_busy(simulator):
    server = simulator(max_concurrent=1, call_duration_scale=1000.0)
    client = client_for(server)
    assert client.ivr_call(make_request(out_id="a")).outcome == Outcome.PLACED
    busy = client.ivr_call(make_request(out_id="b", called="13800138001"))
    assert (busy.outcome, busy.code) == (Outcome.CALLER_BUSY, aliyun.CALLER_CONCURRENCY_CODE)
    other_caller = client.ivr_call(make_request(out_id="c", called="13800138001", caller="057187654321"))
    assert other_caller.outcome == Outcome.PLACED


def test_frequency_control_reschedules_the_contact(simulator):
    server = simulator(frequency_limit=True)
    client = client_for(server)
    assert client.ivr_call(make_request(out_id="a")).outcome == Outcome.PLACED
    again = client.ivr_call(make_request(out_id="b"))
    assert (again.outcome, again.code) == (Outcome.FREQUENCY_LIMITED, "isv.BUSINESS_LIMIT_CONTROL")


def test_invalid_called_number_is_final(simulator):
    result = client_for(simulator()).ivr_call(make_request(called="12345"))
    assert (result.outcome, result.code) == (Outcome.INVALID_NUMBER, "isv.MOBILE_NUMBER_ILLEGAL")


def test_number_blocked_after_complaints(simulator):
    result = client_for(simulator(blocked_numbers=frozenset({"13900000000"}))).ivr_call(
        make_request(called="13900000000")
    )
    assert (result.outcome, result.code) == (Outcome.BLOCKED_NUMBER, "isv.COMPLAINT_REJECT")


@pytest.mark.parametrize(
    ("client_kwargs", "server_kwargs", "request_kwargs", "code"),
    [
        ({"secret": "wrong-secret"}, {}, {}, "SignatureDoesNotMatch"),
        ({"key_id": "LTAI-unknown"}, {}, {}, "InvalidAccessKeyId.NotFound"),
        ({}, {"caller_numbers": frozenset({"057100000000"})}, {}, "isv.BILLID_NOT_EXIST"),
        ({}, {}, {"caller": "0571-1234"}, "isv.DISPLAY_NUMBER_ILLEGAL"),
        ({}, {}, {"start_tts_params": "{not json"}, "isv.TEMPLATE_PARAMS_ILLEGAL"),
    ],
)
def test_account_and_configuration_errors_pause_the_campaign(
    simulator, client_kwargs, server_kwargs, request_kwargs, code
):
    result = client_for(simulator(**server_kwargs), **client_kwargs).ivr_call(make_request(**request_kwargs))
    assert (result.outcome, result.code, result.call_id) == (Outcome.CONFIG_ERROR, code, None)


def test_500_after_placing_is_unknown_and_the_call_exists(simulator):
    server = simulator(fault_500_rate=1.0)
    result = client_for(server).ivr_call(make_request(out_id="u500"))
    assert (result.outcome, result.code, result.call_id) == (Outcome.UNKNOWN, "InternalError", None)
    assert [call.out_id for call in server.calls.values()] == ["u500"]


def test_read_timeout_is_unknown_and_the_call_exists(simulator):
    server = simulator(fault_timeout_rate=1.0, fault_timeout_seconds=1.0)
    result = client_for(server, timeout=(1.0, 0.2)).ivr_call(make_request(out_id="slow"))
    assert (result.outcome, result.code) == (Outcome.UNKNOWN, "Timeout")
    assert [call.out_id for call in server.calls.values()] == ["slow"]


def test_connection_refused_sends_nothing_and_is_retried_later():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = VoiceClient(KEY_ID, SECRET, f"http://127.0.0.1:{port}/").ivr_call(make_request())
    assert (result.outcome, result.code) == (Outcome.THROTTLED, "ConnectFailed")


@pytest.mark.parametrize("out_id", ["", "x" * 16, "呼叫编号一二三四五"])
def test_out_id_outside_1_to_15_bytes_is_refused_before_sending(simulator, out_id):
    server = simulator()
    with pytest.raises(ValueError, match="OutId"):
        client_for(server).ivr_call(make_request(out_id=out_id))
    assert server.stats.snapshot()["requests"] == 0


def test_query_call_detail_settles_an_ended_call(simulator):
    server = simulator(outcome_weights={"no_answer": 1.0})
    client = client_for(server)
    placed = client.ivr_call(make_request())
    wait_until(lambda: server.calls[placed.call_id].ended, step=0.01)
    detail = client.query_call_detail(placed.call_id, dt.datetime.now(dt.UTC))
    assert isinstance(detail, CallDetail)
    assert (detail.call_id, detail.state, detail.callee, detail.start_date) == (
        placed.call_id,
        "200003",
        "13800138000",
        "",
    )
    assert client.query_call_detail("123^456", dt.datetime.now(dt.UTC)) is None


def test_query_call_detail_raises_when_refused(simulator):
    client = client_for(simulator(), secret="wrong-secret")
    with pytest.raises(VoiceApiError) as info:
        client.query_call_detail("123^456", dt.datetime.now(dt.UTC))
    assert info.value.result.code == "SignatureDoesNotMatch"
    assert "wrong-secret" not in str(info.value)


def test_secret_never_in_repr_logs_messages_or_exceptions(simulator, caplog):
    caplog.set_level(logging.DEBUG)
    server = simulator(fault_500_rate=0.0)
    client = client_for(server)
    texts = [repr(client), str(client), repr(vars(client))]
    texts += [repr(client.ivr_call(make_request(out_id="ok")))]
    texts += [repr(client_for(server, key_id="LTAI-unknown").ivr_call(make_request(out_id="k")))]
    texts += [repr(VoiceClient(KEY_ID, SECRET, "http://127.0.0.1:9/").ivr_call(make_request(out_id="r")))]
    with pytest.raises(ValueError) as info:
        client.ivr_call(make_request(out_id=""))
    texts += [str(info.value), repr(info.value)]
    with pytest.raises(TypeError):
        pickle.dumps(client)
    texts.append(caplog.text)
    assert "IvrCall out_id=ok" in caplog.text
    assert all(SECRET not in text for text in texts)


def test_voice_client_comes_from_settings(settings):
    settings.ALIYUN_ACCESS_KEY_ID = "LTAI-settings"
    settings.ALIYUN_ACCESS_KEY_SECRET = "from-settings"
    settings.ALIYUN_VOICE_ENDPOINT = "http://127.0.0.1:8010"
    client = accounts.voice_client()
    assert (client.access_key_id, client.endpoint) == ("LTAI-settings", "http://127.0.0.1:8010/")
    assert accounts.voice_client() is client
    settings.ALIYUN_ACCESS_KEY_SECRET = "rotated"
    assert accounts.voice_client() is not client


# --- classification table -----------------------------------------------------------------

CODES = [
    ("OK", 200, Outcome.PLACED),
    ("Throttling", 400, Outcome.THROTTLED),
    ("Throttling.User", 400, Outcome.THROTTLED),
    ("Throttling.Api", 400, Outcome.THROTTLED),
    ("isv.BUSINESS_LIMIT_CONTROL", 200, Outcome.FREQUENCY_LIMITED),
    (aliyun.CALLER_CONCURRENCY_CODE, 200, Outcome.CALLER_BUSY),
    ("isv.MOBILE_NUMBER_ILLEGAL", 200, Outcome.INVALID_NUMBER),
    ("isv.DISPLAY_NUMBER_ILLEGAL", 200, Outcome.CONFIG_ERROR),
    ("isv.BILLID_NOT_EXIST", 200, Outcome.CONFIG_ERROR),
    ("isv.OUT_OF_SERVICE", 200, Outcome.CONFIG_ERROR),
    ("isv.AMOUNT_NOT_ENOUGH", 200, Outcome.CONFIG_ERROR),
    ("isv.ACCOUNT_ABNORMAL", 200, Outcome.CONFIG_ERROR),
    ("isv.PRODUCT_UNSUBSCRIBE", 200, Outcome.CONFIG_ERROR),
    ("isp.RAM_PERMISSION_DENY", 200, Outcome.CONFIG_ERROR),
    ("InvalidAccessKeyId.NotFound", 404, Outcome.CONFIG_ERROR),
    ("SignatureDoesNotMatch", 400, Outcome.CONFIG_ERROR),
    ("isv.TEMPLATE_ILLEGAL", 200, Outcome.CONFIG_ERROR),
    ("isv.TTS_TEMPLATE_ILLEGAL", 200, Outcome.CONFIG_ERROR),
    ("isv.TEMPLATE_PARAMS_ILLEGAL", 200, Outcome.CONFIG_ERROR),
    ("isv.COMPLAINT_REJECT", 200, Outcome.BLOCKED_NUMBER),
    ("isp.SYSTEM_ERROR", 500, Outcome.UNKNOWN),
    ("isp.GATEWAY_ERROR", 500, Outcome.UNKNOWN),
    ("InternalError", 500, Outcome.UNKNOWN),
    ("isp.SOMETHING_NEW", 200, Outcome.UNKNOWN),
    ("ServiceUnavailable", 503, Outcome.UNKNOWN),
    ("isv.SOMETHING_NEW", 200, Outcome.CONFIG_ERROR),
    ("MissingCalledNumber", 400, Outcome.CONFIG_ERROR),
]


@pytest.mark.parametrize(("code", "status", "outcome"), CODES)
def test_every_documented_code_is_classified(code, status, outcome):
    body = {"Code": code, "Message": "detail from Aliyun", "RequestId": "RID-1"}
    if code == "OK":
        body["CallId"] = "116012354148^10281378001"
    result = classify_response(status, json.dumps(body))
    assert (result.outcome, result.code, result.request_id) == (outcome, code, "RID-1")
    assert result.call_id == (body.get("CallId") if outcome == Outcome.PLACED else None)
    assert result.message


@pytest.mark.parametrize(
    ("status", "body", "outcome", "code"),
    [
        (502, b"<html>Bad Gateway</html>", Outcome.UNKNOWN, "HTTP502"),
        (500, b"", Outcome.UNKNOWN, "HTTP500"),
        (200, b"not json", Outcome.UNKNOWN, "HTTP200"),
        (200, b'{"Code": "OK", "RequestId": "r"}', Outcome.UNKNOWN, "MissingCallId"),
        (200, b'["not", "an", "object"]', Outcome.UNKNOWN, "HTTP200"),
    ],
)
def test_unreadable_answers_are_unknown(status, body, outcome, code):
    result = classify_response(status, body)
    assert (result.outcome, result.code, result.call_id) == (outcome, code, None)


def _connection_error(reason: Exception) -> requests.ConnectionError:
    return requests.ConnectionError(reason)


@pytest.mark.parametrize(
    ("exc", "outcome", "code"),
    [
        (requests.ReadTimeout("read timed out"), Outcome.UNKNOWN, "Timeout"),
        (requests.ConnectTimeout("connect timed out"), Outcome.THROTTLED, "ConnectTimeout"),
        (
            _connection_error(ProtocolError("Connection aborted.", ConnectionResetError(104))),
            Outcome.UNKNOWN,
            "ConnectionError",
        ),
        (_connection_error(NewConnectionError(None, "Connection refused")), Outcome.THROTTLED, "ConnectFailed"),
        (requests.exceptions.ChunkedEncodingError("broken"), Outcome.UNKNOWN, "ChunkedEncodingError"),
        (requests.exceptions.TooManyRedirects("loop"), Outcome.UNKNOWN, "TooManyRedirects"),
    ],
)
def test_transport_failures_are_classified(exc, outcome, code):
    result = classify_transport_error(exc)
    assert (result.outcome, result.code, result.call_id) == (outcome, code, None)


class _RaisingSession(requests.Session):
    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def post(self, *args, **kwargs):
        raise self.exc


def test_ivr_call_never_raises_for_transport_errors():
    client = VoiceClient(KEY_ID, SECRET, "http://voice.invalid/", session=_RaisingSession(requests.ReadTimeout("x")))
    assert client.ivr_call(make_request()).outcome == Outcome.UNKNOWN
