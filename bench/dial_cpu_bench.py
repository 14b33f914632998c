"""CPU one dial job spends per 1,000 calls (issue 15): the work each call costs us, with no
rate limit in the way, so it can be compared across changes and machines.

    .venv/bin/python bench/dial_cpu_bench.py [--calls 2000] [--threads 4] [--database ivrsite_dialcpu]

1. Drops and recreates a dedicated PostgreSQL database and migrates it; starts the voice
   simulator in its own process (no QPS or concurrency limit, calls ending at once, no receipts).
2. Baseline: the same number of signed IvrCall requests from one plain loop (no database).
3. Creates a campaign of N contacts and runs `campaigns.dialling.dispatch.dial_campaign` in this process
   (VOICE_QPS very high, so pacing never waits), logging at INFO to a file as a worker does.
4. Prints the CPU seconds of this process per 1,000 calls for both and their ratio; exits 1
   if not every call was placed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dispatch_bench import CALLER, OPTIONS, create_campaign, phone, recreate_database  # noqa: E402
from tests.actors import OPERATOR  # noqa: E402
from tests.stack import free_port, wait_for_port  # noqa: E402

KEY_ID, KEY_SECRET = "cpu-bench-key", "cpu-bench-secret-" + "x" * 8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="ivrsite_dialcpu")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    url = recreate_database(args.pg, args.database)
    port = free_port()
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=args.redis,
        DJANGO_DEBUG="1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        VOICE_QPS="1000000",
        ALIYUN_ACCESS_KEY_ID=KEY_ID,
        ALIYUN_ACCESS_KEY_SECRET=KEY_SECRET,
        ALIYUN_VOICE_ENDPOINT=f"http://127.0.0.1:{port}/",
        DJANGO_SETTINGS_MODULE="ivrsite.settings",
    )
    os.environ.pop("TEST_DATABASE_NAME", None)
    import django

    django.setup()
    import logging

    import redis

    from campaigns.actions import campaigns as actions
    from campaigns.dialling import dispatch
    from campaigns.dialling.aliyun import IvrCallRequest, MenuKey, Outcome, VoiceClient

    log_file = Path(tempfile.gettempdir()) / "ivrsite-dial-cpu-bench.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)
    redis.Redis.from_url(args.redis).flushdb()

    argv = [sys.executable, "manage.py", "voice_simulator", "--port", str(port), "--qps", "1000000"]
    argv += ["--max-concurrent", "1000000", "--call-duration-scale", "0", "--seed", "1"]
    simulator = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        client = VoiceClient(KEY_ID, KEY_SECRET, f"http://127.0.0.1:{port}/")
        started = time.process_time()
        placed = 0
        for i in range(args.calls):
            request = IvrCallRequest(
                called_show_number=CALLER,
                called_number=phone(i),
                start_code="TTS_START_1",
                out_id=f"b{i}-cpu",
                start_tts_params='{"name":"王伟","product":"宽带"}',
                play_times=2,
                timeout_ms=5000,
                bye_code="TTS_BYE_1",
                bye_tts_params='{"name":"王伟"}',
                menu_keys=tuple(MenuKey(key, code, '{"product":"宽带"}') for key, _label, code in OPTIONS),
            )
            placed += client.ivr_call(request).outcome == Outcome.PLACED
        baseline = time.process_time() - started

        campaign = create_campaign(args.calls)
        actions.do_start_campaign(campaign, actor=OPERATOR)
        started, wall = time.process_time(), time.monotonic()
        report = dispatch.dial_campaign(campaign.pk, max_seconds=600, threads=args.threads)
        dialling, wall = time.process_time() - started, time.monotonic() - wall
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)

    per_call = 1000 * dialling / max(1, report["sent"])
    per_request = 1000 * baseline / args.calls
    print(f"{args.calls:,} calls, {args.threads} threads, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    sent, done = report["sent"], report["placed"]
    print(f"dial job: {sent:,} sent, {done:,} placed in {wall:.1f} s; CPU {per_call:.2f} s per 1,000")
    print(f"baseline (signed requests, one loop, no database): CPU {per_request:.2f} s per 1,000 ({placed:,} placed)")
    print(f"dial job / baseline = {per_call / per_request:.2f}")
    return 0 if report["placed"] == args.calls and placed == args.calls else 1


if __name__ == "__main__":
    sys.exit(main())
