"""Background work, one way: queue a job once the transaction commits, make sure a job with a
fixed id is queued (the dispatcher's tick repairs lost ones), and run a job at most every so
often across all dispatchers.

The database stays the truth: a job reads its row (an `ImportJob`, a `FollowupBuild`, a
`starting` campaign) and does nothing when there is nothing left to do, so queueing one
twice is harmless, and one lost with Redis is queued again by whoever calls `ensure_queued`.

Periodic jobs take a Redis `SET NX` lock that expires with the period rather than RQ's own
scheduler (rq-scheduler, or `Queue.enqueue_in` with a worker started `--with-scheduler`):
the dispatcher's tick already runs every second on every machine, so a lock is all it takes
for one of them to queue the job once per period; the scheduler would be one more process
(or worker flag) to run and watch, and it keeps its schedule in Redis, which may restart empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

# RQ job states in which a job still runs or will run.
ACTIVE_JOB_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def get_queue(name: str):
    """The named RQ queue (django_rq's settings)."""
    import django_rq

    return django_rq.get_queue(name)


def enqueue_on_commit(queue: str, func: Callable, *args: Any, **options: Any) -> None:
    """Queue `func(*args)` on the named RQ queue once the current transaction commits (at once
    outside one), so the worker finds the rows the request wrote. `options` go to `enqueue`
    (job_id, job_timeout, ...)."""
    transaction.on_commit(lambda: get_queue(queue).enqueue(func, *args, **options))


def job_alive(queue: str, job_id: str, now: dt.datetime | None = None) -> bool:
    """Whether the job with this id still runs or will run: queued and in its queue's list,
    started with a worker heartbeat within WORKER_HEARTBEAT_LAPSE_SECONDS, or deferred or
    scheduled. A job whose hash outlived what held it (a Redis restarted under a running job,
    a worker that quit mid-job) says `queued` or `started` for ever; it is not alive."""
    rq_queue = get_queue(queue)
    try:
        job = Job.fetch(job_id, connection=rq_queue.connection)
    except NoSuchJobError:
        return False
    status = job.get_status()
    if status == JobStatus.QUEUED:
        return rq_queue.connection.lpos(rq_queue.key, job_id) is not None
    if status == JobStatus.STARTED:
        lapse = dt.timedelta(seconds=settings.WORKER_HEARTBEAT_LAPSE_SECONDS)
        beat = job.last_heartbeat
        if beat is None:
            return False
        beat = beat if beat.tzinfo else beat.replace(tzinfo=dt.UTC)
        return (now or timezone.now()) - beat <= lapse
    return status in ACTIVE_JOB_STATES


def ensure_queued(queue: str, func: Callable, *args: Any, job_id: str, **options: Any) -> bool:
    """Queue `func(*args)` under `job_id` unless a job with that id is alive (`job_alive`);
    returns whether it queued one (its previous one failed, finished or was lost)."""
    if job_alive(queue, job_id):
        return False
    get_queue(queue).enqueue(func, *args, job_id=job_id, **options)
    return True


def once_per(name: str, every_seconds: int) -> bool:
    """True for the first caller in each `every_seconds` across all processes (a Redis lock
    expiring with the period): the dispatchers' ticks use it to do something once a period."""
    return bool(get_queue("default").connection.set(f"ivrsite:{name}:lock", "1", nx=True, ex=every_seconds))


def run_periodically(name: str, every_seconds: int, queue: str, func: Callable, **options: Any) -> bool:
    """Queue `func()` as job `name` at most once per `every_seconds` across all processes that
    call this (`once_per`); returns whether this call queued it."""
    if not once_per(name, every_seconds):
        return False
    get_queue(queue).enqueue(func, job_id=name, **options)
    return True
