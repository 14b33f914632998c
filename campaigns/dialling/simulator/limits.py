"""A sliding one-second window: the simulator's QPS limit and its requests-per-second peak."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable


class SlidingWindow:
    """Events in the last `window` seconds; `admit` refuses once `limit` are in it."""

    def __init__(self, limit: int, window: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()

    def admit(self) -> bool:
        now = self.clock()
        with self._lock:
            self._prune(now)
            if len(self._times) >= self.limit:
                return False
            self._times.append(now)
            return True

    def record(self) -> int:
        """Count an event unconditionally; returns how many fall in the window now."""
        now = self.clock()
        with self._lock:
            self._prune(now)
            self._times.append(now)
            return len(self._times)
