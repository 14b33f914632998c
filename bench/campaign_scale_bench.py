"""Campaign at scale (issue 14): pages, polls, claims and table sizes of a 10 M-call campaign.

    .venv/bin/python bench/campaign_scale_bench.py [--calls 10000000] [--database ivr_scale_bench] [--reuse]

1. (Re)creates a benchmark database and migrates it; generates in SQL a running campaign of
   --calls calls (4/5 first attempts, 1/5 retried contacts; latest outcomes mixed, 15 % still
   queued, all due at the same instant as enrolment leaves them) over two contact lists.
   With --reuse and a campaign of that size already there, generation is skipped.
2. Enrols a draft campaign of --enrol contacts through the admin's start path (the
   background enrolment job) and reports its time and rows/s.
3. Server time (Django's test client, median of --runs) of: /healthz/ (baseline), the
   campaign list, the change page, the list's progress poll, the dashboard page and its data, each
   served from the stored result cube; the cube's refresh (the one scan, done by a worker)
   is timed apart. Target: each page < 100 ms at 10 M calls.
4. Claims: `dispatch.claim` of a batch of 20 on the big campaign and on a 1,000-call one
   (baseline), then handed back: O(batch) means the two are close.
5. Table and index sizes, dead tuples, and the autovacuum settings campaigns_call carries.

Exits non-zero when a step fails (a page not 200, figures that disagree with the calls,
a claim that takes nothing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.actors import OPERATOR  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10_000_000, help="calls in the big campaign")
    parser.add_argument("--enrol", type=int, default=100_000, help="contacts enrolled through the start path")
    parser.add_argument("--runs", type=int, default=7, help="timed requests per page (median)")
    parser.add_argument("--database", default="ivr_scale_bench", help="benchmark database")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--reuse", action="store_true", help="keep the database and a campaign of this size")
    return parser.parse_args()


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def prepare_database(args: argparse.Namespace) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.database]).fetchone()
        if exists and not args.reuse:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(args.database)))
        if not exists or not args.reuse:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.database)))
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.database}", "DJANGO_DEBUG": "1"}
    env.pop("TEST_DATABASE_NAME", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=900
    )


def setup_django(args: argparse.Namespace) -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{args.pg}/{args.database}",
            "DJANGO_SECRET_KEY": "bench-only-secret-key",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_DEBUG": "0",
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "ivrsite.settings",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        }
    )
    os.environ.pop("TEST_DATABASE_NAME", None)
    import django
    from django.conf import settings

    django.setup()
    # Pages render {% static %} without a collectstatic manifest, as in the tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def big_campaign(calls: int, reuse: bool):
    from receipts_bench import generate_calls

    from campaigns.models import Campaign

    name = f"bench scale {calls}"
    existing = Campaign.objects.filter(name=name).first() if reuse else None
    if existing is not None and existing.calls.count() == calls:
        note(f"reusing {name} (#{existing.pk})")
        return existing, 0.0
    retried = calls // 5
    started = time.perf_counter()
    # Queued calls all due at the same instant, as enrolment leaves them: the claim's worst case.
    campaign, _lists = generate_calls(
        name,
        calls - retried,
        retried,
        due_sql="CASE WHEN latest AND h >= 85 THEN timestamptz '2026-11-02 01:00:00+00' ELSE sent END",
    )
    return campaign, time.perf_counter() - started


PAGES = ("campaign list", "change page", "dashboard page", "dashboard data")


def timed(step, runs: int) -> float:
    step()  # warm
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return 1000 * statistics.median(samples)


def get_ok(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


def pages(campaign, runs: int) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from results.aggregates import progress

    user = get_user_model().objects.filter(username="bench-admin").first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "bench-only")
    client = Client()
    client.force_login(user)
    t0 = time.perf_counter()
    exact = progress(campaign, fresh=True)  # the cube recomputed from the calls
    refresh_ms = 1000 * (time.perf_counter() - t0)
    poll_url = reverse("admin:campaigns_campaign_progress") + f"?ids={campaign.pk}"
    polled = get_ok(client, poll_url).json()[str(campaign.pk)]
    for key in ("contacts", "dialled", "answered", "pending", "unknown", "failed", "dnc"):
        if polled[key] != exact[key]:
            raise SystemExit(f"polled {key} {polled[key]} != {exact[key]} counted in the calls")
    urls = {
        "healthz": "/healthz/",
        "campaign list": reverse("admin:campaigns_campaign_changelist"),
        "change page": reverse("admin:campaigns_campaign_change", args=[campaign.pk]),
        "progress poll": poll_url,
        "dashboard page": reverse("results:dashboard", args=[campaign.pk]),
        "dashboard data": reverse("results:dashboard-data", args=[campaign.pk]),
    }
    result = {name: timed(lambda url=url: get_ok(client, url), runs) for name, url in urls.items()}
    result["cube refresh (worker)"] = refresh_ms
    return result


def claim_ms(campaign, runs: int) -> float:
    from campaigns.dialling.dispatch import claim, release

    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        calls = claim(campaign, 20)
        samples.append(time.perf_counter() - t0)
        if not calls:
            raise SystemExit(f"claim took nothing from campaign {campaign.pk}")
        release(calls)
    return 1000 * statistics.median(samples)


def small_campaign():
    from receipts_bench import generate_calls

    from campaigns.models import Campaign

    existing = Campaign.objects.filter(name="bench scale small").first()
    if existing is not None:
        return existing
    campaign, _lists = generate_calls("bench scale small", 800, 200, due_sql="sent")
    return campaign


def enrol(contacts: int) -> dict:
    """A draft campaign over `contacts` new contacts, started as the admin starts one."""
    from receipts_bench import insert_select, make_campaign

    from campaigns.actions import campaigns as actions
    from campaigns.models import Call, Campaign, Contact

    campaign, lists = make_campaign("bench scale enrol")
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DRAFT, started_at=None)
    campaign.refresh_from_db()
    insert_select(
        Contact,
        {
            "contact_list": str(lists[0].pk),
            "phone": f"'17{campaign.pk % 10}' || lpad(g::text, 8, '0')",
            "name": "'联系人' || g",
            "variables": "'{}'::jsonb",
            "created_at": "now()",
            "updated_at": "now()",
        },
        f"generate_series(1, {int(contacts)}) g",
    )
    from campaigns import enrolment

    queued = []
    enrolment.enqueue_enrolment = lambda c: queued.append(c.pk)  # this process is the worker
    t0 = time.perf_counter()
    actions.do_start_campaign(campaign, enrol_in_background=True, actor=OPERATOR)  # what the admin's Start does
    request_ms = 1000 * (time.perf_counter() - t0)
    if queued != [campaign.pk]:
        raise SystemExit("starting did not queue the enrolment")
    enrolment.run_enrolment(campaign.pk)  # the job, as the worker runs it
    total = time.perf_counter() - t0
    campaign.refresh_from_db()
    if campaign.state != Campaign.State.RUNNING:
        raise SystemExit(f"after enrolment the campaign is {campaign.state}")
    enrolled = Call.objects.filter(campaign=campaign).count()
    if enrolled != contacts:
        raise SystemExit(f"{contacts} contacts, {enrolled} calls enrolled")
    return {"campaign": campaign, "request_ms": request_ms, "seconds": total, "rows_per_s": contacts / total}


def table_report() -> list[str]:
    from django.db import connection

    lines = []
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid),
                      pg_indexes_size(c.oid), s.n_live_tup, s.n_dead_tup, c.reloptions
               FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
               WHERE c.relname IN ('campaigns_call', 'campaigns_contact', 'receipts_receipt')
               ORDER BY 2 DESC"""
        )
        for name, total, heap, indexes, live, dead, options in cursor.fetchall():
            lines.append(
                f"  {name}: {total / 2**20:,.0f} MB (heap {heap / 2**20:,.0f} MB, indexes {indexes / 2**20:,.0f} MB), "
                f"{live:,} live / {dead:,} dead rows; options {options or 'defaults'}"
            )
    return lines


def main() -> int:
    args = parse_args()
    note(f"preparing database {args.database}")
    prepare_database(args)
    setup_django(args)
    note(f"generating a campaign of {args.calls:,} calls")
    campaign, generated_s = big_campaign(args.calls, args.reuse)
    note("enrolling through the start path")
    enrolment = enrol(args.enrol)
    note("timing pages and claims")
    times = pages(campaign, args.runs)
    big_claim = claim_ms(campaign, args.runs)
    small_claim = claim_ms(small_campaign(), args.runs)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    base = times["healthz"]
    load = os.getloadavg()[0]
    print(f"campaign scale bench: {args.calls:,} calls ({version}; load {load:.1f} on {os.cpu_count()} cores)")
    if generated_s:
        print(f"  generated in {generated_s:,.0f} s")
    print(
        f"  start with {args.enrol:,} contacts: request {enrolment['request_ms']:.0f} ms, "
        f"enrolled in the background in {enrolment['seconds']:.1f} s = {enrolment['rows_per_s']:,.0f} calls/s"
    )
    for name, ms in times.items():
        ratio = "" if name == "healthz" else f" = {ms / base:,.0f}x /healthz/"
        target = " (target < 100 ms)" if name in PAGES else ""
        print(f"  {name}: {ms:,.1f} ms{ratio}{target}")
    print(f"  claim of 20: {big_claim:.1f} ms vs {small_claim:.1f} ms on 1,000 calls = {big_claim / small_claim:.1f}x")
    print("\n".join(table_report()))
    slow = [n for n in PAGES if times[n] >= 100]
    print(f"targets: pages < 100 ms -> {'met' if not slow else 'MISSED: ' + ', '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
