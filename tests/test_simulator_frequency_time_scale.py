"""The simulator's per-callee frequency control can run on a shorter clock, so an end-to-end
test of the callee guard waits seconds instead of Aliyun's full minute."""

from __future__ import annotations

import time

import pytest

from campaigns.management.commands.voice_simulator import Command
from tests.test_voice_simulator import KEY_ID, SECRET, call


@pytest.fixture
def simulator(start_simulator):
    return lambda **options: start_simulator(keys={KEY_ID: SECRET}, seed=3, **options)


def test_a_scaled_window_refuses_then_allows_the_same_callee(simulator):
    server = simulator(frequency_limit=True, frequency_time_scale=0.01)  # 1 per 0.6 s
    assert call(server, OutId="a1")["Code"] == "OK"
    assert call(server, OutId="a2")["Code"] == "isv.BUSINESS_LIMIT_CONTROL"
    time.sleep(0.7)
    assert call(server, OutId="a3")["Code"] == "OK"


def test_the_full_minute_by_default(simulator):
    server = simulator(frequency_limit=True)
    assert call(server, OutId="b1")["Code"] == "OK"
    time.sleep(0.7)
    assert call(server, OutId="b2")["Code"] == "isv.BUSINESS_LIMIT_CONTROL"


def test_the_command_line_takes_the_scale(monkeypatch):
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIYUN_ACCESS_KEY_SECRET", SECRET)
    command = Command()
    parser = command.create_parser("manage.py", "voice_simulator")
    options = vars(parser.parse_args(["--frequency-limit", "--frequency-time-scale", "0.25"]))
    assert command.config(options).frequency_time_scale == 0.25
    assert command.config(vars(parser.parse_args([]))).frequency_time_scale == 1.0
