"""HTTP plumbing shared by the GoAlert GraphQL and ingest clients: one error mapping, one breaker
per GoAlert base URL, one retry policy."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from nova_bridge.adapters.resilience import CircuitBreaker, retry
from nova_bridge.errors import BackendProtocolError, BackendRejected, BackendUnavailable

BACKEND = "goalert"
T = TypeVar("T")

_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def shared_breaker(base_url: str) -> CircuitBreaker:
    """One breaker per GoAlert instance for the life of the execution environment, shared by the
    GraphQL and ingest clients (a dead GoAlert is dead for both)."""
    with _breakers_lock:
        return _breakers.setdefault(base_url, CircuitBreaker(BACKEND))


class RequestMaybeApplied(BackendUnavailable):
    """The request was sent but no answer came (read timeout, dropped connection): GoAlert may
    have applied it, so only idempotent operations retry it."""


def send(client: httpx.Client, request: httpx.Request, what: str) -> httpx.Response:
    """Send one request; transport failures become BackendUnavailable (never retried here)."""
    try:
        return client.send(request)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise BackendUnavailable(BACKEND, f"GoAlert unreachable ({what}): {type(exc).__name__}") from exc
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise RequestMaybeApplied(BACKEND, f"GoAlert did not answer ({what}): {type(exc).__name__}") from exc


def raise_for_status(response: httpx.Response, what: str) -> None:
    """Non-2xx answers: 5xx and 429 are transient, the rest is GoAlert refusing the request."""
    status = response.status_code
    if status < 300:
        return
    message = _short_text(response)
    if status >= 500 or status == 429:
        raise BackendUnavailable(BACKEND, f"GoAlert answered {status} ({what}): {message}", status_code=status)
    raise BackendRejected(BACKEND, f"GoAlert refused {what} ({status}): {message}", status_code=status)


def json_body(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise BackendProtocolError(BACKEND, f"GoAlert answered {what} with malformed JSON") from exc


def call_resilient(fn: Callable[[], T], breaker: CircuitBreaker, *, idempotent: bool,
                   attempts: int, sleep: Callable[[float], None]) -> T:
    """Retry transient failures through the breaker; a request that may already have been applied
    is retried only when repeating it cannot do harm."""

    def once() -> T:
        try:
            return breaker.call(fn)
        except RequestMaybeApplied as exc:
            if idempotent:
                raise
            # counted by the breaker above; surface it as plain BackendUnavailable, not retried
            raise _NotRetried(exc) from exc

    try:
        return retry(once, attempts=attempts, sleep=sleep)
    except _NotRetried as wrapper:
        raise wrapper.original from wrapper.original.__cause__


class _NotRetried(BackendRejected):
    """Internal carrier: a non-retryable wrapper for a maybe-applied failure."""

    def __init__(self, original: BackendUnavailable) -> None:
        super().__init__(BACKEND, str(original))
        self.original = original


def _short_text(response: httpx.Response, limit: int = 300) -> str:
    try:
        text = response.text.strip()
    except UnicodeDecodeError:
        text = ""
    return text[:limit] or response.reason_phrase
