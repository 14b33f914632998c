"""Stored figures, refreshed one way: the dashboard's cube (`ResultSnapshot`,
`results.aggregates`) and the cross-tabs (`CrosstabSnapshot`, `results.crosstab`).

A snapshot row holds what was computed, when, and how long it took (`compute_ms`, which
decides whether the next refresh runs in the request or on a worker), and
`refresh_requested_at`: a page that finds the figures stale asks once, by a conditional
update, so however many pages poll, one job is queued.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns import background

log = logging.getLogger(__name__)


def store(
    model: type[models.Model], lookup: dict[str, Any], compute: Callable[[], dict[str, Any]], now: dt.datetime | None
) -> Any:
    """Compute the figures (field -> value), timing it, and store them in the snapshot row
    `lookup` names (created if missing; a concurrent refresh creating it meanwhile is fine)."""
    started = time.perf_counter()
    values = {
        **compute(),
        "computed_at": now or timezone.now(),
        "compute_ms": int(1000 * (time.perf_counter() - started)),
        "refresh_requested_at": None,
    }
    try:
        with transaction.atomic():
            snapshot, _created = model.objects.update_or_create(**lookup, defaults=values)
    except IntegrityError:  # created meanwhile by a concurrent refresh
        model.objects.filter(**lookup).update(**values)
        snapshot = model.objects.get(**lookup)
    return snapshot


def ask_a_worker(
    model: type[models.Model],
    lookup: dict[str, Any],
    now: dt.datetime,
    ask_again_after: int,
    job: Callable,
    job_args: tuple,
    job_timeout: int,
    refresh_here: Callable[[], Any],
) -> bool:
    """Queue `job(*job_args)` to refresh the snapshot, once: unless it was asked for less than
    `ask_again_after` seconds ago. Without a queue to reach, refresh in the request instead.
    Returns whether this call asked."""
    stale_ask = now - dt.timedelta(seconds=ask_again_after)
    asked = model.objects.filter(
        Q(refresh_requested_at__isnull=True) | Q(refresh_requested_at__lt=stale_ask), **lookup
    ).update(refresh_requested_at=now)
    if not asked:
        return False
    try:
        background.get_queue("default").enqueue(job, *job_args, job_timeout=job_timeout)
    except Exception:
        log.exception("could not queue a refresh of %s; computing it in the request", model._meta.model_name)
        refresh_here()
    return True
