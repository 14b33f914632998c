"""The bundled voice simulator: signatures, parameter checks, limits, receipts, faults, stats."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
import requests
from django.core.management import CommandError

from campaigns.dialling.aliyun import API_VERSION, CALLER_CONCURRENCY_CODE, percent_encode, sign, utc_timestamp
from campaigns.dialling.simulator import SimulatorServer
from campaigns.dialling.simulator.limits import SlidingWindow
from campaigns.management.commands.voice_simulator import Command
from tests.waiting import wait_until

KEY_ID = "LTAI-sim"
SECRET = "sim-secret"
BEIJING_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


@pytest.fixture
def simulator(start_simulator):
    """Start simulators with this file's key pair and seed; all are stopped afterwards."""
    return functools.partial(start_simulator, keys={KEY_ID: SECRET}, seed=3)


class Receiver:
    """Our receipt webhook, played by a tiny HTTP server answering `statuses` in turn (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.batches: list[list[dict]] = []
        self.attempts = 0
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.cond:
                    receiver.attempts += 1
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    if status == 200:
                        receiver.batches.append(json.loads(body))
                    receiver.cond.notify_all()
                payload = json.dumps({"code": 0, "msg": "接收成功"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/receipts/aliyun/token/"

    @property
    def records(self) -> list[dict]:
        return [record for batch in self.batches for record in batch]

    def wait(self, predicate, timeout: float = 5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self), timeout), "receipts did not arrive in time"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(statuses=()) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for item in made:
        item.close()


def ivr_params(**overrides) -> dict[str, str]:
    params = {
        "CalledShowNumber": "057112345678",
        "CalledNumber": "13800138000",
        "StartCode": "TTS_100001",
        "StartTtsParams": '{"name": "张三"}',
        "PlayTimes": "2",
        "Timeout": "5000",
        "OutId": "c1-a1",
        "MenuKeyMap.1.Key": "1",
        "MenuKeyMap.1.Code": "TTS_200001",
        "MenuKeyMap.2.Key": "2",
        "MenuKeyMap.2.Code": "TTS_200002",
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def signed_v1(action: str = "IvrCall", params: dict | None = None, secret: str = SECRET, method="POST", **common):
    full = {
        "AccessKeyId": KEY_ID,
        "Action": action,
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "Timestamp": utc_timestamp(),
        "Version": API_VERSION,
        **(ivr_params() if params is None else params),
        **common,
    }
    full["Signature"] = sign(full, secret, method)
    return full


def post(server: SimulatorServer, params: dict) -> requests.Response:
    return requests.post(server.url, data=params, timeout=5)


def call(server: SimulatorServer, **overrides) -> dict:
    return post(server, signed_v1(params=ivr_params(**overrides))).json()


def signed_acs3(server: SimulatorServer, params: dict, secret: str = SECRET, tamper: str = "") -> requests.Response:
    """Signed like the current official SDK (ACS3-HMAC-SHA256), written from Aliyun's V3 description."""
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    body = b""
    headers = {
        "host": f"{server.host}:{server.port}",
        "x-acs-action": "IvrCall",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "x-acs-date": utc_timestamp(),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-version": API_VERSION,
    }
    names = sorted(headers)
    canonical = "\n".join(
        [
            "POST",
            "/",
            query,
            "".join(f"{n}:{headers[n]}\n" for n in names),
            ";".join(names),
            headers["x-acs-content-sha256"],
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={KEY_ID},SignedHeaders={';'.join(names)},Signature={signature}"
    )
    sent_query = query + tamper
    return requests.post(f"{server.url}?{sent_query}", data=body, headers=headers, timeout=5)


# --- authentication --------------------------------------------------------------------


def test_signed_request_in_form_body_or_query_string_is_placed(simulator):
    server = simulator()
    assert post(server, signed_v1()).json()["Code"] == "OK"
    params = signed_v1(method="GET", params=ivr_params(OutId="get"))
    answer = requests.get(f"{server.url}?{urlencode(params)}", timeout=5).json()
    assert answer["Code"] == "OK" and re.match(r"^\d{12}\^\d{11}$", answer["CallId"])


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda p: p.update(Signature="AAAA" + p["Signature"][4:]), 400, "SignatureDoesNotMatch"),
        (lambda p: p.update(CalledNumber="13800138999"), 400, "SignatureDoesNotMatch"),
        (lambda p: p.pop("Signature"), 400, "MissingSignature"),
        (lambda p: p.pop("SignatureNonce"), 400, "MissingSignatureNonce"),
    ],
)
def test_tampered_or_incomplete_signature_is_rejected(simulator, mutate, status, code):
    server = simulator()
    params = signed_v1()
    mutate(params)
    response = post(server, params)
    answer = response.json()
    assert (response.status_code, answer["Code"]) == (status, code)
    assert answer["RequestId"] and answer["Message"]
    assert server.stats.snapshot()["rejected_by_code"] == {code: 1}


def test_unknown_access_key(simulator):
    server = simulator()
    response = post(server, signed_v1(AccessKeyId="LTAI-nobody"))
    assert (response.status_code, response.json()["Code"]) == (404, "InvalidAccessKeyId.NotFound")


def test_reused_nonce_and_stale_timestamp_are_rejected(simulator):
    server = simulator()
    params = signed_v1()
    assert post(server, params).json()["Code"] == "OK"
    assert post(server, params).json()["Code"] == "SignatureNonceUsed"
    stale = utc_timestamp(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20))
    assert post(server, signed_v1(Timestamp=stale)).json()["Code"] == "InvalidTimeStamp.Expired"


def test_acs3_signed_request_is_accepted_and_a_bad_one_rejected(simulator):
    server = simulator()
    assert signed_acs3(server, ivr_params()).json()["Code"] == "OK"
    assert signed_acs3(server, ivr_params(OutId="x2"), secret="nope").json()["Code"] == "SignatureDoesNotMatch"
    assert signed_acs3(server, ivr_params(OutId="x3"), tamper="&Extra=1").json()["Code"] == "SignatureDoesNotMatch"
    assert server.stats.snapshot()["placed"] == 1


# --- parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"CalledNumber": None}, "MissingCalledNumber"),
        ({"StartCode": ""}, "MissingStartCode"),
        ({"PlayTimes": "4"}, "isv.INVALID_PARAMETERS"),
        ({"PlayTimes": "0"}, "isv.INVALID_PARAMETERS"),
        ({"OutId": "x" * 16}, "isv.INVALID_PARAMETERS"),
        ({"OutId": "呼叫编号一二三四五"}, "isv.INVALID_PARAMETERS"),
        ({"Timeout": "soon"}, "isv.INVALID_PARAMETERS"),
        ({"MenuKeyMap.3.Key": "A", "MenuKeyMap.3.Code": "TTS_3"}, "isv.INVALID_PARAMETERS"),
        ({"MenuKeyMap.3.Key": "3"}, "isv.INVALID_PARAMETERS"),
        ({"StartTtsParams": "[1, 2]"}, "isv.TEMPLATE_PARAMS_ILLEGAL"),
        ({"ByeCode": "f3c9a8e0.wav"}, "isv.TEMPLATE_ILLEGAL"),
        ({"CalledNumber": "+8613800138000"}, "isv.MOBILE_NUMBER_ILLEGAL"),
        ({"CalledNumber": "1380013800"}, "isv.MOBILE_NUMBER_ILLEGAL"),
        ({"CalledNumber": "12800138000"}, "isv.MOBILE_NUMBER_ILLEGAL"),
        ({"CalledShowNumber": "0571 1234"}, "isv.DISPLAY_NUMBER_ILLEGAL"),
    ],
)
def test_parameters_are_validated_like_the_real_api(simulator, overrides, code):
    server = simulator()
    assert call(server, **overrides)["Code"] == code
    assert server.stats.snapshot()["placed"] == 0


@pytest.mark.parametrize("number", ["13800138000", "19912345678", "057188889999", "01088889999"])
def test_mainland_mobiles_and_landlines_are_accepted(simulator, number):
    assert call(simulator(), CalledNumber=number)["Code"] == "OK"


def test_only_configured_caller_numbers_are_accepted(simulator):
    server = simulator(caller_numbers=frozenset({"057112345678"}))
    assert call(server)["Code"] == "OK"
    assert call(server, CalledShowNumber="057100000000", OutId="b")["Code"] == "isv.BILLID_NOT_EXIST"


def test_unknown_action_or_version(simulator):
    server = simulator()
    assert post(server, signed_v1(action="SingleCallByTts")).json()["Code"] == "InvalidAction.NotFound"
    assert post(server, signed_v1(Version="2099-01-01")).json()["Code"] == "InvalidAction.NotFound"


# --- limits ---------------------------------------------------------------------------


def test_sliding_window_admits_at_most_limit_per_second():
    now = [100.0]
    window = SlidingWindow(3, clock=lambda: now[0])
    assert [window.admit() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.999
    assert not window.admit()
    now[0] += 0.002
    assert [window.admit() for _ in range(4)] == [True, True, True, False]


def test_qps_limit_answers_throttling_user(simulator):
    server = simulator(qps=5)
    now = [0.0]
    server.api.limiters[KEY_ID] = SlidingWindow(5, clock=lambda: now[0])
    codes = [call(server, OutId=f"q{n}", CalledNumber=f"1380013{n:04d}")["Code"] for n in range(8)]
    assert codes == ["OK"] * 5 + ["Throttling.User"] * 3
    now[0] += 1.0
    assert call(server, OutId="later", CalledNumber="13900000001")["Code"] == "OK"
    stats = server.stats.snapshot()
    assert (stats["placed"], stats["throttled"], stats["rejected_by_code"]) == (6, 3, {"Throttling.User": 3})


def test_caller_concurrency_counts_calls_in_progress(simulator):
    server = simulator(max_concurrent=2, call_duration_scale=1000.0)
    codes = [call(server, OutId=f"c{n}", CalledNumber=f"1380013{n:04d}")["Code"] for n in range(3)]
    assert codes == ["OK", "OK", CALLER_CONCURRENCY_CODE]
    assert call(server, CalledShowNumber="057199998888", OutId="c9")["Code"] == "OK"
    assert server.stats.snapshot()["peak_concurrent_calls_per_caller"] == 2


def test_concurrency_slot_is_freed_when_the_call_ends(simulator):
    server = simulator(max_concurrent=1)
    assert call(server, OutId="a")["Code"] == "OK"
    wait_until(lambda: server.stats.snapshot()["calls_in_progress"] == 0)
    assert call(server, OutId="b", CalledNumber="13800138001")["Code"] == "OK"


def test_frequency_control_is_off_by_default_and_enforced_behind_the_flag(simulator):
    relaxed = simulator()
    assert [call(relaxed, OutId=f"r{n}")["Code"] for n in range(3)] == ["OK"] * 3
    strict = simulator(frequency_limit=True)
    codes = [call(strict, OutId=f"s{n}")["Code"] for n in range(2)]
    assert codes == ["OK", "isv.BUSINESS_LIMIT_CONTROL"]
    assert call(strict, OutId="other", CalledNumber="13900000002")["Code"] == "OK"


# --- calls and receipts -------------------------------------------------------------------


def test_answered_calls_push_key_press_and_final_receipts(simulator, receiver):
    webhook = receiver()
    server = simulator(receipt_url=webhook.url, receipt_flush_interval=0.05, outcome_weights={"answered_key": 1.0})
    out_ids = {f"k{n}" for n in range(3)}
    for n, out_id in enumerate(sorted(out_ids)):
        assert call(server, OutId=out_id, CalledNumber=f"1380013{n:04d}")["Code"] == "OK"
    webhook.wait(lambda r: len(r.records) == 6)
    presses = [r for r in webhook.records if r["status_code"] == "300000"]
    finals = [r for r in webhook.records if r["status_code"] != "300000"]
    assert {r["out_id"] for r in presses} == {r["out_id"] for r in finals} == out_ids
    assert all(r["dtmf"] in {"1", "2"} and BEIJING_TIME.match(r["status_time"]) for r in presses)
    for record in finals:
        assert record["status_code"] == "200000" and record["caller"] == "057112345678"
        assert BEIJING_TIME.match(record["start_time"]) and BEIJING_TIME.match(record["end_time"])
        assert int(record["duration"]) > 0 and record["call_id"] in server.calls
        assert {"originate_time", "ring_time", "callee", "hangup_direction", "toll_type", "voice_type"} <= set(record)


def test_unanswered_outcomes_have_no_start_time(simulator, receiver):
    webhook = receiver()
    server = simulator(receipt_url=webhook.url, receipt_flush_interval=0.05, outcome_weights={"busy": 1.0})
    call(server)
    webhook.wait(lambda r: len(r.records) == 1)
    (record,) = webhook.records
    assert (record["status_code"], record["start_time"], record["duration"], record["dtmf"]) == ("200002", "", "0", "")


def test_receipt_push_is_retried_until_our_side_accepts(simulator, receiver):
    webhook = receiver(statuses=[500, 503])
    server = simulator(
        receipt_url=webhook.url,
        receipt_flush_interval=0.05,
        receipt_retry_delays=(0.05, 0.05, 0.05),
        outcome_weights={"no_answer": 1.0},
    )
    call(server, OutId="retry-me")
    webhook.wait(lambda r: r.records)
    assert [r["out_id"] for r in webhook.records] == ["retry-me"]
    wait_until(lambda: server.stats.snapshot()["receipts_pushed"])
    stats = server.stats.snapshot()
    assert (webhook.attempts, stats["receipt_push_errors"], stats["receipts_pushed"]) == (3, 2, 1)


def test_receipts_are_dropped_after_the_last_retry(simulator, receiver):
    webhook = receiver(statuses=[500] * 3)
    server = simulator(receipt_url=webhook.url, receipt_flush_interval=0.05, receipt_retry_delays=(0.05, 0.05))
    call(server)
    wait_until(lambda: server.stats.snapshot()["receipts_failed"])
    stats = server.stats.snapshot()
    assert (stats["receipts_failed"], stats["receipts_pushed"], webhook.attempts) == (1, 0, 3)


def test_batches_hold_at_most_batch_size_records(simulator, receiver):
    webhook = receiver()
    server = simulator(
        receipt_url=webhook.url, receipt_flush_interval=5.0, receipt_batch_size=2, outcome_weights={"busy": 1.0}
    )
    for n in range(4):
        call(server, OutId=f"b{n}", CalledNumber=f"1380013{n:04d}")
    webhook.wait(lambda r: len(r.records) == 4)
    assert [len(batch) for batch in webhook.batches] == [2, 2]


# --- faults -------------------------------------------------------------------------------


def test_fault_500_is_answered_after_the_call_was_placed(simulator, receiver):
    webhook = receiver()
    server = simulator(receipt_url=webhook.url, receipt_flush_interval=0.05, fault_500_rate=1.0)
    response = post(server, signed_v1(params=ivr_params(OutId="f500")))
    assert (response.status_code, response.json()["Code"]) == (500, "InternalError")
    webhook.wait(lambda r: r.records)
    assert {r["out_id"] for r in webhook.records} == {"f500"}
    stats = server.stats.snapshot()
    assert (stats["placed"], stats["faults_500"]) == (1, 1)


def test_fault_timeout_answers_after_the_client_gave_up(simulator):
    server = simulator(fault_timeout_rate=1.0, fault_timeout_seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.post(server.url, data=signed_v1(), timeout=(1, 0.2))
    stats = server.stats.snapshot()
    assert (stats["placed"], stats["faults_timeout"]) == (1, 1)


# --- stats and command line ---------------------------------------------------------------


def test_stats_endpoint_counts_duplicates_and_repeat_dials(simulator):
    server = simulator()
    call(server, OutId="same")
    call(server, OutId="same")
    call(server, OutId="other", CalledNumber="13900000003")
    post(server, signed_v1(secret="wrong"))
    stats = requests.get(f"{server.url}__simulator/stats", timeout=5).json()
    assert stats["requests"] == 4 and stats["placed"] == 3
    assert stats["duplicate_out_ids"] == 1
    assert (stats["dials_per_called_number_max"], stats["numbers_dialled_more_than_once"]) == (2, 1)
    assert stats["rejected_by_code"] == {"SignatureDoesNotMatch": 1}
    assert stats["peak_requests_per_second"] >= 1 and stats["throttled"] == 0
    assert {"receipts_pushed", "receipts_failed", "calls_in_progress", "outcomes"} <= set(stats)


def test_command_line_builds_the_configuration(monkeypatch):
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_ID", "LTAI-env")
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_SECRET", "env-secret")
    command = Command()
    parser = command.create_parser("manage.py", "voice_simulator")
    argv = "--port 0 --qps 7 --seed 5 --receipt-url http://127.0.0.1:8000/r/t/ --caller-numbers 0571123,0571456"
    argv += " --busy 1 --no-answer 0 --frequency-limit --fault-500-rate 0.1 --call-duration-scale 0.01"
    options = vars(parser.parse_args(argv.split()))
    config = command.config(options)
    assert config.keys == {"LTAI-env": "env-secret"}
    assert (config.qps, config.seed, config.frequency_limit, config.fault_500_rate) == (7, 5, True, 0.1)
    assert config.caller_numbers == {"0571123", "0571456"}
    assert config.outcome_weights["busy"] == 1.0 and config.outcome_weights["no_answer"] == 0.0
    with pytest.raises(CommandError, match="fault-timeout-rate"):
        parser.parse_args(["--fault-timeout-rate", "1.5"])


def test_command_line_needs_a_key_pair(monkeypatch):
    monkeypatch.delenv("ALIYUN_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("ALIYUN_ACCESS_KEY_SECRET", raising=False)
    command = Command()
    options = vars(command.create_parser("manage.py", "voice_simulator").parse_args([]))
    with pytest.raises(CommandError):
        command.config(options)


def test_official_sdk_request_is_accepted(simulator):
    """The legacy official SDK (V1.0 signature, parameters in the query string) talks to it as to Aliyun."""
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest

    server = simulator()
    request = CommonRequest(domain=f"{server.host}:{server.port}", version=API_VERSION, action_name="IvrCall")
    request.set_method("POST")
    request.set_protocol_type("http")
    for name, value in ivr_params(OutId="sdk").items():
        request.add_query_param(name, value)
    answer = json.loads(AcsClient(KEY_ID, SECRET, "cn-hangzhou").do_action_with_exception(request))
    assert answer["Code"] == "OK"
    assert [call.out_id for call in server.calls.values()] == ["sdk"]
