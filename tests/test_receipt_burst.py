"""A burst of 50 concurrent receipt batches against a real server (issue 7).

Aliyun pushes from many machines at once and re-sends what it is unsure of, so batches
overlap, repeat each other and arrive together. Against gunicorn as the Procfile runs it
(several processes, threads, one PostgreSQL connection per request), all 50 at the same
moment: every push answered 200, every distinct receipt stored once, every call settled once
with the right outcome and answer, one retry per retryable outcome, no deadlock.

(Not `live_server`: Django's test server listens with a backlog of 10, and the kernel resets
connections past it — a limit of the test server, not of the webhook.)
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection

from campaigns.models import Call, Contact
from receipts.inbox import settle_pending
from receipts.ingest import parse_element
from receipts.models import PendingPush, Receipt, RejectedPush
from tests.receipt_elements import key_press, record
from tests.stack import ROOT, database_url, free_port, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BATCHES = 50
CALLS = 40
S = Call.Status
TOKEN = "burst-receipt-token-0123456789"


@pytest.fixture
def web(tmp_path):
    """gunicorn serving the app on the test database; yields (base URL, path of its log)."""
    port, log_path = free_port(), tmp_path / "web.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),  # skips unless PostgreSQL
        "DB_CONN_MAX_AGE": "0",  # no session outlives its request (the test database is dropped later)
        "RECEIPT_TOKEN": TOKEN,
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "burst-test-only-secret-key",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TEST_DATABASE_NAME", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "ivrsite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "25"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.fixture
def forty_calls(running_campaign, contact_list):
    """CALLS placed calls (out_id `o{n}`, CallId `c{n}^1`), the fixture list's five among them."""
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, phone=f"1390000{n:04d}", name=f"王五{n}") for n in range(CALLS - 5)
    )
    contacts = Contact.objects.filter(contact_list=contact_list).order_by("phone")
    return Call.objects.bulk_create(
        Call(
            campaign=running_campaign,
            contact=contact,
            phone=contact.phone,
            status=S.PLACED,
            out_id=f"o{n}",
            call_id=f"c{n}^1",
        )
        for n, contact in enumerate(contacts)
    )


def plan() -> tuple[list[dict], dict[int, tuple[str, str, int]]]:
    """Every distinct element Aliyun will push, and per call what it must end as:
    (status, answer label, number of attempts)."""
    elements: list[dict] = []
    expected: dict[int, tuple[str, str, int]] = {}
    for n in range(CALLS):
        kind = n % 5
        if kind == 0:  # key press, then the record that repeats the key
            elements += [key_press(n, "1"), record(n, dtmf="1")]
            expected[n] = (S.ANSWERED, "满意", 1)
        elif kind == 1:  # two key presses (a wrong key first), no record yet
            elements += [key_press(n, "7", at="2026-11-02 10:00:20"), key_press(n, "3", at="2026-11-02 10:00:25")]
            expected[n] = (S.ANSWERED, "不满意", 1)
        elif kind == 2:  # answered, hung up before any key
            elements.append(record(n, "200001", duration="4"))
            expected[n] = (S.ANSWERED, "", 1)
        elif kind == 3:  # no answer: one retry
            elements.append(record(n, "200003", start="", duration="0"))
            expected[n] = (S.NO_ANSWER, "", 2)
        else:  # busy: one retry; the key press of an earlier status report too
            elements += [record(n, "200002", start="", duration=0), key_press(n, "", at="2026-11-02 10:00:05")]
            expected[n] = (S.BUSY, "", 2)
    # Receipts for calls we never placed, and elements we cannot read: kept once each.
    elements += [key_press(900 + n, "2", call_id=f"ghost{n}^9") for n in range(15)]
    elements += [{"call_id": f"c{n}^1", "note": "no status code"} for n in range(5)] + [f"junk {n}" for n in range(5)]
    return elements, expected


def batches(elements: list, rng: random.Random) -> list[list]:
    """BATCHES pushes: every element in at least one, most in several, orders shuffled; ten
    of nothing but unmatched and malformed elements (those lock no call, so nothing but the
    order of their inserts keeps two such pushes from waiting on each other); ten sent twice."""
    pushes: list[list] = [[] for _ in range(BATCHES - 20)]
    for i, element in enumerate(elements):
        pushes[i % len(pushes)].append(element)
    for push in pushes:
        push += rng.sample(elements, 12)
        push += rng.sample(push, 2)  # a push repeats itself too
    loose = [e for e in elements if not isinstance(e, dict) or "ghost" in e["call_id"] or "status_code" not in e]
    pushes += [rng.sample(loose, 15) for _ in range(10)]
    pushes += [list(push) for push in rng.sample(pushes, 10)]
    for push in pushes:
        rng.shuffle(push)
    rng.shuffle(pushes)
    assert len(pushes) == BATCHES
    return pushes


def test_fifty_concurrent_batches(web, forty_calls):
    base, log_path = web
    url = f"{base}/receipts/aliyun/{TOKEN}/"
    # The workers up before the burst (an empty push stores nothing).
    with ThreadPoolExecutor(max_workers=4) as pool:
        warm = list(pool.map(lambda _: requests.post(url, data=b"[]", timeout=60).status_code, range(4)))
    assert warm == [200] * 4
    elements, expected = plan()
    pushes = batches(elements, random.Random(2026))
    assert all(any(e in push for push in pushes) for e in elements)
    deadlocks_before = deadlocks()

    start = threading.Barrier(BATCHES)

    def push(batch: list) -> tuple[int, str]:
        body = json.dumps(batch, ensure_ascii=False).encode()
        start.wait(timeout=30)
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
        return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=BATCHES) as pool:
        answers = list(pool.map(push, pushes))

    assert [status for status, _ in answers] == [200] * BATCHES, answers
    assert all(json.loads(text) == {"code": 0, "msg": "接收成功"} for _, text in answers)

    # Settled by several settlers at once (dispatchers, `settle_receipts`), a few pushes each.
    def settle(_: int) -> int:
        try:
            return settle_pending(batch=3).received
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(settle, range(4))) == sum(len(p) for p in pushes)
    assert not PendingPush.objects.exists()

    # Every distinct receipt stored, once.
    identities = {parse_element(element).dedupe_key for element in elements}
    stored = list(Receipt.objects.values_list("dedupe_key", flat=True))
    assert len(stored) == len(identities) and set(stored) == identities
    assert Receipt.objects.filter(kind=Receipt.Kind.MALFORMED).count() == 10
    assert Receipt.objects.filter(call_id__startswith="ghost", matched_call=None).count() == 15
    assert not RejectedPush.objects.exists()

    # Every call settled once, as its receipts say; one retry for each retryable outcome.
    for n, call in enumerate(forty_calls):
        status, label, attempts = expected[n]
        rows = list(Call.objects.filter(contact_id=call.contact_id).order_by("attempt"))
        first = rows[0]
        assert (first.status, first.answer_label, len(rows)) == (status, label, attempts), n
        assert first.settled_at is not None
        assert first.receipts.count() == sum(1 for e in elements if isinstance(e, dict) and e.get("out_id") == f"o{n}")
        if attempts == 2:
            assert [r.attempt for r in rows] == [1, 2] and rows[1].status == S.QUEUED
            assert [r.is_latest for r in rows] == [False, True]
        else:
            assert first.is_latest

    assert deadlocks() == deadlocks_before
    log = log_path.read_text(errors="replace")
    assert "deadlock" not in log.lower() and "Traceback" not in log and "ERROR" not in log, log[-5000:]
