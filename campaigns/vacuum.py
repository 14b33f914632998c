"""Keeping `campaigns_call` vacuumed and analysed when PostgreSQL's autovacuum is off.

Every call row is rewritten four or five times on its way to a final status (claimed, sending,
placed, settled), and every rewrite leaves a dead version behind in the table and in each index
whose columns changed. With autovacuum on, the table's own settings (migration 0005) have
PostgreSQL clear them. With `autovacuum = off` (some servers run so, this project's
development machines among them) nothing ever does, nor analyses the table: the claim's and
the dispatcher's queries then wade through every dead version of the campaign and run on
plans made for an empty table, and the dial rate falls as the campaign grows.

So the dispatcher does it itself then (`maybe_vacuum`, once a tick): when the dead versions
pass the threshold the table's autovacuum settings name, one `VACUUM (ANALYZE) campaigns_call`,
throttled as autovacuum would be (`vacuum_cost_delay`), in a thread of its own so the ticks go
on, and at most one at a time across every dispatcher (an advisory lock). Start-up and
`/healthz/` warn that autovacuum is off.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import connection

log = logging.getLogger(__name__)

TABLE = "campaigns_call"
CHECK_EVERY_SECONDS = 10.0
# What PostgreSQL's autovacuum does by default: sleep 2 ms whenever 200 cost units were spent.
COST_DELAY_MS = 2
ADVISORY_LOCK = 27_0001  # any bigint no other code takes
# When the table carries no autovacuum settings of its own (migration 0005 gives it some).
DEFAULT_THRESHOLD, DEFAULT_SCALE = 10_000, 0.02

_state = {"checked": 0.0, "autovacuum": None, "autovacuum_read": 0.0}
_running: list[threading.Thread] = []


def autovacuum_on(max_age: float = 60.0) -> bool | None:
    """Whether PostgreSQL's autovacuum is on (re-read at most once a `max_age`); None if not PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    if _state["autovacuum"] is None or time.monotonic() - _state["autovacuum_read"] > max_age:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setting = 'on' FROM pg_settings WHERE name IN ('autovacuum', 'track_counts')")
            _state["autovacuum"] = all(on for (on,) in cursor.fetchall())
        _state["autovacuum_read"] = time.monotonic()
    return _state["autovacuum"]


def warn_if_autovacuum_off() -> bool:
    """Log (at start-up) that autovacuum is off and what the dispatcher does about it."""
    if autovacuum_on() is False:
        log.warning(
            "PostgreSQL autovacuum is off: the dispatcher vacuums %s itself when dead rows pile up "
            "(turn autovacuum on: see README, Deploying)",
            TABLE,
        )
        return True
    return False


def dead_rows() -> tuple[int, int, int]:
    """(dead versions, live rows, the threshold of dead versions that calls for a vacuum)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.n_dead_tup, s.n_live_tup, c.reloptions FROM pg_stat_user_tables s"
            " JOIN pg_class c ON c.oid = s.relid WHERE s.relname = %s",
            [TABLE],
        )
        row = cursor.fetchone()
    if row is None:
        return 0, 0, DEFAULT_THRESHOLD
    dead, live, options = row
    named = dict(option.split("=", 1) for option in options or [])
    threshold = int(named.get("autovacuum_vacuum_threshold", DEFAULT_THRESHOLD))
    scale = float(named.get("autovacuum_vacuum_scale_factor", DEFAULT_SCALE))
    return dead, live, int(threshold + scale * live)


def maybe_vacuum() -> bool:
    """Start a vacuum of the calls table when autovacuum is off and dead rows passed the threshold.
    Returns whether one was started. Costs nothing most ticks (one query every CHECK_EVERY_SECONDS)."""
    if time.monotonic() - _state["checked"] < CHECK_EVERY_SECONDS or any(t.is_alive() for t in _running):
        return False
    _state["checked"] = time.monotonic()
    if autovacuum_on() is not False:
        return False
    dead, live, threshold = dead_rows()
    if dead < threshold:
        return False
    _running[:] = [threading.Thread(target=vacuum, name="vacuum-calls", daemon=True)]
    _running[0].start()
    log.info("vacuuming %s: %s dead rows, %s live (autovacuum is off)", TABLE, dead, live)
    return True


def vacuum() -> bool:
    """VACUUM (ANALYZE) the calls table, throttled, unless another dispatcher is at it. Runs on a
    connection of its own (this thread's), outside any transaction as VACUUM must."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK])
            if not cursor.fetchone()[0]:
                return False
            try:
                started = time.monotonic()
                cursor.execute(f"SET vacuum_cost_delay = {COST_DELAY_MS}")
                cursor.execute(f"VACUUM (ANALYZE) {TABLE}")
                log.info("vacuumed %s in %.1f s", TABLE, time.monotonic() - started)
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
        return True
    except Exception:
        log.exception("vacuuming %s failed", TABLE)
        return False
    finally:
        connection.close()
