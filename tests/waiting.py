"""Waiting for something other threads or processes bring about, without fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], timeout: float = 5.0, step: float = 0.05, message: str | Callable[[], object] = ""
) -> T:
    """Poll `predicate` until it returns something truthy, and return that; fail the test
    after `timeout` seconds, saying `message` (a callable is asked only then, for diagnostics)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() >= deadline:
            detail = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout}s: {detail or predicate}")
        time.sleep(step)
    return value
