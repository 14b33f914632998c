"""Callee frequency guard benchmark: what `campaigns.dialling.guard.screen` costs per claimed batch.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python bench/guard_bench.py [--batches 500] [--batch-size 20] [--json]

Uses the Redis at REDIS_URL (its guard keys are deleted first and after) and the database
at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ivr_guard_bench; created and
migrated if need be, only read: the cold path looks up recent calls of the numbers, so a
database that dialled 199… numbers lately is the wrong one).
Prints, per batch of calls to fresh numbers, the median and p95 time of
1. a Redis PING (the baseline: one round trip),
2. `screen` with the guard's state warm (one Lua script),
3. `screen` right after Redis lost its state (script, database query, seeding, script),
and the share of a 100 calls/s budget (5 batches a second) the warm path takes.
Exits non-zero if a batch of fresh numbers is not allowed whole.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivrsite.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

from bench.benchdb import ensure_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ivr_guard_bench")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from campaigns.dialling import guard, pacing
    from campaigns.models import Call

    redis = pacing.redis_connection(settings.REDIS_URL)

    def clear() -> None:
        for key in redis.scan_iter(guard.KEY_PREFIX + "*", count=1000):
            redis.delete(key)
        redis.delete(guard.SINCE_KEY)

    def batch(n: int) -> list[Call]:
        first = n * args.batch_size
        return [Call(pk=first + i + 1, phone=f"199{first + i:08d}") for i in range(args.batch_size)]

    def timed(function) -> list[float]:
        times = []
        for n in range(args.batches):
            started = time.perf_counter()
            function(n)
            times.append(time.perf_counter() - started)
        return times

    failures = 0

    def screen(n: int) -> None:
        nonlocal failures
        if guard.screen(batch(n)):
            failures += 1

    clear()
    ping = timed(lambda n: redis.ping())
    cold = timed(screen)  # a fresh marker: every number is checked against the database
    clear()
    redis.set(guard.SINCE_KEY, 1)  # a marker from long ago (1 ms after 1970): Redis vouches for every number
    warm = timed(lambda n: screen(n + args.batches))
    clear()

    def summary(times: list[float]) -> dict:
        ordered = sorted(times)
        return {
            "median_ms": round(statistics.median(ordered) * 1000, 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        }

    result = {
        "batches": args.batches,
        "batch_size": args.batch_size,
        "ping": summary(ping),
        "screen_warm": summary(warm),
        "screen_cold": summary(cold),
        "warm_vs_ping": round(statistics.median(warm) / statistics.median(ping), 2),
        "warm_share_of_a_second_at_100_calls_per_s": round(statistics.median(warm) * 100 / args.batch_size, 4),
        "batches_not_allowed_whole": failures,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.batches} batches of {args.batch_size} calls to fresh numbers")
        for name in ("ping", "screen_warm", "screen_cold"):
            print(f"  {name:12} median {result[name]['median_ms']:8.3f} ms   p95 {result[name]['p95_ms']:8.3f} ms")
        print(f"  warm screen = {result['warm_vs_ping']}x one Redis round trip")
        share = result["warm_share_of_a_second_at_100_calls_per_s"] * 100
        print(f"  at 100 calls/s the warm guard takes {share:.2f} % of one second")
        print(f"  batches not allowed whole: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
