"""The global no-call days, as a set of dates every process can ask for on the hot path.

`Campaign.in_window` asks once per call; the dates are read from the database at most
every `CACHE_SECONDS` per process (and at once after a change saved in this process).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from campaigns.models import NoCallDay

CACHE_SECONDS = 30.0

_lock = threading.Lock()
_cached: tuple[float, frozenset[dt.date]] | None = None


def no_call_dates() -> frozenset[dt.date]:
    global _cached
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > CACHE_SECONDS:
            _cached = (time.monotonic(), frozenset(NoCallDay.objects.values_list("date", flat=True)))
        return _cached[1]


def forget_cached() -> None:
    global _cached
    with _lock:
        _cached = None


@receiver([post_save, post_delete], sender=NoCallDay)
def _changed(**_kwargs) -> None:
    forget_cached()
