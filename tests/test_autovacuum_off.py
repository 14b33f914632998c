"""With PostgreSQL's autovacuum off, the dispatcher warns, /healthz/ says so, and the dispatcher
vacuums (and analyses) campaigns_call itself once dead rows pass the table's threshold."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command
from django.db import connection

from campaigns import vacuum
from campaigns.actions import campaigns as actions
from campaigns.models import Call
from tests.actors import OPERATOR

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's autovacuum")


@pytest.fixture
def autovacuum(monkeypatch):
    """Pretend the server's autovacuum is on or off (this project's machines run it off)."""

    def set_to(on: bool) -> None:
        monkeypatch.setitem(vacuum._state, "autovacuum", on)
        monkeypatch.setitem(vacuum._state, "autovacuum_read", float("inf"))
        monkeypatch.setitem(vacuum._state, "checked", 0.0)

    return set_to


@pytest.mark.django_db
def test_autovacuum_setting_is_read_from_the_server():
    vacuum._state["autovacuum"] = None
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        server = cursor.fetchone()[0] == "on"
    assert vacuum.autovacuum_on() is server


@pytest.mark.django_db
@pytest.mark.parametrize("on", [True, False])
def test_healthz_warns_when_autovacuum_is_off(client, autovacuum, on):
    autovacuum(on)
    body = client.get("/healthz/").json()
    assert body["ok"] is True
    assert [w["code"] for w in body["warnings"]] == ([] if on else ["autovacuum_off"])


@pytest.mark.django_db
def test_dispatcher_says_at_start_up_that_autovacuum_is_off(autovacuum, caplog, redis_conn):
    autovacuum(False)
    with caplog.at_level(logging.WARNING, logger="campaigns.vacuum"):
        call_command("dispatcher", "--once")
    assert any("autovacuum is off" in record.getMessage() for record in caplog.records)


def dead_and_vacuums() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables WHERE relname = 'campaigns_call'",
        )
        return cursor.fetchone()


@pytest.fixture
def threshold_of_20():
    """The table's own autovacuum threshold, lowered for the test (migration 0005 sets 10,000)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'campaigns_call'")
        options = dict(option.split("=", 1) for option in cursor.fetchone()[0] or [])
        cursor.execute("ALTER TABLE campaigns_call SET (autovacuum_vacuum_threshold = 20)")
    yield
    with connection.cursor() as cursor:
        if "autovacuum_vacuum_threshold" in options:
            value = int(options["autovacuum_vacuum_threshold"])
            cursor.execute(f"ALTER TABLE campaigns_call SET (autovacuum_vacuum_threshold = {value})")
        else:
            cursor.execute("ALTER TABLE campaigns_call RESET (autovacuum_vacuum_threshold)")


@pytest.mark.django_db(transaction=True)
def test_dispatcher_vacuums_the_calls_table_once_dead_rows_pass_its_threshold(campaign, autovacuum, threshold_of_20):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    calls = campaign.calls.all()
    autovacuum(False)
    assert vacuum.maybe_vacuum() is False  # nothing dead yet
    _dead, live, threshold = vacuum.dead_rows()
    # Each pass over every call leaves one dead version of each: enough passes to cross the threshold.
    for n in range(threshold // max(live, 1) + 1):
        calls.update(status=Call.Status.CLAIMED if n % 2 == 0 else Call.Status.QUEUED)
    dead_before, vacuums_before = dead_and_vacuums()
    assert dead_before > threshold

    autovacuum(False)
    assert vacuum.maybe_vacuum() is True
    vacuum._running[0].join(timeout=60)

    dead_after, vacuums_after = dead_and_vacuums()
    assert vacuums_after == vacuums_before + 1
    assert dead_after < dead_before // 10


@pytest.mark.django_db(transaction=True)
def test_no_vacuum_of_its_own_while_autovacuum_is_on(campaign, autovacuum):
    actions.do_start_campaign(campaign, actor=OPERATOR)
    for _ in range(3):
        campaign.calls.update(status=Call.Status.CLAIMED)
    autovacuum(True)
    assert vacuum.maybe_vacuum() is False
