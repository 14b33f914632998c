"""Who claimed a call, and handing back the claims of a worker that died.

Inside an RQ worker a claim token is `<worker name>/<random>`: the work horse knows its
worker's name (RQ sets `RQ_WORKER_ID` when it forks it). RQ keeps a registry of workers, each
a hash with a `last_heartbeat` that the worker refreshes every `job_monitoring_interval` while
its horse runs a job (`ivrsite.workers.HeartbeatWorker` makes that `WORKER_HEARTBEAT_SECONDS`).
A worker that is gone from the registry, or whose heartbeat is older than
`WORKER_HEARTBEAT_LAPSE_SECONDS`, is dead: `recover_dead_workers` hands its claimed calls back
to the queue at once instead of after `DISPATCH_STALE_SECONDS`, and its `sending` calls become
`unknown` (they may have been placed: never re-dialled blindly). A claimed call was never sent
(OutId and `sending` come first), so handing it back dials nobody twice; and a worker wrongly
taken for dead cannot send it any more (`do_send_call` needs the call still claimed by its
token), nor mark a call it did send placed (a receipt settles it, as for any unknown call).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets

from django.conf import settings
from django.utils import timezone

from campaigns import transitions
from campaigns.models import Call

log = logging.getLogger(__name__)
SEPARATOR = "/"
MAX_TOKEN_LENGTH = Call._meta.get_field("claim_token").max_length


def claim_token() -> str:
    """A fresh token for one claim, naming this process's RQ worker when there is one."""
    random = secrets.token_hex(8)
    worker = os.environ.get("RQ_WORKER_ID", "")
    if worker and SEPARATOR not in worker and len(worker) + 1 + len(random) <= MAX_TOKEN_LENGTH:
        return f"{worker}{SEPARATOR}{random}"
    return random


def worker_of(token: str) -> str | None:
    worker, sep, _random = token.rpartition(SEPARATOR)
    return worker if sep and worker else None


def dead_workers(names: set[str], now: dt.datetime | None = None) -> set[str]:
    """Those of these RQ workers that are not in RQ's registry or whose heartbeat lapsed."""
    from django_rq import get_connection
    from rq.utils import utcparse
    from rq.worker import Worker

    if not names:
        return set()
    now = now or timezone.now()
    lapse = dt.timedelta(seconds=settings.WORKER_HEARTBEAT_LAPSE_SECONDS)
    redis = get_connection("dial")
    ordered = sorted(names)
    with redis.pipeline() as pipe:
        for name in ordered:
            pipe.hget(Worker.redis_worker_namespace_prefix + name, "last_heartbeat")
        beats = pipe.execute()
    dead = set()
    for name, beat in zip(ordered, beats, strict=True):
        if beat is None:
            dead.add(name)
            continue
        try:
            last = utcparse(beat.decode()).replace(tzinfo=dt.UTC)
        except ValueError:
            continue  # unreadable: leave it to the stale window
        if now - last > lapse:
            dead.add(name)
    return dead


def recover_dead_workers(now: dt.datetime | None = None) -> dict[str, int]:
    """Hand back the claims of RQ workers that died, mark their sends unknown; returns counts."""
    now = now or timezone.now()
    open_calls = Call.objects.filter(status__in=[Call.Status.CLAIMED, Call.Status.SENDING])
    tokens = set(open_calls.values_list("claim_token", flat=True).distinct())
    by_worker: dict[str, list[str]] = {}
    for token in tokens:
        worker = worker_of(token)
        if worker:
            by_worker.setdefault(worker, []).append(token)
    dead = dead_workers(set(by_worker), now)
    if not dead:
        return {"requeued": 0, "unknown": 0}
    counts = transitions.do_recover_dead_claims([t for name in dead for t in by_worker[name]], now)
    log.warning("dead workers %s: %s", ", ".join(sorted(dead)), counts)
    return counts
