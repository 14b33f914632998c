"""The RQ worker class every `rqworker` / `rqworker-pool` here runs (settings.RQ["WORKER_CLASS"]).

RQ's worker writes its `last_heartbeat` every `job_monitoring_interval` while a job runs
(30 s by default) and after each idle wait of `worker_ttl - 15` seconds (405 s by default).
Both are made short so that a worker killed with -9 shows as dead within seconds and the
dispatcher hands its claimed calls back (`campaigns.dialling.claimers`).

RQ's worker also quits on any exception its own loop did not expect, and only its wait for
the next job retries when Redis is unreachable: a Redis restarted while a job runs (a failed
heartbeat, the horse's end unrecorded, the suspension check, the state
written before the wait) took every busy worker down
with it, and a standalone `rqworker` stays down. Here each of those steps logs and carries on
(the job's state was lost with Redis anyway; the dispatcher's `ensure_queued` queues lost dial
jobs again); the next heartbeat, seconds later, goes to the Redis that came back, and puts the
worker back in RQ's registry of workers, which the empty Redis lost (the dispatcher sizes a
campaign's dial jobs by that registry, and takes a worker missing from it for dead).
"""

from __future__ import annotations

import logging
import time

import redis.exceptions
from django.conf import settings
from rq import worker_registration
from rq.worker import Worker

log = logging.getLogger(__name__)
REDIS_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class HeartbeatWorker(Worker):
    def __init__(self, *args, **kwargs):
        kwargs["job_monitoring_interval"] = settings.WORKER_HEARTBEAT_SECONDS
        kwargs["worker_ttl"] = min(kwargs.get("worker_ttl") or 420, 15 + settings.WORKER_HEARTBEAT_SECONDS)
        super().__init__(*args, **kwargs)

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:  # queued on the caller's pipeline: the caller runs it
            return super().heartbeat(timeout, pipeline)
        try:
            super().heartbeat(timeout)
            self.stay_registered()
        except REDIS_UNREACHABLE as error:
            log.warning("worker %s: heartbeat skipped, Redis unreachable: %s", self.name, error)

    def maintain_heartbeats(self, job, execution):
        try:
            super().maintain_heartbeats(job, execution)
            self.stay_registered()
        except REDIS_UNREACHABLE as error:
            log.warning("worker %s: heartbeat for job %s skipped, Redis unreachable: %s", self.name, job.id, error)

    def execute_job(self, job, queue):
        try:
            super().execute_job(job, queue)
        except REDIS_UNREACHABLE as error:
            log.warning("worker %s: the end of job %s went unrecorded, Redis unreachable: %s", self.name, job.id, error)

    def check_for_suspension(self, burst: bool) -> None:
        try:
            super().check_for_suspension(burst)
        except REDIS_UNREACHABLE as error:
            log.warning("worker %s: Redis unreachable: %s", self.name, error)
            time.sleep(1)  # then the wait for the next job retries, backing off

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        # RQ retries its blocking wait, not the state write before it.
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except REDIS_UNREACHABLE as error:
                log.warning("worker %s: Redis unreachable: %s", self.name, error)
                time.sleep(1)

    def run_maintenance_tasks(self):
        try:
            super().run_maintenance_tasks()
        except REDIS_UNREACHABLE as error:
            log.warning("worker %s: maintenance skipped, Redis unreachable: %s", self.name, error)

    def stay_registered(self) -> None:
        """Back into RQ's registry of workers when a Redis restarted empty lost it."""
        if not self.connection.sismember(self.redis_workers_keys, self.key):
            worker_registration.register(self)
            log.warning("worker %s: registered again (Redis lost its registry of workers)", self.name)
