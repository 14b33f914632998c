"""Soak benchmark (issue 27): one long campaign through the Procfile as shipped, minute by minute.

    .venv/bin/python bench/soak_bench.py [--contacts 60000] [--callers 16] [--qps 100] [--interval 60]
        [--pg postgres://postgres@127.0.0.1:5432] [--database soak_bench] [--json]

Reuses `bench/dispatch_bench.py`'s machinery (database, campaign, the stack of web, one
worker entry and the dispatcher from the Procfile against the bundled simulator): a
campaign of --contacts contacts over --callers caller numbers of one account of --qps.
While it runs, a sampler reads every second, from PostgreSQL, `campaigns_call`'s dead
tuples, the sessions waiting for a lock (`pg_locks`) and the database's deadlocks
(`pg_stat_database`), and from /proc the memory of the workers and of web. Afterwards it prints:

- the calls sent per --interval (60 s; 10 s below 20,000 contacts) as calls/s and as a share of
  the limit, with claims/s, settles/s, dead tuples and the load average of each interval;
- the slowest full interval, deadlocks, lock waits, worker and web memory at start and end;
- the PostgreSQL settings that matter (autovacuum, and the table's reloptions).

Floors (the exit status is 1 when one is missed): every contact dialled exactly once, 0
throttled, 0 deadlocks, memory grown by at most --max-memory-growth-mb per role, and, when
the campaign is long enough for three full intervals at the limit, every full interval at
>= --floor (95 %) of the limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dispatch_bench as machinery  # noqa: E402
import webhook_lag  # noqa: E402

from tests.actors import OPERATOR  # noqa: E402
from tests.stack import Stack  # noqa: E402

MIN_JUDGED_INTERVALS = 3
PG_SETTINGS = (
    "autovacuum",
    "autovacuum_naptime",
    "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_cost_limit",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_threshold",
    "track_counts",
    "shared_buffers",
    "deadlock_timeout",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=60_000, help="Contacts in the campaign (default 60000).")
    parser.add_argument("--callers", type=int, default=16, help="Caller numbers of the account (default 16).")
    parser.add_argument("--qps", type=int, default=100, help="The account's QPS and the simulator's limit.")
    parser.add_argument("--interval", type=int, default=None, help="Seconds per line (60; 10 below 20,000).")
    parser.add_argument("--floor", type=float, default=0.95, help="Share of the limit each full interval must reach.")
    parser.add_argument("--max-memory-growth-mb", type=float, default=150.0, help="Per role, start to end.")
    parser.add_argument("--call-duration-scale", type=float, default=0.02, help="Simulated call length factor.")
    parser.add_argument(
        "--job-seconds", type=int, default=None, help="DIAL_JOB_SECONDS for the stack (default: as shipped)."
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="Subscribe a local receiver to call.settled; print each event's lag from its receipt's 200.",
    )
    parser.add_argument("--max-webhook-lag", type=float, default=2.0, help="Floor for the lag's p99, in seconds.")
    parser.add_argument("--database", default="soak_bench", help="Database dropped and recreated each run.")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL.")
    parser.add_argument(
        "--log-slow-ms",
        type=int,
        default=None,
        help="Profile: PostgreSQL logs this database's statements slower than this, and its lock waits.",
    )
    parser.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()) / "ivrsite-soak-bench")
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")
    args = parser.parse_args()
    args.interval = args.interval or (60 if args.contacts >= 20_000 else 10)
    return args


# --- what the sampler reads every second -------------------------------------------------


def pss_mb(stack: Stack) -> dict[str, float]:
    """Proportional set size of the workers (pool, its workers and their work horses), of the
    webhooks worker and of web,
    in MB: pages a fork shares with its parent are counted once, not once per process."""
    table = machinery.process_table()
    totals: dict[str, float] = {}
    for name, process in stack.processes.items():
        role = "worker" if name.startswith("worker") else name
        if role not in ("worker", "web", "webhooks"):
            continue
        for pid in machinery.descendants(process.pid, table):
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            kb = next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)
            totals[role] = totals.get(role, 0.0) + kb / 1024
    return {role: round(mb, 1) for role, mb in totals.items()}


class Sampler(threading.Thread):
    """Once a second: dead tuples of campaigns_call, lock waiters, deadlocks, memory."""

    def __init__(self, database_url: str, stack: Stack):
        super().__init__(daemon=True)
        self.database_url, self.stack = database_url, stack
        self.samples: list[dict] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stopping.is_set():
                (dead, vacuums), (deadlocks,), (waiting,) = (
                    conn.execute(
                        "SELECT n_dead_tup, vacuum_count + autovacuum_count FROM pg_stat_user_tables"
                        " WHERE relname = 'campaigns_call'"
                    ).fetchone()
                    or (0, 0),
                    conn.execute(
                        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
                    ).fetchone(),
                    conn.execute(
                        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                        " WHERE NOT l.granted AND d.datname = current_database()"
                    ).fetchone(),
                )
                self.samples.append(
                    {
                        "t": time.time(),
                        "dead": dead,
                        "vacuums": vacuums,
                        "deadlocks": deadlocks,
                        "lock_waiters": waiting,
                        "rss": pss_mb(self.stack),
                        "load": os.getloadavg()[0],
                    }
                )
                self.stopping.wait(1.0)


def log_slow_statements(database_url: str, milliseconds: int) -> None:
    """Have the server log this database's slow statements and lock waits (in its own log)."""
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url, autocommit=True) as conn:
        for setting, value in (("log_min_duration_statement", str(milliseconds)), ("log_lock_waits", "on")):
            statement = sql.SQL("ALTER DATABASE {} SET {} = {}")
            conn.execute(statement.format(sql.Identifier(name), sql.Identifier(setting), sql.Literal(value)))


def pg_settings(database_url: str) -> dict:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", [list(PG_SETTINGS)]
            ).fetchall()
        )
        (options,) = conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'campaigns_call'").fetchone()
    return {"server": settings, "campaigns_call_reloptions": options or []}


# --- minute by minute ----------------------------------------------------------------------


def per_interval(
    sent: list[dt.datetime],
    claimed: list[dt.datetime],
    settled: list[dt.datetime],
    samples: list[dict],
    interval: int,
    limit: int,
) -> list[dict]:
    """Calls sent, claimed and settled per interval from the first send; the last interval may be partial."""
    if not sent:
        return []
    origin, end = sent[0], sent[-1]
    count = int((end - origin).total_seconds() // interval) + 1

    def histogram(times: list[dt.datetime]) -> list[int]:
        bins = [0] * count
        for t in times:
            index = int((t - origin).total_seconds() // interval)
            if 0 <= index < count:
                bins[index] += 1
        return bins

    sends, claims, settles = histogram(sent), histogram(claimed), histogram(settled)
    rows = []
    for i in range(count):
        start = origin + dt.timedelta(seconds=i * interval)
        seconds = min(interval, (end - start).total_seconds()) or 1.0
        window = [s for s in samples if start.timestamp() <= s["t"] < start.timestamp() + interval]
        rows.append(
            {
                "from_s": i * interval,
                "full": (end - start).total_seconds() >= interval,
                "calls_per_second": round(sends[i] / seconds, 1),
                "share_of_limit": round(sends[i] / seconds / limit, 3),
                "claims_per_second": round(claims[i] / seconds, 1),
                "settles_per_second": round(settles[i] / seconds, 1),
                "dead_tuples": window[-1]["dead"] if window else None,
                "max_lock_waiters": max((s["lock_waiters"] for s in window), default=None),
                "load": round(window[-1]["load"], 2) if window else None,
            }
        )
    return rows


def run(args: argparse.Namespace) -> dict:
    args.log_dir.mkdir(parents=True, exist_ok=True)
    machinery.note(f"recreating database {args.database} and migrating")
    database_url = machinery.recreate_database(args.pg, args.database)
    if args.log_slow_ms is not None:
        log_slow_statements(database_url, args.log_slow_ms)
    stack = Stack(
        database_url,
        workers=1,
        simulator_args=("--qps", str(args.qps), "--call-duration-scale", str(args.call_duration_scale)),
        env={"VOICE_QPS": str(args.qps)} | ({"DIAL_JOB_SECONDS": str(args.job_seconds)} if args.job_seconds else {}),
        log_dir=args.log_dir,
        procfile=True,
    )
    for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "DJANGO_SECURE_SSL_REDIRECT", "VOICE_QPS"):
        os.environ[key] = stack.env[key]
    for key in ("ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_VOICE_ENDPOINT", "RECEIPT_TOKEN"):
        os.environ[key] = stack.env[key]
    os.environ["DJANGO_SETTINGS_MODULE"] = "ivrsite.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("TEST_DATABASE_NAME", None)
    import django

    django.setup()
    from campaigns.actions import campaigns as actions
    from campaigns.models import Call, CallerNumber

    machinery.note(f"creating {args.contacts:,} contacts and {args.callers} caller numbers")
    campaign = machinery.create_campaign(args.contacts)
    for i in range(1, args.callers):
        campaign.caller_numbers.add(CallerNumber.objects.create(number=f"0571777{i:05d}", max_concurrent_calls=5000))
    settings_before = pg_settings(database_url)
    receiver = None
    if args.webhook:
        receiver = webhook_lag.Receiver(args.log_dir).start()
        webhook_lag.subscribe(database_url, receiver.url)

    machinery.note(f"starting the stack as the Procfile ships it (logs in {args.log_dir})")
    timeout = 3.0 * args.contacts / args.qps + 180
    with machinery.stack_running(stack):
        time.sleep(2)  # workers and the dispatcher finish importing Django
        sampler = Sampler(database_url, stack)
        sampler.start()
        time.sleep(1.5)
        started, cpu_before = time.monotonic(), machinery.cpu_by_role(stack)
        enrolled = actions.do_start_campaign(campaign, actor=OPERATOR)
        machinery.note(f"campaign started: {enrolled:,} calls enrolled")
        done, finished = machinery.wait_for_campaign(campaign, enrolled, timeout)
        time.sleep(2)  # the last receipts settle
        if receiver:
            settled = campaign.calls.filter(status__in=Call.FINAL, sent_at__isnull=False).count()
            webhook_lag.wait_for_deliveries(settled, timeout=60)
        sampler.stopping.set()
        sampler.join(timeout=10)
        stats, cpu_after = stack.simulator_stats(), machinery.cpu_by_role(stack)

    webhooks = None
    if receiver:
        receiver.stop()
        webhooks = webhook_lag.measure(database_url, receiver, campaign)
    calls = campaign.calls.filter(sent_at__isnull=False)
    sent = sorted(calls.values_list("sent_at", flat=True))
    claimed = sorted(t for t in calls.values_list("claimed_at", flat=True) if t)
    settled = sorted(t for t in calls.values_list("settled_at", flat=True) if t)
    samples = sampler.samples
    intervals = per_interval(sent, claimed, settled, samples, args.interval, args.qps)
    full = [row for row in intervals if row["full"]]
    slowest = min(full, key=lambda row: row["calls_per_second"], default=None)
    # Judged when the campaign is long enough for that many full intervals even at the full rate
    # (a smoke run's few hundred calls check correctness, not the rate).
    judged = len(full) >= MIN_JUDGED_INTERVALS and args.contacts >= MIN_JUDGED_INTERVALS * args.interval * args.qps
    memory_start, memory_end = (samples[0]["rss"], samples[-1]["rss"]) if samples else ({}, {})
    growth = {role: round(memory_end.get(role, 0) - memory_start.get(role, 0), 1) for role in memory_start}
    deadlocks = samples[-1]["deadlocks"] - samples[0]["deadlocks"] if samples else None
    counts = machinery.status_counts(campaign)
    duplicates = stats["numbers_dialled_more_than_once"] + stats["duplicate_out_ids"]
    floors = {
        "finished in time": done,
        "every contact dialled once": len(sent) == enrolled and duplicates == 0,
        "0 throttled": stats["throttled"] == 0,
        "0 deadlocks": deadlocks == 0,
        "memory flat": all(g <= args.max_memory_growth_mb for g in growth.values()),
        f"every full interval >= {args.floor:.0%} of the limit": (
            not judged or all(row["share_of_limit"] >= args.floor for row in full)
        ),
    }
    if webhooks is not None:
        floors["every settled call's event received, one webhook-id each"] = (
            webhooks["calls_without_event"] == 0 and webhooks["calls_with_two_ids"] == 0
        )
        floors[f"webhook lag p99 < {args.max_webhook_lag} s"] = webhooks.get("lag_p99_s", 1e9) < args.max_webhook_lag
    return {
        "contacts": args.contacts,
        "callers": args.callers,
        "qps_limit": args.qps,
        "interval_s": args.interval,
        "total_seconds": round(finished - started, 1),
        "sent": len(sent),
        "mean_calls_per_second": round(len(sent) / (sent[-1] - sent[0]).total_seconds(), 1) if len(sent) > 1 else None,
        "intervals": intervals,
        "slowest_full_interval": slowest,
        "rate_judged": judged,
        "throttled": stats["throttled"],
        "duplicate_dials": duplicates,
        "statuses": counts,
        "deadlocks": deadlocks,
        "lock_waiter_samples": sum(1 for s in samples if s["lock_waiters"]),
        "max_lock_waiters": max((s["lock_waiters"] for s in samples), default=0),
        "samples": len(samples),
        "dead_tuples_end": samples[-1]["dead"] if samples else None,
        "vacuums_of_campaigns_call": samples[-1]["vacuums"] - samples[0]["vacuums"] if samples else None,
        "cpu_seconds_per_1000_calls": {
            role: round(1000 * (cpu_after[role] - cpu_before.get(role, 0.0)) / max(len(sent), 1), 2)
            for role in ("web", "worker", "dispatcher", "simulator")
            if role in cpu_after
        },
        "memory_mb_start": memory_start,
        "memory_mb_end": memory_end,
        "memory_growth_mb": growth,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "postgresql": settings_before,
        "webhooks": webhooks,
        "floors": floors,
        "floors_met": all(floors.values()),
    }


def report(result: dict) -> None:
    lines = [
        f"soak: {result['contacts']:,} contacts, {result['callers']} caller numbers, one account of "
        f"{result['qps_limit']}/s, the Procfile as shipped; {result['sent']:,} sent in {result['total_seconds']} s "
        f"(mean {result['mean_calls_per_second']}/s from first to last send)",
        f"{'from':>6} {'calls/s':>8} {'share':>6} {'claims/s':>9} {'settles/s':>10} {'dead tuples':>12} "
        f"{'lock waiters':>13} {'load':>5}",
    ]
    for row in result["intervals"]:
        lines.append(
            f"{row['from_s']:>5}s {row['calls_per_second']:>8} {100 * row['share_of_limit']:>5.1f}% "
            f"{row['claims_per_second']:>9} {row['settles_per_second']:>10} {row['dead_tuples'] or 0:>12,} "
            f"{row['max_lock_waiters'] or 0:>13} {row['load'] or 0:>5}" + ("" if row["full"] else "  (partial)")
        )
    slowest = result["slowest_full_interval"]
    pg = result["postgresql"]
    lines += [
        f"slowest full interval: {slowest['calls_per_second'] if slowest else '-'}/s "
        f"({100 * slowest['share_of_limit']:.1f}% of the limit, from {slowest['from_s']} s)"
        if slowest
        else "slowest full interval: - (none full)",
        f"throttled {result['throttled']}, duplicate dials {result['duplicate_dials']}, statuses {result['statuses']}",
        f"deadlocks {result['deadlocks']}; lock waiters seen in {result['lock_waiter_samples']} of "
        f"{result['samples']} one-second samples (at most {result['max_lock_waiters']} at once)",
        f"campaigns_call: {result['dead_tuples_end']:,} dead tuples at the end, "
        f"{result['vacuums_of_campaigns_call']} vacuums during the run",
        f"memory (PSS) MB at start {result['memory_mb_start']}, at end {result['memory_mb_end']}",
        f"CPU seconds per 1,000 calls: {result['cpu_seconds_per_1000_calls']}",
        f"PostgreSQL: {pg['server']}; campaigns_call reloptions {pg['campaigns_call_reloptions']}",
        f"load average at the end {result['load_average_end']}",
    ]
    if result["webhooks"]:
        hooks = result["webhooks"]
        lines.append(
            f"webhooks: {hooks['webhook_ids']:,} call.settled events for {hooks['settled_calls']:,} settled calls "
            f"({hooks['calls_without_event']} without one, {hooks['calls_with_two_ids']} with two ids, "
            f"{hooks['repeated_posts_same_id']} repeated POSTs of one id); lag from the receipt's 200 to the "
            f"receiver: p50 {hooks.get('lag_p50_s')} s, p90 {hooks.get('lag_p90_s')} s, "
            f"p99 {hooks.get('lag_p99_s')} s, "
            f"max {hooks.get('lag_max_s')} s over {hooks['lags_measured']:,}"
        )
    missed = [name for name, met in result["floors"].items() if not met]
    lines.append("floors: " + ("met" if not missed else "MISSED: " + ", ".join(missed)))
    if not result["rate_judged"]:
        lines.append(f"(rate not judged: a campaign shorter than {MIN_JUDGED_INTERVALS} full intervals at the limit)")
    print("\n".join(lines))


def main() -> int:
    args = parse_args()

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        result = run(args)
    except KeyboardInterrupt:
        machinery.note("interrupted; everything started was stopped")
        return 130
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        report(result)
    return 0 if result["floors_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
