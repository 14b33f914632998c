"""A receipt push answered 200 survives the web process being killed -9 the moment it answers,
and is settled exactly once by the settler — also when Aliyun resends it, and when a
settler dies holding it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import requests

from campaigns.models import Call, Contact
from receipts.inbox import settle_pending
from receipts.models import PendingPush, Receipt
from tests.receipt_elements import key_press, record
from tests.stack import ROOT, database_url, free_port, wait_for_port
from tests.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = Call.Status
TOKEN = "kill-receipt-token-0123456789"


@pytest.fixture
def ten_calls(running_campaign, contact_list):
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", name=f"赵六{n}") for n in range(5)
    )
    contacts = Contact.objects.filter(contact_list=contact_list).order_by("phone")
    return Call.objects.bulk_create(
        Call(campaign=running_campaign, contact=c, phone=c.phone, status=S.PLACED, out_id=f"o{n}", call_id=f"c{n}^1")
        for n, c in enumerate(contacts)
    )


def push_then_kill(url: str, body: bytes) -> requests.Response:
    """POST with the app in gunicorn and SIGKILL its whole process group as soon as it answers."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "0",
        "RECEIPT_TOKEN": TOKEN,
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "kill-test-only-secret-key",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    env.pop("TEST_DATABASE_NAME", None)
    port = free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "ivrsite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port)
        response = requests.post(url.format(port=port), data=body, timeout=60)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return response


def test_a_push_answered_200_is_settled_once_after_kill_9(ten_calls):
    elements = [key_press(0, "1"), record(0, dtmf="1"), record(1, "200003", start="", duration="0"), record(2)]
    body = json.dumps(elements, ensure_ascii=False).encode()
    url = "http://127.0.0.1:{port}/receipts/aliyun/" + TOKEN + "/"

    response = push_then_kill(url, body)
    assert response.status_code == 200
    assert PendingPush.objects.count() == 1  # on disk before the answer, nothing settled yet
    assert Call.objects.filter(status=S.PLACED).count() == 10

    # Aliyun resends it anyway (it may not have seen our answer), to a new web process.
    assert push_then_kill(url, body).status_code == 200
    assert settle_pending().received == 8
    assert Receipt.objects.count() == 4  # each receipt once
    assert not PendingPush.objects.exists()
    calls = {c.out_id: c for c in Call.objects.filter(attempt=1)}
    assert (calls["o0"].status, calls["o0"].answer_label) == (S.ANSWERED, "满意")
    assert calls["o1"].status == S.NO_ANSWER
    assert Call.objects.filter(out_id=None, attempt=2).count() == 1  # one retry, not two
    assert calls["o2"].status == S.ANSWERED


def test_a_settler_that_dies_holding_a_push_leaves_it_for_the_next(ten_calls):
    PendingPush.objects.create(body=json.dumps([record(3)], ensure_ascii=False))
    # A settler process takes the push and dies before committing: its session is cut off.
    dying = psycopg.connect(database_url(), autocommit=False)
    dying.execute("SELECT id FROM receipts_pendingpush FOR UPDATE")
    assert settle_pending().received == 0  # locked by the other settler: skipped, not waited for
    with psycopg.connect(database_url(), autocommit=True) as admin:
        pid = dying.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        # The signal is sent, not yet obeyed: its locks go when the backend has gone.
        gone = "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = %s)"
        wait_until(lambda: admin.execute(gone, [pid]).fetchone()[0], message="the killed backend lingers")
    with contextlib.suppress(psycopg.Error):
        dying.close()
    assert settle_pending().received == 1
    assert Call.objects.get(out_id="o3").status == S.ANSWERED
    assert Receipt.objects.count() == 1 and not PendingPush.objects.exists()


def test_a_database_error_while_settling_sets_nothing_aside(ten_calls, monkeypatch):
    from django.db import OperationalError

    from receipts import inbox
    from receipts.models import RejectedPush

    PendingPush.objects.create(body=json.dumps([record(4)], ensure_ascii=False))

    def connection_lost(elements):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(inbox, "ingest", connection_lost)
    with pytest.raises(OperationalError):
        settle_pending()
    assert PendingPush.objects.count() == 1 and not RejectedPush.objects.exists()

    monkeypatch.undo()
    assert settle_pending().received == 1
    assert Call.objects.get(out_id="o4").status == S.ANSWERED


def test_a_push_our_code_fails_on_is_set_aside_and_the_rest_settle(ten_calls, monkeypatch):
    from receipts import inbox
    from receipts.models import RejectedPush

    PendingPush.objects.create(body=json.dumps([record(5)], ensure_ascii=False))
    PendingPush.objects.create(body=json.dumps([record(6, "bug")], ensure_ascii=False))
    real_ingest = inbox.ingest

    def buggy(elements):
        if any(e.get("status_code") == "bug" for e in elements):
            raise KeyError("a bug of ours")
        return real_ingest(elements)

    monkeypatch.setattr(inbox, "ingest", buggy)
    assert settle_pending().received == 1
    assert Call.objects.get(out_id="o5").status == S.ANSWERED
    assert not PendingPush.objects.exists()
    assert "a bug of ours" in RejectedPush.objects.get(reason=RejectedPush.Reason.SERVER_ERROR).detail
