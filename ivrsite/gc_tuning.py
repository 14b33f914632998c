"""Keeping CPython's full garbage collections short in the long-running processes.

A full (generation 2) collection walks every container object the process holds. Right after
Django has loaded that is several hundred thousand of them, and on this project's 2-core
machines a full collection took 75-150 ms in web, the RQ workers and the simulator (measured
with a gc callback during bench/soak_bench.py). A process stalled that long lets the requests
it should have spread out bunch up: in the simulator, whose QPS window counts arrivals as it
parses them, one 87 ms collection turned queued requests into a burst it refused as
Throttling.User.

`gc.freeze()` after start-up moves everything loaded so far into a generation the collector
never walks (the code, settings and caches live as long as the process anyway), so later full
collections walk only what was made since. Only where the heap is the process's own (web's
gunicorn workers load the app after their fork, the dispatcher, the simulator): the RQ pool's
workers are forked from a pool process that loaded Django, and the collection before the freeze
writes to every object they share with it, unsharing the pages (+70 MB PSS for a pool of two,
measured); their work horses are short-lived and rarely reach a full collection.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect once, then leave everything alive now out of every later collection."""
    gc.collect()
    gc.freeze()


def no_full_collections() -> None:
    """Freeze the start-up heap and stop automatic full collections (young generations are still
    collected): for a process whose long-lived data only grows and must answer without pauses
    (the voice simulator keeps every call it placed)."""
    freeze_startup_heap()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000)
