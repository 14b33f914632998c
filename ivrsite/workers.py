"""The RQ worker class every `rqworker` / `rqworker-pool` here runs (settings.RQ["WORKER_CLASS"]).

RQ's worker writes its `last_heartbeat` every `job_monitoring_interval` while a job runs
(30 s by default) and after each idle wait of `worker_ttl - 15` seconds (405 s by default).
Both are made short so that a worker killed with -9 shows as dead within seconds and the
dispatcher hands its claimed calls back (`campaigns.dialling.claimers`).
"""

from __future__ import annotations

from django.conf import settings
from rq.worker import Worker


class HeartbeatWorker(Worker):
    def __init__(self, *args, **kwargs):
        kwargs["job_monitoring_interval"] = settings.WORKER_HEARTBEAT_SECONDS
        kwargs["worker_ttl"] = min(kwargs.get("worker_ttl") or 420, 15 + settings.WORKER_HEARTBEAT_SECONDS)
        super().__init__(*args, **kwargs)
