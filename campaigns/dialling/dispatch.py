"""Dialling: claim due calls, pace them, send them, record what Aliyun said.

The database is the source of truth (design rule 1). A call moves
queued → claimed (taken by one worker; never sent yet, safe to hand back)
→ sending (OutId persisted; the request may be on the wire) → placed | unknown | final.
A worker killed at any point leaves claimed calls (handed back by `recover_stale`) or
sending calls (marked unknown by `recover_stale`, never re-dialled blindly).
Every one of those moves is a `campaigns.transitions` function; this module decides
which one the API's answer calls for.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import string
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.actors import DISPATCHER
from campaigns import accounts, reasons, transitions
from campaigns.dialling import aliyun, callee_protection, guard, pacing, rates, refusals
from campaigns.dialling.claiming import CLAIM_BATCH as CLAIM_BATCH  # read by tests
from campaigns.dialling.claiming import claim as claim  # tests and scripts claim through here
from campaigns.dialling.claiming import claim_for_lane
from campaigns.experiments import snapshot_for
from campaigns.models import Call, Campaign, render_tts_params

log = logging.getLogger(__name__)
S = Call.Status
Outcome = aliyun.Outcome

# Placed calls are recorded this many at a time (at the latest when the claimed batch ends).
PLACED_BATCH = 10
# A claim older than this belongs to a dead worker (a live one sends within seconds).
STALE_CLAIM = dt.timedelta(seconds=settings.DISPATCH_STALE_SECONDS)
STALE_SENDING = dt.timedelta(seconds=settings.DISPATCH_STALE_SECONDS)
THROTTLE_BACKOFF = dt.timedelta(seconds=1)
# Refusals that are not attempts (nothing was dialled): throttling waits this long, the others
# as `campaigns.dialling.refusals` says.
DEFERRALS = (Outcome.THROTTLED, Outcome.CALLER_BUSY, Outcome.FREQUENCY_LIMITED)
OUT_ID_ALPHABET = string.ascii_lowercase + string.digits
# Requests that could not even connect are not attempts (nothing was sent), but this many
# in a row across all workers means the endpoint is wrong or down: pause and tell staff.
UNREACHABLE_ENDPOINT_LIMIT = 30
CONNECT_FAILURES = ("ConnectFailed", "ConnectTimeout")
# A dial job hands its worker over after this long when other campaigns' jobs are waiting,
# so running campaigns share the workers (and the account's QPS) fairly.
FAIR_SHARE_SECONDS = 5.0


def new_out_id(call_id: int) -> str:
    """≤ 15 bytes, unique: the call's id in base 36 (traceable) plus random characters."""
    digits = ""
    n = call_id
    while True:
        n, r = divmod(n, 36)
        digits = OUT_ID_ALPHABET[r] + digits
        if n == 0:
            break
    suffix = "".join(secrets.choice(OUT_ID_ALPHABET) for _ in range(max(4, 14 - len(digits))))
    return f"{digits}-{suffix}"[:15]


def build_request(call: Call, snapshot: dict) -> aliyun.IvrCallRequest:
    return ivr_request(call.caller_number.number, call.phone, call.out_id, snapshot, call.contact.tts_context())


def ivr_request(caller: str, phone: str, out_id: str, snapshot: dict, context: dict) -> aliyun.IvrCallRequest:
    """The IvrCall request of a frozen menu for one number, its TTS params filled from `context`."""
    return aliyun.IvrCallRequest(
        called_show_number=caller,
        called_number=phone,
        start_code=snapshot["start_code"],
        out_id=out_id,
        start_tts_params=render_tts_params(snapshot.get("start_tts_params", ""), context),
        play_times=snapshot.get("play_times"),
        timeout_ms=snapshot.get("timeout_ms"),
        bye_code=snapshot.get("bye_code", ""),
        bye_tts_params=render_tts_params(snapshot.get("bye_tts_params", ""), context),
        menu_keys=tuple(
            aliyun.MenuKey(
                key=o["key"], code=o.get("code", ""), tts_params=render_tts_params(o.get("tts_params", ""), context)
            )
            for o in snapshot.get("options", [])
            if o.get("code")
        ),
    )


def mark_sending(call: Call, now: dt.datetime) -> bool:
    """Persist OutId and `sending` before the request, only while the campaign still runs."""
    call.out_id = new_out_id(call.pk)
    return transitions.do_send_call(call, call.out_id, now)


@dataclass
class SendReport:
    sent: int = 0
    placed: int = 0
    throttled: int = 0
    released: int = 0
    stopped: str = ""


def record_result(call: Call, result: aliyun.CallResult, report: SendReport) -> None:
    """Apply what the API said to the call (and to its campaign when it is a configuration error)."""
    now = timezone.now()
    note = reasons.reason(result.reason or f"api.{result.outcome}", code=result.code)
    if connect_failures_in_a_row(result) >= UNREACHABLE_ENDPOINT_LIMIT:
        pause = reasons.reason("paused.endpoint_unreachable", count=UNREACHABLE_ENDPOINT_LIMIT)
        _defer_and_pause(call, result, note, pause, report)
    elif result.outcome == Outcome.PLACED:
        report.placed += 1
        transitions.do_place_call(call, result.call_id)
    elif result.outcome in DEFERRALS:
        # Not an attempt: nothing was dialled. Back to the queue, a little later.
        refusal = refusals.OUTCOME_REFUSALS.get(result.outcome)
        report.throttled += result.outcome == Outcome.THROTTLED
        if refusal is None:
            due = now + THROTTLE_BACKOFF
        else:
            due = refusals.due_again(refusal, call, now)
            refusals.act_on_caller_number(refusal, call.caller_number_id, result.code, now)
        if refusal == refusals.Refusal.CALLEE_FREQUENCY:
            guard.keep(call)  # Aliyun counts the refused call against the callee
        else:
            guard.forget([call])  # refused before dialling: it does not count against the callee
        transitions.do_defer_call(call, due, result.code, note, result.detail)
        log.info("call deferred out_id=%s code=%s", call.out_id, result.code)
    elif result.outcome == Outcome.CONFIG_ERROR:
        pause = reasons.reason("paused.config_error", code=result.code, message=note)
        _defer_and_pause(call, result, note, pause, report)
    elif result.outcome == Outcome.INVALID_NUMBER:
        transitions.do_reject_call(call, S.INVALID, result.code, note, result.detail)
    elif result.outcome == Outcome.BLOCKED_NUMBER:
        blocked = reasons.reason("dnc.blocked")
        transitions.do_reject_call(call, S.FAILED, result.code, note, result.detail, do_not_call=blocked)
    else:  # Outcome.UNKNOWN: the call may have been placed; a receipt or a query settles it.
        transitions.do_lose_call(call, result.code, note, result.detail)
        log.warning("call outcome unknown out_id=%s code=%s", call.out_id, result.code)


def _defer_and_pause(
    call: Call, result: aliyun.CallResult, note: reasons.Reason, pause: reasons.Reason, report: SendReport
) -> None:
    guard.forget([call])  # nothing was dialled
    transitions.do_defer_call_and_pause(call, result.code, note, result.detail, pause)
    report.stopped = reasons.describe(pause)
    log.warning("campaign %s paused: %s", call.campaign_id, result.code)


_CONNECT_FAILURES_KEY = "ivrsite:dispatch:connect-failures"
_seen_connect_failure = threading.Event()


def connect_failures_in_a_row(result: aliyun.CallResult) -> int:
    """Count requests that could not connect, across all workers; a placed call resets it.
    (Only a process that saw a failure resets, so the hot path costs no Redis call.)"""
    if result.code not in CONNECT_FAILURES:
        if result.outcome == Outcome.PLACED and _seen_connect_failure.is_set():
            pacing.redis_connection(settings.REDIS_URL).delete(_CONNECT_FAILURES_KEY)
            _seen_connect_failure.clear()
        return 0
    _seen_connect_failure.set()
    redis = pacing.redis_connection(settings.REDIS_URL)
    count = redis.incr(_CONNECT_FAILURES_KEY)
    redis.expire(_CONNECT_FAILURES_KEY, 300)
    return count


def release(calls: list[Call]) -> int:
    """Hand back calls this worker claimed but will not send (campaign paused, window closed)."""
    if not calls:
        return 0
    guard.forget(calls)
    return transitions.do_release_calls([c.pk for c in calls], calls[0].claim_token)


def others_waiting(campaign_id: int) -> bool:
    """Whether this job should hand its worker to work waiting for one: another campaign's dial
    job, an import, or housekeeping (never its own campaign's twin). Each waiting job is
    handed one worker: the first dial job to see it yields, the others dial on."""
    from rq import Queue

    redis = pacing.redis_connection(settings.REDIS_URL)  # RQ's Redis; one connection pool per process
    own = f"dial-{campaign_id}-"
    waiting = [job_id for job_id in Queue("dial", connection=redis).get_job_ids() if not job_id.startswith(own)]
    for name in ("imports", "default"):
        waiting += Queue(name, connection=redis).get_job_ids(0, 9)
    return any(redis.set(f"ivrsite:dispatch:yielded-to:{job_id}", campaign_id, nx=True, ex=10) for job_id in waiting)


def dial_campaign(
    campaign_id: int,
    max_seconds: float | None = None,
    client: aliyun.VoiceClient | None = None,
    threads: int | None = None,
) -> dict:
    """RQ job: dial due calls of one campaign for up to `max_seconds` (DIAL_JOB_SECONDS), paced
    across all workers.

    Several threads send at once (each claims its own batches), so a slow request or a
    busy CPU delays one call, not the whole job's share of the account's rate. Each call
    goes through the account of its caller number (`client` overrides that, for tests).
    """
    threads = threads or settings.DIAL_THREADS
    deadline = time.monotonic() + (max_seconds or settings.DIAL_JOB_SECONDS)
    if threads == 1:
        return _dial_loop(campaign_id, deadline, client, lane=0, stride=1).__dict__
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dial") as pool:
        reports = list(
            pool.map(lambda lane: _dial_thread(campaign_id, deadline, client, lane, threads), range(threads))
        )
    total = SendReport(stopped=reports[0].stopped)
    for report in reports:
        total.sent += report.sent
        total.placed += report.placed
        total.throttled += report.throttled
        total.released += report.released
    return total.__dict__


def _dial_thread(
    campaign_id: int, deadline: float, client: aliyun.VoiceClient | None, lane: int, stride: int
) -> SendReport:
    try:
        return _dial_loop(campaign_id, deadline, client, lane, stride)
    finally:
        connection.close()  # each thread had its own database connection


class Router:
    """Per account (None = the environment's): its pacer and its client, built once per job."""

    def __init__(self, client: aliyun.VoiceClient | None = None):
        self.client = client
        self.routes: dict[int | None, accounts.Route] = {}
        self.pacers: dict[int | None, pacing.Pacer] = {}

    def prepare(self, calls: list[Call]) -> None:
        wanted = {call.caller_number.account_id for call in calls} - set(self.routes)
        if wanted:
            self.routes.update(accounts.routes_by_account(wanted))
        for account_id in wanted:
            route = self.routes[account_id]
            connection = pacing.redis_connection(settings.REDIS_URL)
            self.pacers[account_id] = pacing.Pacer(connection, route.qps, account_key=route.pace_key)

    def pacer(self, call: Call) -> pacing.Pacer:
        return self.pacers[call.caller_number.account_id]

    def client_for(self, call: Call) -> aliyun.VoiceClient:
        return self.client or accounts.client_for(call.caller_number.account_id)


def _dial_loop(
    campaign_id: int, deadline: float, client: aliyun.VoiceClient | None, lane: int = 0, stride: int = 1
) -> SendReport:
    """Claim and send batches until the deadline. Each batch goes through one account (the
    lane-th in turn, `claiming.claim_for_lane`): its calls wait for that account's slots only.
    The lane moves on by `stride` (the job's threads) per batch, so the threads share the
    accounts evenly whatever their numbers."""
    router = Router(client)
    report = SendReport()
    started = time.monotonic()
    last_look = 0.0  # when it last looked for other work waiting (at most once a second)
    while time.monotonic() < deadline and not report.stopped:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None or campaign.state != Campaign.State.RUNNING:
            report.stopped = "not running"
            break
        if not campaign.in_window(timezone.now()):
            report.stopped = "outside window"
            break
        calls = claim_for_lane(campaign, lane)
        lane += stride
        if not calls:
            report.stopped = "nothing due"
            break
        calls = callee_protection.screen(campaign, calls, timezone.now())
        if not calls:
            continue
        router.prepare(calls)
        limits = {pacing.campaign_key(campaign.pk): campaign.max_qps} if campaign.max_qps else {}
        placed = PlacedBatch(report)
        sent_before = report.sent
        try:
            for index, call in enumerate(calls):
                if report.stopped or not campaign.in_window(timezone.now()):
                    report.released += release(calls[index:])
                    break
                # Everything that costs time comes before the slot (OutId and `sending`
                # persisted, request built and signed); between the slot and the request's
                # arrival at Aliyun lies only the network, so no reserved slot goes to waste
                # and requests arrive as evenly as they were paced.
                try:  # before `sending`: a client that cannot be built has sent nothing
                    client = router.client_for(call)
                except accounts.SecretUnreadable:
                    report.released += release(calls[index:])
                    route = router.routes[call.caller_number.account_id]
                    report.stopped = _pause_for_unreadable_secret(campaign, route)
                    break
                if not mark_sending(call, timezone.now()):
                    report.released += release([call])
                    continue
                request = build_request(call, snapshot_for(call.variant, campaign.menu_snapshot))
                signed = client.prepare_ivr_call(request)
                pacer = router.pacer(call)
                slot = pacer.next_slot(limits)
                if slot is None or not pacer.keep_slot(limits, slot):
                    # Nothing went on the wire: the call can safely wait for the next worker.
                    transitions.do_defer_call(call)
                    guard.forget([call])
                    report.stopped = "no slot"
                    report.released += release(calls[index + 1 :])
                    break
                result = client.send(signed)
                report.sent += 1
                if result.outcome == Outcome.PLACED and not _seen_connect_failure.is_set():
                    placed.add(call, result)
                else:
                    placed.flush()
                    record_result(call, result, report)
        finally:
            placed.flush()
            rates.record_sent(campaign_id, report.sent - sent_before, timezone.now())
        now = time.monotonic()
        if not report.stopped and now - started > FAIR_SHARE_SECONDS and now - last_look >= 1.0:
            last_look = now
            if others_waiting(campaign_id):
                report.stopped = "yielded to other campaigns"
    return report


def _pause_for_unreadable_secret(campaign: Campaign, route: accounts.Route) -> str:
    pause = reasons.reason("paused.account_secret_unreadable", account=route.name)
    transitions.do_pause_campaign(campaign, DISPATCHER, reason=pause)
    log.warning("campaign %s paused: the secret of account %s cannot be decrypted", campaign.pk, route.name)
    return reasons.describe(pause)


class PlacedBatch:
    """Placed calls written in one UPDATE per claimed batch instead of one each. Until then
    they stay `sending` (an accepted request is what `sending` allows for: a receipt may
    settle them meanwhile, and the write then leaves them alone)."""

    def __init__(self, report: SendReport):
        self.report = report
        self.calls: list[tuple[Call, aliyun.CallResult]] = []

    def add(self, call: Call, result: aliyun.CallResult) -> None:
        self.calls.append((call, result))
        if len(self.calls) >= PLACED_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.calls:
            return
        transitions.do_place_calls([(call, result.call_id) for call, result in self.calls])
        self.report.placed += len(self.calls)
        self.calls = []


def recover_stale(now: dt.datetime | None = None) -> dict[str, int]:
    """Undo what dead workers left: unsent claims go back to the queue, sends become unknown."""
    now = now or timezone.now()
    return transitions.do_recover_stale(now, claimed_before=now - STALE_CLAIM, sent_before=now - STALE_SENDING)
