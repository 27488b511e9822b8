"""Client for GoAlert's generic incoming API (`POST /api/v2/generic/incoming?token=<key id>`).

The integration key is the credential. Every call carries a stable `dedup` chosen by the caller:
GoAlert then keeps one open alert per dedup, and `close` with the same dedup closes exactly it
(Uptime Kuma's own notifier sends none, which is why its closes miss).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from nova_bridge.adapters.goalert import _http
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.errors import BackendProtocolError

INGEST_PATH = "/api/v2/generic/incoming"


@dataclass(frozen=True)
class IngestResult:
    alert_id: int | None  # None when a close matched no open alert
    service_id: str | None
    is_new: bool


class GenericIngest:
    def __init__(self, base_url: str, *, timeout: float = 5.0, transport: httpx.BaseTransport | None = None,
                 breaker: CircuitBreaker | None = None, attempts: int = 3,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  follow_redirects=False, headers={"User-Agent": "nova-bridge"})
        self.breaker = breaker or _http.shared_breaker(self.base_url)
        self._attempts = attempts
        self._sleep = sleep

    def close_client(self) -> None:
        self._http.close()

    def trigger(self, token: str, summary: str, details: str = "", *, dedup: str) -> IngestResult:
        """Open (or find the open) alert for `dedup`."""
        return self._post(token, {"summary": summary, "details": details, "dedup": dedup})

    def close(self, token: str, *, dedup: str) -> IngestResult:
        """Close the open alert for `dedup`; a no-op when there is none."""
        return self._post(token, {"summary": "close", "action": "close", "dedup": dedup})

    def _post(self, token: str, body: dict[str, str]) -> IngestResult:
        if not token:
            raise ValueError("an integration key token is required")
        if not body.get("dedup"):
            raise ValueError("a stable dedup key is required")

        def once() -> IngestResult:
            request = self._http.build_request("POST", INGEST_PATH, params={"token": token}, json=body,
                                               headers={"Accept": "application/json"})
            response = _http.send(self._http, request, "generic ingest")
            _http.raise_for_status(response, "generic ingest")
            return _parse(response)

        # Same dedup, same outcome: repeating a lost request is harmless.
        return _http.call_resilient(once, self.breaker, idempotent=True, attempts=self._attempts,
                                    sleep=self._sleep)


def _parse(response: httpx.Response) -> IngestResult:
    if response.status_code == 204:  # GoAlert answers 204 when it did not see our Accept header
        raise BackendProtocolError(_http.BACKEND, "GoAlert ingest answered 204 without the alert id")
    payload = _http.json_body(response, "generic ingest")
    if not isinstance(payload, dict) or "AlertID" not in payload:
        raise BackendProtocolError(_http.BACKEND, "GoAlert ingest answer has no AlertID")
    alert_id = payload.get("AlertID")
    if alert_id is not None and not isinstance(alert_id, int):
        raise BackendProtocolError(_http.BACKEND, "GoAlert ingest AlertID is not an integer")
    return IngestResult(alert_id=alert_id or None, service_id=payload.get("ServiceID") or None,
                        is_new=bool(payload.get("IsNew", False)))
