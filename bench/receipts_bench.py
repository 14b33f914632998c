"""Receipts and dashboard benchmark (issue 6), on PostgreSQL.

1. Receipts per second through the real endpoint: the Procfile's own `web` line (gunicorn,
   its shipped defaults, access log on) on a PostgreSQL database, 8 clients POSTing batches
   of 100 receipts (key presses and call records for placed calls), the Procfile's
   `dispatcher` settling them as shipped (`--settler settle_receipts`: a dedicated settler).
   Baseline in the same run: the same gunicorn answering empty pushes (`[]`: token check,
   JSON, nothing stored). Then: how long after the last push everything was settled,
   and how long after its 200 one more receipt shows on the dashboard.
2. Dashboard server time on a generated campaign of 1,000,000 calls (800,000 contacts in
   two lists, 200,000 retried): the dashboard's JSON view through Django's test client,
   whole campaign and filtered by one list. Baseline: the /healthz/ view the same way.

Usage: .venv/bin/python bench/receipts_bench.py [--calls 1000000] [--receipts 40000]
Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ivr_receipts_bench;
the database is created if missing and reused, generated rows are deleted at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ivr_receipts_bench")
LOG_DIR = Path(tempfile.mkdtemp(prefix="receipts-bench-"))
TOKEN = "bench-token-0123456789abcdef"
ENV = {
    **os.environ,
    "DATABASE_URL": DB_URL,
    "DJANGO_SECRET_KEY": "bench-only-secret-key",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "RECEIPT_TOKEN": TOKEN,
    "LOG_LEVEL": "WARNING",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
}
os.environ.update({k: ENV[k] for k in ("DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_SECURE_SSL_REDIRECT")})
os.environ.update({k: ENV[k] for k in ("RECEIPT_TOKEN", "LOG_LEVEL", "ALLOWED_HOSTS", "REDIS_URL")})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivrsite.settings")

from bench.benchdb import ensure_database  # noqa: E402


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def insert_select(model, exprs: dict[str, str], source: str) -> int:
    """INSERT INTO model's table SELECT … FROM source, every column not in `exprs` at its default."""
    from django.db import connection

    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.name in exprs:
            values.append(exprs[field.name])
        elif field.null:
            values.append("NULL")
        elif field.has_default() or field.empty_strings_allowed:
            values.append("%s")
            args.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            raise SystemExit(f"bench does not know how to fill {model.__name__}.{field.name}")
    sql = f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) SELECT {", ".join(values)} FROM {source}'
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.rowcount


def make_campaign(name: str):
    import datetime as dt

    from campaigns.models import CallerNumber, Campaign, ContactList, MenuOption, MenuTemplate

    menu, _ = MenuTemplate.objects.get_or_create(name="bench 满意度", defaults={"start_code": "TTS_1"})
    for position, (key, label) in enumerate([("1", "满意"), ("2", "一般"), ("3", "不满意")]):
        MenuOption.objects.get_or_create(template=menu, key=key, defaults={"label": label, "position": position})
    caller, _ = CallerNumber.objects.get_or_create(number="05710000000")
    campaign = Campaign.objects.create(
        name=name,
        menu=menu,
        menu_snapshot=menu.snapshot(),
        state=Campaign.State.RUNNING,
        started_at=dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC),
        daily_start=dt.time(0, 0),
        daily_end=dt.time(0, 0),
        max_attempts=1,  # receipts settle, nothing is retried: measures ingestion alone
    )
    campaign.caller_numbers.add(caller)
    lists = [ContactList.objects.create(name=f"{name} #{campaign.pk} list {n}") for n in (1, 2)]
    campaign.contact_lists.add(*lists)
    return campaign, lists


def generate_calls(name: str, contacts: int, retried: int, status_sql: str | None = None, due_sql: str = "sent"):
    """A campaign with `contacts` contacts (two lists) and `contacts + retried` calls, in SQL.

    `due_sql` may use the columns latest, h (0-99, picks the status) and sent."""
    from campaigns.contacts.variables import remember_variables
    from campaigns.models import Call, Contact

    campaign, lists = make_campaign(name)
    prefix = 100 + campaign.pk % 900
    insert_select(
        Contact,
        {
            "contact_list": f"CASE WHEN g %% 2 = 0 THEN {lists[0].pk} ELSE {lists[1].pk} END",
            "phone": f"'1{prefix}' || lpad(g::text, 7, '0')",
            "name": "'联系人' || g",
            "variables": """jsonb_build_object('product', 'p' || (g %% 5))""",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"generate_series(1, {int(contacts)}) g",
    )
    for contact_list in lists:
        remember_variables(contact_list.pk, ["product"])  # what an import of this column keeps
    # Attempt 1 for every contact; the first `retried` contacts were not answered and retried.
    # Latest outcomes by h = (id * 7919) % 100: answered 45, no answer 20, busy 8,
    # unreachable 5, failed 3, dnc 1, unknown 1, placed 2, queued 15.
    latest_status = (
        status_sql
        or """CASE
        WHEN h < 45 THEN 'answered' WHEN h < 65 THEN 'no_answer' WHEN h < 73 THEN 'busy'
        WHEN h < 78 THEN 'unreachable' WHEN h < 81 THEN 'failed' WHEN h < 82 THEN 'dnc'
        WHEN h < 83 THEN 'unknown' WHEN h < 85 THEN 'placed' ELSE 'queued' END"""
    )
    source = f"""(
        SELECT c.id AS contact_id, c.phone, a.attempt,
               (c.id * 7919 + a.attempt) %% 100 AS h,
               a.attempt = (CASE WHEN c.rank <= {int(retried)} THEN 2 ELSE 1 END) AS latest,
               c.rank <= {int(retried)} AS was_retried,
               timestamptz '2026-11-02 01:00:00+00' + ((c.id * 104729) %% 432000) * interval '1 second'
                 + (a.attempt - 1) * interval '1 hour' AS sent
        FROM (SELECT id, phone, row_number() OVER (ORDER BY id) AS rank
              FROM campaigns_contact WHERE contact_list_id IN ({lists[0].pk}, {lists[1].pk})) c
        CROSS JOIN (VALUES (1), (2)) a(attempt)
    ) s WHERE attempt = 1 OR was_retried"""
    status = f"CASE WHEN NOT latest THEN 'no_answer' ELSE {latest_status} END"
    answered = f"({status}) = 'answered'"
    key = f"CASE WHEN {answered} THEN (ARRAY['1','1','1','2','2','3','','9'])[1 + h %% 8] ELSE '' END"
    dialled = f"({status}) NOT IN ('queued', 'dnc')"
    ended = f"{dialled} AND ({status}) NOT IN ('placed','unknown')"
    insert_select(
        Call,
        {
            "campaign": str(campaign.pk),
            "contact": "contact_id",
            "phone": "phone",
            "attempt": "attempt",
            "is_latest": "latest",
            "status": status,
            "due_at": due_sql,
            "out_id": f"CASE WHEN {dialled} THEN 'b{campaign.pk}x' || contact_id || 'a' || attempt END",
            "call_id": f"CASE WHEN {dialled} THEN 'bench^{campaign.pk}^' || contact_id || '^' || attempt END",
            "status_code": f"CASE WHEN {answered} THEN '200000' WHEN latest THEN '' ELSE '200003' END",
            "dtmf": key,
            "answer_key": f"CASE WHEN {key} IN ('1','2','3') THEN {key} ELSE '' END",
            "answer_label": f"CASE {key} WHEN '1' THEN '满意' WHEN '2' THEN '一般' WHEN '3' THEN '不满意' ELSE '' END",
            "duration": f"CASE WHEN {answered} THEN 20 + h END",
            "sent_at": f"CASE WHEN {dialled} THEN sent END",
            "answered_at": f"CASE WHEN {answered} THEN sent + interval '5 seconds' END",
            "ended_at": f"CASE WHEN {ended} THEN sent + interval '40 seconds' END",
            "settled_at": f"CASE WHEN {ended} THEN sent + interval '41 seconds' END",
            "created_at": "sent",
        },
        source,
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaigns_call; ANALYZE campaigns_contact")
    return campaign, lists


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_process(name: str, log: Path, extra_env: dict | None = None) -> subprocess.Popen:
    """The Procfile's own command line for `name`, through a shell as honcho runs it, with the
    defaults it ships with (its `python` and `gunicorn`: this virtualenv's)."""
    from tests.stack import procfile_commands

    env = {**ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **(extra_env or {})}
    with log.open("ab") as out:
        # `exec`: the signal that stops it reaches the process itself, not a shell that would leave it running.
        command = "exec " + procfile_commands()[name]
        return subprocess.Popen(command, shell=True, cwd=ROOT, env=env, stdout=out, stderr=out)  # noqa: S602 - our Procfile


def start_settler(settler: str) -> subprocess.Popen:
    """What settles the pushes the webhook accepted: the Procfile's `dispatcher` (its tick settles
    for up to 2 s at a time), as shipped, or a dedicated `manage.py settle_receipts`."""
    if settler == "dispatcher":
        return procfile_process("dispatcher", LOG_DIR / "dispatcher.log")
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "settle_receipts"], cwd=ROOT, env=ENV)


def wait_settled(campaign, total: int, timeout: float = 120) -> float:
    """Seconds until every pushed receipt is stored and no push waits to be settled."""
    from receipts.models import PendingPush, Receipt

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if (
            not PendingPush.objects.exists()
            and Receipt.objects.filter(matched_call__campaign=campaign).count() >= total
        ):
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"receipts not settled {timeout:.0f} s after the last push")


def start_gunicorn(workers: int) -> tuple[subprocess.Popen, str]:
    """The Procfile's `web` line as shipped (`workers` processes of 4 threads, access log on)."""
    port = free_port()
    proc = procfile_process(
        "web", LOG_DIR / "web.log", {"WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    )
    base = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(100):
        try:
            requests.get(f"{base}/healthz/", timeout=1)
            return proc, base
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def hammer(url: str, bodies: list[bytes], threads: int) -> tuple[float, list[float]]:
    """POST every body, `threads` at a time; returns (seconds, per-request latencies)."""
    import requests

    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(reversed(bodies))
    failures: list[str] = []

    def work() -> None:
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            t0 = time.perf_counter()
            response = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if response.status_code != 200 or response.json().get("code") != 0:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        raise SystemExit(f"{len(failures)} pushes failed, e.g. {failures[0]}")
    return time.perf_counter() - started, latencies


def receipt_batches(campaign, total: int) -> list[bytes]:
    from campaigns.models import Call

    calls = list(Call.objects.filter(campaign=campaign).order_by("pk").values_list("call_id", "out_id")[:total])
    elements = []
    for n, (call_id, out_id) in enumerate(calls):
        if n % 2:
            elements.append(
                {
                    "call_id": call_id,
                    "out_id": out_id,
                    "status_code": "300000",
                    "status_time": "2026-11-02 10:00:30",
                    "dtmf": "12"[n % 4 // 2],
                }
            )
        else:
            elements.append(
                {
                    "call_id": call_id,
                    "out_id": out_id,
                    "status_code": "200000" if n % 4 else "200003",
                    "status_msg": "执行完成",
                    "start_time": "2026-11-02 10:00:10" if n % 4 else "",
                    "end_time": "2026-11-02 10:01:00",
                    "duration": "50",
                    "dtmf": "",
                }
            )
    return [json.dumps(elements[i : i + 100], ensure_ascii=False).encode() for i in range(0, len(elements), 100)]


def bench_receipts(total: int, workers: int, threads: int, settler_kind: str) -> dict:
    # One call more than receipts pushed: answered last, to time when the dashboard shows it.
    campaign, _ = generate_calls("bench receipts", total + 1, 0, status_sql="'placed'")
    bodies = receipt_batches(campaign, total)
    proc, base = start_gunicorn(workers)
    settler = start_settler(settler_kind)
    try:
        url = f"{base}/receipts/aliyun/{TOKEN}/"
        hammer(url, [b"[]"] * 200, threads)  # warm up: connections, imports
        empty_s, empty_lat = hammer(url, [b"[]"] * len(bodies), threads)
        batch_s, batch_lat = hammer(url, bodies, threads)
        settle_lag = wait_settled(campaign, total)
        visible_s = dashboard_sees_a_receipt(campaign, url)
    finally:
        for process in (proc, settler):
            process.terminate()
            process.wait(10)
    from campaigns.models import Call
    from receipts.models import Receipt

    stored = Receipt.objects.filter(matched_call__campaign=campaign).count()
    settled = Call.objects.filter(campaign=campaign).exclude(status="placed").count()
    if stored != total + 1 or settled != total + 1:
        raise SystemExit(f"pushed {total + 1} receipts: {stored} stored, {settled} calls settled")
    return {
        "settle_lag_s": settle_lag,
        "visible_s": visible_s,
        "settled_per_s": total / (batch_s + settle_lag),
        "batches": len(bodies),
        "receipts": total,
        "stored": stored,
        "settled_calls": settled,
        "receipts_per_s": total / batch_s,
        "batch_requests_per_s": len(bodies) / batch_s,
        "empty_requests_per_s": len(bodies) / empty_s,
        "batch_p50_ms": 1000 * statistics.median(batch_lat),
        "batch_p99_ms": 1000 * sorted(batch_lat)[int(0.99 * (len(batch_lat) - 1))],
        "empty_p50_ms": 1000 * statistics.median(empty_lat),
        "empty_p99_ms": 1000 * sorted(empty_lat)[int(0.99 * (len(empty_lat) - 1))],
        "campaign": campaign,
    }


def dashboard_sees_a_receipt(campaign, url: str, timeout: float = 30) -> float:
    """Seconds from a 200 for one more call record to the dashboard counting its answer."""
    import requests
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.test import Client
    from django.urls import reverse

    from campaigns.models import Call

    user, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    user.user_permissions.add(Permission.objects.get(codename="view_campaign", content_type__app_label="campaigns"))
    client = Client()
    client.force_login(user)
    data_url = reverse("results:dashboard-data", args=[campaign.pk])

    def answered() -> int:
        return client.get(data_url).json()["headline"]["answered"]

    before = answered()
    call = Call.objects.filter(campaign=campaign, status="placed").order_by("pk").first()
    if call is None:
        raise SystemExit("no placed call left to answer")
    element = {
        "call_id": call.call_id, "out_id": call.out_id, "status_code": "200000", "status_msg": "执行完成",
        "start_time": "2026-11-02 10:00:10", "end_time": "2026-11-02 10:01:00", "duration": "50", "dtmf": "",
    }  # fmt: skip
    response = requests.post(url, data=json.dumps([element], ensure_ascii=False).encode(), timeout=30)
    if response.status_code != 200:
        raise SystemExit(f"push answered {response.status_code}")
    started = time.perf_counter()
    while answered() == before:
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"the dashboard did not count the receipt within {timeout:.0f} s")
        time.sleep(0.1)
    return time.perf_counter() - started


def timed_get(client, url: str, runs: int) -> float:
    client.get(url)  # warm
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    return 1000 * statistics.median(samples)


def bench_dashboard(calls: int, runs: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    retried = calls // 5
    t0 = time.perf_counter()
    campaign, lists = generate_calls("bench dashboard", calls - retried, retried)
    generated = time.perf_counter() - t0
    from django.contrib.auth.models import Permission

    user, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    # Exactly what the dashboard asks for, not a superuser: the bench follows the view's checks.
    user.user_permissions.add(Permission.objects.get(codename="view_campaign", content_type__app_label="campaigns"))
    client = Client()
    client.force_login(user)
    data_url = reverse("results:dashboard-data", args=[campaign.pk])
    from results.aggregates import refresh_snapshot

    refreshes = [refresh_snapshot(campaign).compute_ms for _ in range(3)]
    result = {
        "refresh_ms": statistics.median(refreshes),
        "calls": campaign.calls.count(),
        "generated_s": generated,
        "healthz_ms": timed_get(client, "/healthz/", runs),
        "data_ms": timed_get(client, data_url, runs),
        "data_list_ms": timed_get(client, f"{data_url}?list={lists[0].pk}", runs),
        "campaign": campaign,
    }
    return result


def cleanup(*campaigns) -> None:
    from django.db import connection

    from campaigns.models import Contact, ContactList

    for campaign in campaigns:
        lists = list(campaign.contact_lists.all())
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM receipts_receipt WHERE matched_call_id IN "
                "(SELECT id FROM campaigns_call WHERE campaign_id = %s)",
                [campaign.pk],
            )
            cursor.execute("DELETE FROM campaigns_call WHERE campaign_id = %s", [campaign.pk])
        campaign.delete()
        Contact.objects.filter(contact_list__in=lists)._raw_delete(Contact.objects.db)
        ContactList.objects.filter(pk__in=[c.pk for c in lists]).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls in the dashboard campaign")
    parser.add_argument("--receipts", type=int, default=40_000, help="receipts to push (batches of 100)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (4 threads each, as the Procfile)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent pushing clients")
    parser.add_argument("--runs", type=int, default=7, help="timed dashboard requests (median)")
    parser.add_argument(
        "--settler",
        choices=["dispatcher", "settle_receipts"],
        default="dispatcher",
        help="what settles the pushes: the Procfile's dispatcher (as shipped) or a dedicated settle_receipts",
    )
    parser.add_argument("--skip-receipts", action="store_true")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep generated rows")
    args = parser.parse_args()
    ensure_database(DB_URL)
    setup_django()
    from campaigns.models import Campaign

    cleanup(*Campaign.objects.filter(name__startswith="bench "))  # leftovers of an interrupted run
    made = []
    try:
        if not args.skip_receipts:
            r = bench_receipts(args.receipts, args.workers, args.threads, args.settler)
            made.append(r["campaign"])
            met = r["receipts_per_s"] >= 5000 and r["batch_p99_ms"] < 100 and r["visible_s"] <= 5
            print(
                f"receipts: {r['receipts_per_s']:,.0f} receipts/s accepted through the Procfile's web "
                f"({args.workers} workers, {args.threads} clients, {r['batches']} batches of 100; "
                "target >= 5,000/s, p99 < 100 ms); "
                f"{r['batch_requests_per_s']:.1f} batch pushes/s vs {r['empty_requests_per_s']:.1f} empty pushes/s "
                f"baseline = {r['batch_requests_per_s'] / r['empty_requests_per_s']:.2f}x; "
                f"batch p50 {r['batch_p50_ms']:.0f} ms p99 {r['batch_p99_ms']:.0f} ms "
                f"(empty p50 {r['empty_p50_ms']:.1f} ms p99 {r['empty_p99_ms']:.0f} ms); "
                f"stored {r['stored']:,}, settled {r['settled_calls']:,} calls"
            )
            print(
                f"settling by {args.settler}: all settled {r['settle_lag_s']:.1f} s after the last push "
                f"({r['settled_per_s']:,.0f} receipts/s end to end); a receipt reached the dashboard "
                f"{r['visible_s']:.1f} s after its 200 (target <= 5 s); targets {'met' if met else 'MISSED'}"
            )
        if not args.skip_dashboard:
            d = bench_dashboard(args.calls, args.runs)
            made.append(d["campaign"])
            print(
                f"dashboard cube refresh (one GROUP BY over all calls, run by a worker when stale): "
                f"median {d['refresh_ms']:.0f} ms"
            )
            print(
                f"dashboard: {d['calls']:,} calls (generated in {d['generated_s']:.0f} s); data view median "
                f"{d['data_ms']:.0f} ms, filtered by list {d['data_list_ms']:.0f} ms (target < 300 ms); "
                f"baseline /healthz/ {d['healthz_ms']:.1f} ms = {d['data_ms'] / d['healthz_ms']:.0f}x / "
                f"{d['data_list_ms'] / d['healthz_ms']:.0f}x"
            )
    finally:
        if not args.keep:
            cleanup(*made)


if __name__ == "__main__":
    main()
