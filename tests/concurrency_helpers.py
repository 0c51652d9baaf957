"""Asserting on concurrency by counting what overlapped, not by timing it.

A wall-clock bound ("four 0.4 s calls in under 1.2 s") fails whenever a loaded machine
stalls the test for a second; how many calls were inside at once does not depend on
how fast the machine is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Overlap:
    """Counts the calls inside :meth:`inside` at once; ``peak`` is the most there ever were."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = self.peak = 0

    def reset(self) -> None:
        with self._lock:
            self.now = self.peak = 0

    @contextmanager
    def inside(self) -> Iterator[None]:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            yield
        finally:
            with self._lock:
                self.now -= 1
