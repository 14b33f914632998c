"""Cross-tab, scores, segments and follow-up benchmark (issue 12), on PostgreSQL.

On a generated campaign of N calls (default 1,000,000; one per contact, every contact with
a `city` among 200 values and a `product` among 3, a 0–10 NPS menu):
1. the worker's step: computing the stored cross-tab table by `city` (one GROUP BY);
2. the read: the dashboard's JSON with `?by=city` (cross-tab + scores + segments + chain),
   served from stored aggregates through Django's test client, median of 20 interleaved rounds;
   baseline in the same run: the same JSON without a breakdown, and /healthz/;
3. a follow-up of the "no answer" segment (set-based copy of its contacts to a new list).

Exits non-zero when a step fails or when, at 1,000,000 calls or more, the cross-tab read
takes `--limit-ms` (default 100) or longer.

Usage: .venv/bin/python bench/crosstab_bench.py [--calls 1000000]    # --calls 2000: smoke run
Env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ivr_crosstab_bench; the
database is created if missing and reused; generated rows are deleted at the end).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ivr_crosstab_bench")
os.environ.update(
    {
        "DATABASE_URL": DB_URL,
        "DJANGO_SECRET_KEY": "bench-only-secret-key",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    }
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivrsite.settings")

from bench.benchdb import ensure_database  # noqa: E402
from tests.actors import OPERATOR  # noqa: E402


def generate(calls: int):
    """Menu, caller, list, contacts and one settled call per contact, in three statements."""
    import datetime as dt

    from django.db import connection

    from campaigns.contacts.variables import remember_variables
    from campaigns.models import CallerNumber, Campaign, ContactList, MenuOption, MenuTemplate

    stamp = int(time.time())
    menu = MenuTemplate.objects.create(name=f"bench NPS {stamp}", start_code="TTS_1")
    for key in [*map(str, range(10)), "*"]:
        MenuOption.objects.create(template=menu, key=key, label=f"{key}分", score=10 if key == "*" else int(key))
    caller, _ = CallerNumber.objects.get_or_create(number="05710000001")
    campaign = Campaign.objects.create(
        name=f"bench 回访 {stamp}",
        menu=menu,
        menu_snapshot=menu.snapshot(),
        state=Campaign.State.COMPLETED,
        started_at=dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC),
    )
    campaign.caller_numbers.add(caller)
    contact_list = ContactList.objects.create(name=f"bench list {stamp}")
    campaign.contact_lists.add(contact_list)
    keys = "ARRAY['0','1','2','3','4','5','6','7','8','9','*','']"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_contact (contact_list_id, phone, name, variables, do_not_call, created_at, updated_at)
            SELECT %s, '139' || lpad(g::text, 8, '0'), '客户' || g,
                   jsonb_build_object(
                       'city', '城市' || (g %% 200), 'product', (ARRAY['宽带','电视','手机'])[1 + g %% 3]
                   ),
                   FALSE, now(), now()
            FROM generate_series(1, %s) g
            """,
            [contact_list.pk, calls],
        )
        remember_variables(contact_list.pk, ["city", "product"])  # what an import of these columns keeps
        cursor.execute(
            f"""
            INSERT INTO campaigns_call (
                campaign_id, contact_id, phone, attempt, is_latest, status, due_at, created_at, error_code,
                error_message, status_code, dtmf, answer_key, answer_label, claim_token, sent_at, answered_at
            )
            SELECT %s, c.id, c.phone, 1, TRUE,
                   CASE WHEN c.id %% 10 < 6 THEN 'answered' WHEN c.id %% 10 = 6 THEN 'no_answer'
                        WHEN c.id %% 10 = 7 THEN 'busy' WHEN c.id %% 10 = 8 THEN 'unreachable' ELSE 'failed' END,
                   now(), now(), '', '', '', '',
                   CASE WHEN c.id %% 10 < 6 THEN ({keys})[1 + (c.id / 10) %% 12] ELSE '' END,
                   CASE WHEN c.id %% 10 < 6 AND (c.id / 10) %% 12 < 11
                        THEN ({keys})[1 + (c.id / 10) %% 12] || '分' ELSE '' END,
                   '',
                   timestamptz '2026-11-02 01:00+00' + (c.id %% 259200) * interval '1 second',
                   CASE WHEN c.id %% 10 < 6
                        THEN timestamptz '2026-11-02 01:00+00' + (c.id %% 259200) * interval '1 second' END
            FROM campaigns_contact c WHERE c.contact_list_id = %s
            """,
            [campaign.pk, contact_list.pk],
        )
        cursor.execute("ANALYZE campaigns_contact; ANALYZE campaigns_call")
    return campaign, contact_list


def timed(fn, repeat: int = 20) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(1000 * (time.perf_counter() - started))
    return statistics.median(samples)


def cleanup(campaign_ids: list[int], list_ids: list[int]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_call WHERE campaign_id = ANY(%s)", [campaign_ids])
        cursor.execute("DELETE FROM receipts_resultsnapshot WHERE campaign_id = ANY(%s)", [campaign_ids])
        cursor.execute("DELETE FROM receipts_crosstabsnapshot WHERE campaign_id = ANY(%s)", [campaign_ids])
        cursor.execute("DELETE FROM campaigns_followupbuild WHERE campaign_id = ANY(%s)", [campaign_ids])
        cursor.execute("DELETE FROM campaigns_campaign_contact_lists WHERE campaign_id = ANY(%s)", [campaign_ids])
        cursor.execute("DELETE FROM campaigns_campaign_caller_numbers WHERE campaign_id = ANY(%s)", [campaign_ids])
        cursor.execute("DELETE FROM campaigns_campaign WHERE id = ANY(%s)", [sorted(campaign_ids, reverse=True)])
        cursor.execute("DELETE FROM campaigns_contact WHERE contact_list_id = ANY(%s)", [list_ids])
        cursor.execute("DELETE FROM campaigns_contactlist WHERE id = ANY(%s)", [list_ids])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--limit-ms", type=float, default=100.0)
    args = parser.parse_args()

    ensure_database(DB_URL)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from campaigns.followups import create_followup
    from campaigns.segments import parse_all
    from results import aggregates, crosstab

    call_command("migrate", verbosity=0)
    # Measure the stored read alone: nothing counts as stale during the run.
    aggregates.FRESH_SECONDS = crosstab.FRESH_SECONDS = 10**9

    failed = False
    campaign_ids: list[int] = []
    list_ids: list[int] = []
    try:
        started = time.perf_counter()
        campaign, contact_list = generate(args.calls)
        campaign_ids.append(campaign.pk)
        list_ids.append(contact_list.pk)
        print(f"generated {args.calls:,} contacts and calls in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        snapshot = aggregates.refresh_snapshot(campaign)
        print(f"worker: result cube             {1000 * (time.perf_counter() - started):8.0f} ms")
        started = time.perf_counter()
        table = crosstab.refresh(campaign, "city")
        print(f"worker: cross-tab by city       {1000 * (time.perf_counter() - started):8.0f} ms")
        assert snapshot.cube and len(table.table["values"]) == min(crosstab.TOP, 200), "cross-tab table is wrong"

        user, _ = get_user_model().objects.get_or_create(
            username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client()
        client.force_login(user)
        base = f"/receipts/campaigns/{campaign.pk}/dashboard/data/"

        def get(url: str, **params) -> dict | None:
            response = client.get(url, params)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            return response.json() if url.endswith("/data/") else None

        payload = get(base, by="city")
        chart = payload["charts"]["crosstab"]
        assert chart["table"]["rows"] and not chart["pending"], "cross-tab missing from the dashboard"
        assert payload["score"]["nps"] is not None, "NPS missing"
        assert (
            sum(r["count"] for r in payload["segments"] if r["code"] == "status:answered")
            == payload["headline"]["answered"]
        ), "segments disagree with the headline"

        # Interleaved rounds, so the three see the same load on a shared machine.
        samples: dict[str, list[float]] = {"healthz": [], "plain": [], "by_city": []}
        for _ in range(20):
            samples["healthz"].append(timed(lambda: client.get("/healthz/"), repeat=1))
            samples["plain"].append(timed(lambda: get(base), repeat=1))
            samples["by_city"].append(timed(lambda: get(base, by="city"), repeat=1))
        healthz, plain, by_city = (statistics.median(samples[k]) for k in ("healthz", "plain", "by_city"))
        print(f"read: /healthz/ (baseline)      {healthz:8.1f} ms")
        print(f"read: dashboard JSON            {plain:8.1f} ms  ({plain / healthz:.1f}× baseline)")
        print(f"read: dashboard JSON by city    {by_city:8.1f} ms  ({by_city / healthz:.1f}× baseline, "
              f"{by_city / plain:.2f}× without breakdown)")  # fmt: skip
        if args.calls >= 1_000_000 and by_city >= args.limit_ms:
            print(f"FAIL: the cross-tab read takes {by_city:.1f} ms at {args.calls:,} calls (limit {args.limit_ms} ms)")
            failed = True

        started = time.perf_counter()
        followup = create_followup(
            campaign, "bench 未接", parse_all(["status:no_answer"]), background=False, actor=OPERATOR
        )
        seconds = time.perf_counter() - started
        campaign_ids.append(followup.pk)
        list_ids += list(followup.contact_lists.values_list("pk", flat=True))
        copied = followup.followup_build.copied
        expected = args.calls // 10
        print(f"follow-up of 'no answer': {copied:,} contacts in {seconds:.2f} s ({copied / seconds:,.0f}/s)")
        if abs(copied - expected) > 1:
            print(f"FAIL: copied {copied} contacts, expected about {expected}")
            failed = True
    except (AssertionError, Exception) as exc:  # a bench step failed: say which, exit non-zero
        print(f"FAIL: {type(exc).__name__}: {exc}")
        failed = True
    finally:
        if campaign_ids:
            cleanup(campaign_ids, list_ids)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
