"""Circuit breaker and retry policy shared by the backend clients.

A breaker lives as long as the Lambda execution environment (module level in the client), so a
dead backend costs one fast failure per call instead of a timeout per call.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from nova_bridge.errors import BackendError, BackendUnavailable

T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` consecutive retryable failures; after `reset_seconds` lets
    one trial call through (half-open); a success closes it again."""

    def __init__(self, name: str, failure_threshold: int = 5, reset_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self.last_error: str | None = None

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        if self._clock() - self._opened_at >= self.reset_seconds:
            return HALF_OPEN
        return OPEN

    def call(self, fn: Callable[[], T]) -> T:
        with self._lock:
            if self._state() == OPEN:
                raise BackendUnavailable(self.name, f"{self.name} circuit is open after repeated failures: "
                                                    f"{self.last_error}", circuit="open")
        try:
            result = fn()
        except BackendError as exc:
            if exc.retryable:
                self._record_failure(str(exc))
            else:  # the backend answered; it is alive
                self._record_success()
            raise
        self._record_success()
        return result

    def _record_failure(self, error: str) -> None:
        with self._lock:
            self._failures += 1
            self.last_error = error
            if self._failures >= self.failure_threshold or self._opened_at is not None:
                self._opened_at = self._clock()  # (re)open; a failed half-open trial reopens

    def _record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def reset(self) -> None:
        self._record_success()


def retry(fn: Callable[[], T], attempts: int = 3, base_delay: float = 0.2, max_delay: float = 2.0,
          sleep: Callable[[float], None] = time.sleep) -> T:
    """Retry only retryable BackendErrors, with jittered exponential backoff."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except BackendError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            sleep(min(max_delay, base_delay * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")
