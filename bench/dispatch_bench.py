"""Dispatch benchmark (issue 5): one campaign of N contacts dialled through the whole stack.

    .venv/bin/python bench/dispatch_bench.py [--contacts 20000] [--workers 2] [--qps 100] [--json]
        [--procfile]      # web, worker (x --workers, default 1) and dispatcher from the Procfile as shipped
        [--accounts 2]    # two Aliyun accounts of --qps each (key pairs, numbers): limit = 2 x --qps

1. Drops and recreates a dedicated PostgreSQL database (`ivrsite_bench` on
   postgres://postgres@127.0.0.1:5432 by default) and migrates it.
2. Baseline: starts a bare simulator (no QPS or concurrency limit, calls ending at once,
   no receipts) and sends the same number of signed IvrCall requests from one plain loop
   with `campaigns.dialling.aliyun.VoiceClient`, no database: the raw ceiling of one process.
3. Creates N contacts (Chinese names, one TTS variable), a 3-option menu, one caller
   number (5,000 concurrent calls) and a campaign (1 attempt, all day, the account's rate).
4. Starts the app as `make run` does (tests.stack.Stack: its own Redis, gunicorn, W
   rqworkers, the dispatcher, the simulator at --qps with short calls), starts the
   campaign with `campaigns.actions.campaigns.do_start_campaign` and waits until every call was sent
   and the dispatcher is idle.
5. Prints total time, calls/s over the steady part (sent_at between the 5th and 95th
   percentile) and its ratio to the limit and to the baseline, the simulator's throttled
   count, duplicate dials, unknown calls, peak requests/s, and CPU seconds of our
   processes (web, workers with their work horses, dispatcher) read from /proc.

Targets: >= 95 % of the limit, 0 throttled, 0 duplicates. Stops everything on exit,
Ctrl-C included. Process logs go to --log-dir (default /tmp/ivrsite-dispatch-bench).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.actors import OPERATOR  # noqa: E402
from tests.stack import KEY_ID, KEY_SECRET, Stack, free_port, wait_for_port  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彩春菊凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉"  # noqa: E501
PRODUCTS = ["宽带", "电视", "手机套餐", "家庭融合", "云盘会员"]
PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "188", "199"]
CALLER = "057188880001"
START_TTS = '{"name": "${name}", "product": "${product}"}'
OPTIONS = [("1", "满意", "TTS_OPT_1"), ("2", "一般", "TTS_OPT_2"), ("3", "不满意", "TTS_OPT_3")]
CLK_TCK = os.sysconf("SC_CLK_TCK")
MIN_STEADY_SECONDS = 10  # a smoke run (a few hundred contacts) checks correctness, not the rate


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=20_000, help="Contacts in the campaign (default 20000).")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default 2; 1 with --procfile).")
    parser.add_argument(
        "--procfile",
        action="store_true",
        help="Run web, worker and dispatcher from the Procfile's own command lines and default settings.",
    )
    parser.add_argument(
        "--qps", type=int, default=100, help="Each account's QPS budget and the simulator's limit (default 100)."
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=1,
        help="Aliyun accounts, each with its own key pair, --qps budget and caller number (default 1: the "
        "environment's); the campaign uses all their numbers, so its limit is accounts x qps.",
    )
    parser.add_argument(
        "--local-presence",
        choices=["off", "first", "only"],
        default="off",
        help="The campaign's local presence; first/only add caller numbers in eight cities to the default account.",
    )
    parser.add_argument("--call-duration-scale", type=float, default=0.02, help="Simulated call length factor.")
    parser.add_argument(
        "--baseline-requests", type=int, default=None, help="Requests of the no-DB baseline (default: --contacts)."
    )
    parser.add_argument("--database", default="ivrsite_bench", help="Database dropped and recreated each run.")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL.")
    parser.add_argument("--timeout", type=float, default=None, help="Seconds to wait for the campaign.")
    parser.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()) / "ivrsite-dispatch-bench")
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")
    parser.add_argument(
        "--floor",
        type=float,
        default=None,
        help="Fail unless the steady rate reaches this share of the limit over a steady part long enough to "
        f"measure (>= {MIN_STEADY_SECONDS} s). Default: the 0.95 target, judged only when long enough.",
    )
    return parser.parse_args()


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- database ------------------------------------------------------------------------


def recreate_database(server: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{server}/{name}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1"}
    env.pop("TEST_DATABASE_NAME", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    return url


def phone(i: int) -> str:
    local = (i // len(PREFIXES) * 7_919_317) % 100_000_000  # a permutation: unique, unordered
    return f"{PREFIXES[i % len(PREFIXES)]}{local:08d}"


def account_keys(n: int) -> list[tuple[str, str]]:
    """Key pairs of the accounts after the first (the environment's)."""
    return [(f"bench-key-{i}", f"bench-secret-{i}-{'x' * 8}") for i in range(2, n + 1)]


# Landline caller numbers in eight cities (local presence): Beijing, Shanghai, Guangzhou, Nanjing,
# Hangzhou, Chengdu, Wuhan, Xi'an.
LOCAL_CALLERS = ["01088880001", "02188880001", "02088880001", "02588880001", "057188880002", "02888880001"]
LOCAL_CALLERS += ["02788880001", "02988880001"]


def create_campaign(n: int, accounts: int = 1, qps: int = 100, endpoint: str = "", local_presence: str = "off") -> Any:
    import random

    from campaigns.accounts import VoiceAccount
    from campaigns.models import CallerNumber, Campaign, Contact, ContactList, MenuOption, MenuTemplate

    rng = random.Random(5)
    contact_list = ContactList.objects.create(name="dispatch bench")
    Contact.objects.bulk_create(
        (
            Contact(
                contact_list=contact_list,
                phone=phone(i),
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else ""),
                variables={"product": rng.choice(PRODUCTS)},
            )
            for i in range(n)
        ),
        batch_size=5000,
    )
    menu = MenuTemplate.objects.create(
        name="dispatch bench menu",
        start_code="TTS_START_1",
        start_tts_params=START_TTS,
        play_times=2,
        timeout_ms=5000,
        bye_code="TTS_BYE_1",
        bye_tts_params='{"name": "${name}"}',
    )
    for position, (key, label, code) in enumerate(OPTIONS):
        MenuOption.objects.create(
            template=menu, key=key, label=label, code=code, tts_params='{"product": "${product}"}', position=position
        )
    campaign = Campaign.objects.create(
        name="dispatch bench", menu=menu, max_attempts=1, daily_start="00:00", daily_end="00:00"
    )
    campaign.contact_lists.add(contact_list)
    campaign.caller_numbers.add(CallerNumber.objects.create(number=CALLER, max_concurrent_calls=5000))
    if local_presence != "off":
        campaign.local_presence = local_presence
        campaign.save(update_fields=["local_presence"])
        for number in LOCAL_CALLERS:
            campaign.caller_numbers.add(CallerNumber.objects.create(number=number, max_concurrent_calls=5000))
    for i, (key_id, secret) in enumerate(account_keys(accounts), start=2):
        account = VoiceAccount(name=f"bench account {i}", access_key_id=key_id, endpoint=endpoint, qps=qps)
        account.set_secret(secret)
        account.save()
        number = CallerNumber.objects.create(number=f"05718888{i:04d}", max_concurrent_calls=5000, account=account)
        campaign.caller_numbers.add(number)
    return campaign


# --- baseline: signed IvrCall requests from one loop, no database, no pacing ------------------


def baseline(n: int, log_dir: Path) -> dict:
    from campaigns.dialling.aliyun import IvrCallRequest, MenuKey, Outcome, VoiceClient

    if n <= 0:
        return {"requests": 0}
    port = free_port()
    env = {**os.environ, "ALIYUN_ACCESS_KEY_ID": KEY_ID, "ALIYUN_ACCESS_KEY_SECRET": KEY_SECRET, "LOG_LEVEL": "WARNING"}
    argv = [sys.executable, "manage.py", "voice_simulator", "--port", str(port), "--qps", "1000000"]
    argv += ["--max-concurrent", "1000000", "--call-duration-scale", "0", "--seed", "1"]
    with (log_dir / "baseline-simulator.log").open("ab") as log:
        simulator = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        client = VoiceClient(KEY_ID, KEY_SECRET, f"http://127.0.0.1:{port}/")
        placed = 0
        started = time.monotonic()
        for i in range(n):
            name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
            product = PRODUCTS[i % len(PRODUCTS)]
            request = IvrCallRequest(
                called_show_number=CALLER,
                called_number=phone(i),
                start_code="TTS_START_1",
                out_id=f"b{i}-bench",
                start_tts_params=json.dumps({"name": name, "product": product}, ensure_ascii=False),
                play_times=2,
                timeout_ms=5000,
                bye_code="TTS_BYE_1",
                bye_tts_params=json.dumps({"name": name}, ensure_ascii=False),
                menu_keys=tuple(
                    MenuKey(key, code, json.dumps({"product": product}, ensure_ascii=False))
                    for key, _label, code in OPTIONS
                ),
            )
            placed += client.ivr_call(request).outcome == Outcome.PLACED
        seconds = time.monotonic() - started
    finally:
        simulator.terminate()
        try:
            simulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            simulator.kill()
            simulator.wait()
    return {"requests": n, "placed": placed, "seconds": round(seconds, 2), "requests_per_second": round(n / seconds, 1)}


# --- CPU from /proc ------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(ppid, utime + stime + cutime + cstime in seconds) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "; fields[0] is the state
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / CLK_TCK


def process_table() -> dict[int, tuple[int, float]]:
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            table[int(entry.name)] = stat
    return table


def descendants(root: int, table: dict[int, tuple[int, float]]) -> list[int]:
    """root and every live process under it. RQ's work horses call setpgrp(), so walk parents, not groups."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            found.append(pid)
            todo.extend(children.get(pid, []))
    return found


def cpu_by_role(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each stack process with its live descendants (reaped ones are in cutime)."""
    table = process_table()
    totals: dict[str, float] = {}
    for name, process in stack.processes.items():
        role = "worker" if name.startswith("worker") else name
        totals[role] = totals.get(role, 0.0) + sum(table[pid][1] for pid in descendants(process.pid, table))
    return totals


def machine_busy_seconds() -> float:
    """Non-idle CPU seconds of the whole machine (every process, every user) since boot."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


# --- the run ---------------------------------------------------------------------------


def dial_queue_idle() -> bool:
    import django_rq

    queue = django_rq.get_queue("dial")
    return queue.count == 0 and queue.started_job_registry.count == 0


def status_counts(campaign: Any) -> dict[str, int]:
    from django.db.models import Count

    rows = campaign.calls.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    return dict(rows)


def wait_for_campaign(campaign: Any, total: int, timeout: float) -> tuple[bool, float]:
    from campaigns.models import Call

    open_states = [Call.Status.QUEUED, Call.Status.CLAIMED, Call.Status.SENDING]
    started = time.monotonic()
    last_note = started
    while time.monotonic() - started < timeout:
        sent = campaign.calls.filter(sent_at__isnull=False).count()
        busy = campaign.calls.filter(status__in=open_states).exists()
        if sent >= total and not busy and dial_queue_idle():
            return True, time.monotonic()
        if time.monotonic() - last_note >= 10:
            note(f"sent {sent:,}/{total:,} after {time.monotonic() - started:.0f} s")
            last_note = time.monotonic()
        time.sleep(0.5)
    return False, time.monotonic()


def steady_rate(times: list[dt.datetime], qps: int) -> dict:
    """Calls/s between the 5th and 95th percentile of the send times, plus the per-second profile there."""
    if len(times) < 20:
        return {"calls_per_second": None}
    lo, hi = int(0.05 * (len(times) - 1)), int(0.95 * (len(times) - 1))
    span = (times[hi] - times[lo]).total_seconds()
    per_second: dict[int, int] = {}
    for t in times[lo:hi]:
        second = int((t - times[lo]).total_seconds())
        per_second[second] = per_second.get(second, 0) + 1
    full = [per_second.get(s, 0) for s in range(int(span))]  # whole seconds only
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return {
        "calls_per_second": round((hi - lo) / span, 2) if span > 0 else None,
        "seconds": round(span, 1),
        "slowest_second": min(full, default=None),
        "fastest_second": max(full, default=None),
        "seconds_below_95pct": sum(1 for c in full if c < 0.95 * qps),
        "longest_gap_s": round(max(gaps, default=0.0), 3),
        "gaps_over_100ms": sum(1 for g in gaps if g > 0.1),
    }


def run(args: argparse.Namespace) -> dict:
    args.log_dir.mkdir(parents=True, exist_ok=True)
    if args.workers is None:
        args.workers = 1 if args.procfile else 2
    timeout = args.timeout or max(180.0, 3.0 * args.contacts / args.qps + 120)
    note(f"recreating database {args.database} and migrating")
    database_url = recreate_database(args.pg, args.database)

    stack = Stack(
        database_url,
        workers=args.workers,
        simulator_args=(
            "--qps",
            str(args.qps),
            "--call-duration-scale",
            str(args.call_duration_scale),
            *[f"--account={key_id}:{secret}" for key_id, secret in account_keys(args.accounts)],
        ),
        env={"VOICE_QPS": str(args.qps)},
        log_dir=args.log_dir,
        procfile=args.procfile,
    )
    for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "DJANGO_SECURE_SSL_REDIRECT", "VOICE_QPS"):
        os.environ[key] = stack.env[key]
    for key in ("ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET", "ALIYUN_VOICE_ENDPOINT", "RECEIPT_TOKEN"):
        os.environ[key] = stack.env[key]
    os.environ["DJANGO_SETTINGS_MODULE"] = "ivrsite.settings"
    os.environ["LOG_LEVEL"] = "WARNING"  # this process only; the stack logs as `make run` does
    os.environ.pop("TEST_DATABASE_NAME", None)
    import django

    django.setup()
    from campaigns.actions import campaigns as actions
    from campaigns.models import Call

    baseline_n = args.contacts if args.baseline_requests is None else args.baseline_requests
    note(f"baseline: {baseline_n:,} signed IvrCall requests from one loop, no database")
    base = baseline(baseline_n, args.log_dir)

    note(f"creating {args.contacts:,} contacts, {args.accounts} account(s)")
    campaign = create_campaign(args.contacts, args.accounts, args.qps, stack.simulator_url + "/", args.local_presence)

    note(f"starting the stack: {args.workers} workers, simulator at {args.qps}/s (logs in {args.log_dir})")
    load_before = os.getloadavg()
    with stack_running(stack):
        time.sleep(2)  # let workers and the dispatcher finish importing Django before measuring
        cpu_before, machine_before = cpu_by_role(stack), machine_busy_seconds()
        started = time.monotonic()
        started_at = dt.datetime.now(dt.UTC)
        enrolled = actions.do_start_campaign(campaign, actor=OPERATOR)
        note(f"campaign started: {enrolled:,} calls enrolled")
        done, finished = wait_for_campaign(campaign, enrolled, timeout)
        cpu_after, machine_after = cpu_by_role(stack), machine_busy_seconds()
        stats = stack.simulator_stats()
    load_after = os.getloadavg()

    elapsed = finished - started
    times = list(campaign.calls.filter(sent_at__isnull=False).order_by("sent_at").values_list("sent_at", flat=True))
    limit = args.qps * args.accounts
    steady = steady_rate(times, limit)
    counts = status_counts(campaign)
    campaign.refresh_from_db()
    ours = {role: round(cpu_after[role] - cpu_before.get(role, 0.0), 1) for role in cpu_after}
    our_total = sum(v for role, v in ours.items() if role in ("web", "worker", "dispatcher"))
    rate = steady.get("calls_per_second")
    ceiling = base.get("requests_per_second")
    measured = (steady.get("seconds") or 0) >= MIN_STEADY_SECONDS
    floor = 0.95 if args.floor is None else args.floor
    return {
        "contacts": args.contacts,
        "workers": args.workers,
        "procfile": args.procfile,
        "accounts": args.accounts,
        "qps_per_account": args.qps,
        "qps_limit": limit,
        "completed_in_time": done,
        "total_seconds": round(elapsed, 1),
        "first_send_after_s": round((times[0] - started_at).total_seconds(), 2) if times else None,
        "sent": len(times),
        "steady": steady,
        "ratio_to_limit": round(rate / limit, 3) if rate else None,
        "baseline": base,
        "ratio_to_baseline": round(rate / ceiling, 3) if rate and ceiling else None,
        "throttled": stats["throttled"],
        "throttled_by_key": stats.get("throttled_by_key", {}),
        "requests_by_key": stats.get("requests_by_key", {}),
        "peak_requests_per_second_by_key": stats.get("peak_requests_per_second_by_key", {}),
        "duplicate_dials": stats["numbers_dialled_more_than_once"] + stats["duplicate_out_ids"],
        "numbers_dialled_more_than_once": stats["numbers_dialled_more_than_once"],
        "duplicate_out_ids": stats["duplicate_out_ids"],
        "unknown": counts.get(Call.Status.UNKNOWN, 0),
        "statuses": counts,
        "local": dict(Counter(campaign.calls.exclude(local="").values_list("local", flat=True))),
        "campaign_state": campaign.state,
        "simulator": {
            k: stats[k] for k in ("requests", "placed", "rejected", "peak_requests_per_second", "calls_in_progress")
        }
        | {"peak_concurrent_calls_per_caller": stats["peak_concurrent_calls_per_caller"]},
        "peak_requests_per_second": stats["peak_requests_per_second"],
        "cpu_seconds": {"web": ours.get("web"), "workers": ours.get("worker"), "dispatcher": ours.get("dispatcher")},
        "cpu_seconds_ours": round(our_total, 1),
        "cpu_seconds_per_1000_calls": round(1000 * our_total / len(times), 2) if times else None,
        "cpu_percent_of_one_core": round(100 * our_total / elapsed, 1) if elapsed else None,
        "cpu_seconds_other_stack": {"simulator": ours.get("simulator"), "redis": ours.get("redis")},
        "machine_busy_percent_of_all_cores": round(
            100 * (machine_after - machine_before) / elapsed / (os.cpu_count() or 1), 1
        ),
        "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        # Correctness always counts (every call sent once); pacing (rate, throttling) only over a
        # steady part long enough to mean something.
        "rate_measured": measured,
        "rate_floor": floor,
        "targets_met": bool(
            done
            and len(times) == enrolled
            and (measured or args.floor is None)
            and (not measured or (rate and rate >= floor * limit and stats["throttled"] == 0))
            and stats["duplicate_out_ids"] == 0
            and stats["numbers_dialled_more_than_once"] == 0
        ),
    }


@contextlib.contextmanager
def stack_running(stack: Stack) -> Iterator[Stack]:
    """Start the stack; on the way out stop it, then SIGKILL whatever it started that still lives
    (work horses run in their own process group, so Stack.stop's killpg does not reach them)."""
    started: dict[str, int] = {}
    try:
        stack.start()
        started = {name: p.pid for name, p in stack.processes.items()}
        yield stack
    finally:
        table = process_table()
        roots = {*started.values(), *(p.pid for p in stack.processes.values())}
        pids = {pid for root in roots for pid in descendants(root, table)}
        try:
            stack.stop()
        except Exception as exc:  # a worker slow to shut down: fall through to SIGKILL
            note(f"stack.stop: {exc!r}")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                if _stat(pid) is not None:
                    os.kill(pid, signal.SIGKILL)
        for process in stack.processes.values():
            with contextlib.suppress(Exception):
                process.wait(timeout=5)


def report(result: dict) -> None:
    s, b, cpu = result["steady"], result["baseline"], result["cpu_seconds"]
    other = result["cpu_seconds_other_stack"]
    rate = s.get("calls_per_second")
    lines = [
        f"contacts {result['contacts']:,}, {result['workers']} workers"
        f"{' (Procfile command lines, shipped defaults)' if result['procfile'] else ''}, "
        f"{result['accounts']} account(s) x {result['qps_per_account']}/s, limit {result['qps_limit']}/s "
        f"({result['cores']} cores; load {result['load_average_before']} -> {result['load_average_after']})",
        f"total time: {result['total_seconds']} s for {result['sent']:,} calls sent"
        f" (first send {result['first_send_after_s']} s after start; finished in time: {result['completed_in_time']})",
        f"steady calls/s (sent_at p5-p95, {s.get('seconds')} s): {rate} = "
        f"{100 * (result['ratio_to_limit'] or 0):.1f}% of the limit",
        f"  per second there: slowest {s.get('slowest_second')}, fastest {s.get('fastest_second')}, "
        f"{s.get('seconds_below_95pct')} s below 95%; longest gap {s.get('longest_gap_s')} s, "
        f"{s.get('gaps_over_100ms')} gaps > 100 ms",
        f"baseline (one loop, VoiceClient, no DB, no limit): {b.get('requests_per_second')} req/s "
        f"({b.get('placed')}/{b.get('requests')} placed in {b.get('seconds')} s); "
        f"dispatch / baseline = {result['ratio_to_baseline']}",
        f"throttled: {result['throttled']}"
        + (
            f" by key {result['throttled_by_key']}; requests by key {result['requests_by_key']}; "
            f"peak requests/s by key {result['peak_requests_per_second_by_key']}"
            if result["accounts"] > 1
            else ""
        ),
        f"duplicate dials: {result['duplicate_dials']} (numbers dialled more than once "
        f"{result['numbers_dialled_more_than_once']}, duplicate OutIds {result['duplicate_out_ids']})",
        f"unknown: {result['unknown']}; statuses {result['statuses']}; campaign {result['campaign_state']}"
        + (f"; calls by locality {result['local']}" if result["local"] else ""),
        f"simulator peak requests/s: {result['peak_requests_per_second']}; {result['simulator']}",
        f"CPU of our processes: {result['cpu_seconds_ours']} s = {result['cpu_percent_of_one_core']}% of one core, "
        f"{result['cpu_seconds_per_1000_calls']} s per 1,000 calls "
        f"(web {cpu['web']}, workers {cpu['workers']}, dispatcher {cpu['dispatcher']}); "
        f"simulator {other['simulator']}, redis {other['redis']}",
        f"machine busy (all processes, all users): {result['machine_busy_percent_of_all_cores']}% of "
        f"{result['cores']} cores",
        f"targets (>= {result['rate_floor']:.0%} of limit, 0 throttled, 0 duplicates): "
        f"{'met' if result['targets_met'] else 'MISSED'}"
        + ("" if result["rate_measured"] else f" (pacing not judged: steady part < {MIN_STEADY_SECONDS} s)"),
    ]
    print("\n".join(lines))


def main() -> int:
    args = parse_args()

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        result = run(args)
    except KeyboardInterrupt:
        note("interrupted; everything started was stopped")
        return 130
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        report(result)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
