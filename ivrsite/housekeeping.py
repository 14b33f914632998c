"""The hourly housekeeping job: everything kept for a limited time is removed here, each kind by
its own function with its own documented period (README "Retention"). The dispatcher's tick
queues it once an hour across all dispatchers (`ivrsite.scheduler.enqueue_housekeeping`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.utils import timezone

from audit.retention import purge_expired
from campaigns.contacts.uploads import delete_expired_uploads
from campaigns.dialling.test_calls import delete_expired_test_calls
from campaigns.do_not_call import release_expired
from campaigns.retention import remove_expired_personal_data
from receipts.retention import prune_webhook_leftovers
from webhooks.retention import delete_old_messages

log = logging.getLogger(__name__)

# Each takes `now` and returns what it removed (a count, or counts by kind).
TASKS: list[Callable[[dt.datetime], object]] = [
    delete_expired_uploads,
    purge_expired,
    prune_webhook_leftovers,
    remove_expired_personal_data,
    release_expired,
    delete_expired_test_calls,
    delete_old_messages,
    # The API's forgotten Idempotency-Keys sign up from its AppConfig (`register`): nothing imports the API.
]


def register(task: Callable[[dt.datetime], object]) -> None:
    """Add an hourly task from an app this module may not import (the API, the top layer)."""
    if task not in TASKS:
        TASKS.append(task)


def run(now: dt.datetime | None = None) -> dict[str, object]:
    """Run every task; one failing does not stop the others (it is logged and retried next hour)."""
    now = now or timezone.now()
    done: dict[str, object] = {}
    for task in TASKS:
        try:
            done[task.__name__] = task(now)
        except Exception:
            log.exception("housekeeping task %s failed; it runs again next hour", task.__name__)
            done[task.__name__] = "failed"
    return done
