"""Background work is built one way (campaigns.background, campaigns.models.tasks): imports
and follow-up builds share one task model; one helper queues after commit, one makes sure a
job with a fixed id is queued, one runs a periodic job once per period across dispatchers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns import background, reasons
from campaigns.models import FollowupBuild, ImportJob
from campaigns.models.tasks import BackgroundTask

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def work(n: int = 0) -> int:
    return n


@pytest.mark.parametrize("model", [ImportJob, FollowupBuild])
def test_imports_and_followup_builds_are_one_kind_of_task(model):
    assert issubclass(model, BackgroundTask)
    names = {f.name for f in model._meta.fields}
    assert {"status", "error", "created_by", "created_at", "started_at", "finished_at"} <= names


def test_a_task_records_its_start_progress_and_failure_as_a_reason(contact_list, staff_user):
    job = ImportJob.objects.create(contact_list=contact_list, total_bytes=200, created_by=staff_user)
    assert (job.status_text, job.progress_percent, job.started_at) == ("waiting", 0, None)
    job.mark_running()
    ImportJob.objects.filter(pk=job.pk).update(processed_bytes=50)
    job.refresh_from_db()
    assert (job.status_text, job.progress_percent) == ("importing", 25)
    assert timezone.now() - job.started_at < dt.timedelta(seconds=5)
    job.mark_failed(reasons.reason("import.empty"))
    job.refresh_from_db()
    assert (job.status, job.error_text, job.finished) == ("failed", "The file is empty.", True)
    assert job.created_by == staff_user


def test_enqueue_on_commit_queues_only_once_the_transaction_commits(monkeypatch, django_capture_on_commit_callbacks):
    queued = []

    class Queue:
        def enqueue(self, func, *args, **options):
            queued.append((func, args, options))

    monkeypatch.setattr("django_rq.get_queue", lambda name: Queue())
    with django_capture_on_commit_callbacks(execute=True):
        background.enqueue_on_commit("imports", work, 7, job_timeout=60)
        assert queued == []
    assert queued == [(work, (7,), {"job_timeout": 60})]


@pytest.fixture
def queues_left_for_a_worker(redis_conn, monkeypatch):
    """Real RQ queues on the test Redis whose jobs wait for a worker (tests otherwise run them at once)."""
    from rq import Queue

    monkeypatch.setattr("django_rq.get_queue", lambda name: Queue(name, connection=redis_conn, is_async=True))
    return redis_conn


def test_ensure_queued_adds_a_job_only_when_none_with_its_id_is_waiting(queues_left_for_a_worker):
    redis_conn = queues_left_for_a_worker
    assert background.ensure_queued("default", work, 1, job_id="ensure-test")
    assert not background.ensure_queued("default", work, 1, job_id="ensure-test")
    redis_conn.flushdb()  # Redis restarted empty: the job is gone
    assert background.ensure_queued("default", work, 1, job_id="ensure-test")


def test_ensure_queued_replaces_a_job_whose_hash_outlived_what_held_it(queues_left_for_a_worker):
    """A hash saying `queued` with no entry in its queue's list, or `started` with no worker
    heartbeat for longer than the lapse, will never run: it is queued again."""
    from rq.job import Job, JobStatus

    redis_conn = queues_left_for_a_worker
    assert background.ensure_queued("default", work, 1, job_id="orphan")
    redis_conn.delete("rq:queue:default")  # the list went, the hash stayed
    assert background.ensure_queued("default", work, 1, job_id="orphan")
    assert not background.ensure_queued("default", work, 1, job_id="orphan")

    job = Job.fetch("orphan", connection=redis_conn)
    redis_conn.lrem("rq:queue:default", 0, "orphan")
    beat = timezone.now() - dt.timedelta(seconds=2)
    job.set_status(JobStatus.STARTED)
    job.heartbeat(beat, ttl=60)
    assert not background.ensure_queued("default", work, 1, job_id="orphan")  # a live worker runs it
    job.heartbeat(timezone.now() - dt.timedelta(seconds=settings.WORKER_HEARTBEAT_LAPSE_SECONDS + 1), ttl=60)
    assert background.ensure_queued("default", work, 1, job_id="orphan")
    assert redis_conn.lrange("rq:queue:default", 0, -1) == [b"orphan"]


def test_a_worker_outlives_an_unreachable_redis_and_registers_again(redis_conn):
    from redis import Redis
    from rq.worker import Worker

    from ivrsite.workers import HeartbeatWorker

    worker = HeartbeatWorker(["default"], connection=redis_conn, name="w-back")
    worker.connection = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # Redis down
    worker.heartbeat()  # logged, not raised
    worker.connection = redis_conn
    worker.register_birth()
    redis_conn.flushdb()  # Redis restarted empty
    assert Worker.count(connection=redis_conn) == 0
    worker.heartbeat()
    assert Worker.count(connection=redis_conn) == 1


def test_a_periodic_job_is_queued_once_per_period_across_callers(queues_left_for_a_worker):
    redis_conn = queues_left_for_a_worker
    assert background.run_periodically("periodic-test", 60, "default", work)
    assert not background.run_periodically("periodic-test", 60, "default", work)
    assert 0 < redis_conn.ttl("ivrsite:periodic-test:lock") <= 60


def test_no_other_module_queues_jobs_its_own_way():
    own_way = re.compile(r"transaction\.on_commit\(|Job\.fetch\(|nx=True, ex=(?!10\))")
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("campaigns", "receipts", "results", "ivrsite")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "background.py" and own_way.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
