"""`make run` (`manage.py rundemo`): the demo password stays the same across restarts (kept in a
git-ignored file, or DEMO_PASSWORD), so a restart logs nobody out; it is printed last, after
the processes start; WEB_BIND / PORT and SIMULATOR_RECEIPT_URL are used as given; the demo's
caller numbers carry Aliyun's documented concurrency, not a made-up one."""

import io
import stat

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaigns.management.commands import rundemo
from campaigns.models import CallerNumber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def password_file(monkeypatch, tmp_path, redis_conn, settings):
    path = tmp_path / ".demo-password"
    monkeypatch.setattr(rundemo, "DEMO_PASSWORD_FILE", path)
    monkeypatch.setenv("REDIS_URL", settings.REDIS_URL)
    for name in ("DEMO_PASSWORD", "WEB_BIND", "PORT", "SIMULATOR_RECEIPT_URL", "ALIYUN_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("rundemo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def login_line(output: str) -> str:
    return next(line for line in output.splitlines() if "login: demo / " in line)


def test_a_restart_keeps_the_password_and_the_session(client, password_file):
    first = run()
    password = login_line(first).split("login: demo / ")[1].split()[0]
    assert password_file.read_text().strip() == password
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert client.login(username="demo", password=password)
    assert client.get(reverse("admin:index")).status_code == 200

    second = run()
    assert login_line(second) == login_line(first)
    assert client.get(reverse("admin:index")).status_code == 200  # still signed in


def test_demo_password_from_the_environment_wins(client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "chosen-demo-pass-123")
    assert "login: demo / chosen-demo-pass-123" in run()
    assert client.login(username="demo", password="chosen-demo-pass-123")


def test_caller_numbers_carry_aliyuns_concurrency():
    run()
    number = CallerNumber.objects.get(number="057188880000")
    assert number.max_concurrent_calls is None and number.concurrency() == 15  # a fixed line (3 for a mobile)
    second = CallerNumber.objects.get(number="057188880001")
    assert second.concurrency() == 15


class FakeHoncho:
    """Stands in for honcho: records the environment it gets and prints a start-up line."""

    started: list = []

    def __init__(self, command, env):
        self.command, self.env = command, env
        FakeHoncho.started.append(self)
        FakeHoncho.out.write("12:00:00 worker.1 | *** Listening on dial, imports...\n")

    def poll(self):
        return None

    def wait(self):
        return 0


def test_the_login_comes_last_and_the_addresses_are_kept(monkeypatch):
    out = io.StringIO()
    FakeHoncho.out, FakeHoncho.started = out, []
    monkeypatch.setattr(rundemo.subprocess, "Popen", FakeHoncho)
    monkeypatch.setattr(rundemo.Command, "wait_for_web", lambda self, host, port, process: None)
    monkeypatch.setattr(rundemo.Command, "wait_for_workers", lambda self, url, expected, since, process: None)
    monkeypatch.setattr(rundemo.time, "sleep", lambda seconds: None)
    monkeypatch.setenv("WEB_BIND", "0.0.0.0:8123")
    monkeypatch.setenv("SIMULATOR_RECEIPT_URL", "http://demo.example:9000/receipts/aliyun/given/")
    with pytest.raises(SystemExit) as stopped:
        call_command("rundemo", stdout=out)
    assert stopped.value.code == 0
    [honcho] = FakeHoncho.started
    assert honcho.env["WEB_BIND"] == "0.0.0.0:8123"
    assert honcho.env["SIMULATOR_RECEIPT_URL"] == "http://demo.example:9000/receipts/aliyun/given/"
    text = out.getvalue()
    assert text.index("Listening on dial") < text.index("login: demo / ")  # printed after the start-up logs
    assert "http://127.0.0.1:8123/admin/" in text


def test_port_sets_the_bind_when_web_bind_is_not_given(monkeypatch):
    monkeypatch.setenv("PORT", "8456")
    FakeHoncho.out, FakeHoncho.started = io.StringIO(), []
    monkeypatch.setattr(rundemo.subprocess, "Popen", FakeHoncho)
    monkeypatch.setattr(rundemo.Command, "wait_for_web", lambda self, host, port, process: None)
    monkeypatch.setattr(rundemo.Command, "wait_for_workers", lambda self, url, expected, since, process: None)
    monkeypatch.setattr(rundemo.time, "sleep", lambda seconds: None)
    with pytest.raises(SystemExit):
        call_command("rundemo", stdout=io.StringIO())
    [honcho] = FakeHoncho.started
    assert honcho.env["WEB_BIND"] == "127.0.0.1:8456"
    assert honcho.env["SIMULATOR_RECEIPT_URL"].startswith("http://127.0.0.1:8456/receipts/aliyun/demo-")
