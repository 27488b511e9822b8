"""Nova Comms client: the primary delivery path for alert notifications.

Nova Comms publishes no contract yet, so the whole wire shape lives here and nowhere else:

    POST {NOVA_COMMS_URL}/api/v1/notifications
    Authorization: Bearer <api_key>            (secret NOVA_COMMS_SECRET_ARN: {"api_key": ...})
    Idempotency-Key: <event_id>:<channel>      (a retried page is not delivered twice by Comms)
    Content-Type: application/json

    {"channel": "email" | "sms" | "push" | "slack",
     "template": "monitoring_alert",
     "priority": "high" | "normal",
     "tenant_id": "...",
     "recipient": {"user_id": "...", "email": "...", "phone": "...", "name": "..."},
     "content": {"subject": "...", "text": "...", "html": "...", "short_text": "..."},
     "data": {...alert facts and action links, for Comms' own templates...}}

    2xx -> {"id": "<comms notification id>", "status": "queued" | "sent"}

Errors: connection refused / timeouts / 5xx / 429 -> BackendUnavailable; other 4xx ->
BackendRejected; a 2xx without a JSON object carrying "id" -> BackendProtocolError. One breaker per
Comms URL for the execution environment, no retries here: the notifier's fallback is the retry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.errors import BackendProtocolError, BackendRejected, BackendUnavailable, IntegrationNotConfigured
from nova_bridge.settings import Settings

BACKEND = "nova_comms"
NOTIFICATIONS_PATH = "/api/v1/notifications"
TEMPLATE = "monitoring_alert"
# Comms is one hop in a page: fail fast and let the fallback deliver.
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)

_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(base_url: str) -> CircuitBreaker:
    with _breakers_lock:
        return _breakers.setdefault(base_url, CircuitBreaker(BACKEND, failure_threshold=3, reset_seconds=30.0))


@dataclass(frozen=True)
class CommsNotification:
    """One notification to one user on one channel (the request body, built in one place)."""

    channel: str
    tenant_id: str
    recipient: dict[str, str | None]
    subject: str
    text: str
    html: str
    short_text: str
    urgent: bool
    idempotency_key: str
    data: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "template": TEMPLATE,
            "priority": "high" if self.urgent else "normal",
            "tenant_id": self.tenant_id,
            "recipient": {k: v for k, v in self.recipient.items() if v},
            "content": {"subject": self.subject, "text": self.text, "html": self.html, "short_text": self.short_text},
            "data": self.data,
        }


class CommsClient:
    def __init__(self, base_url: str, api_key: str | None, *, transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT, breaker: CircuitBreaker | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker or breaker_for(self.base_url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def send(self, notification: CommsNotification) -> str:
        """Hand the notification to Comms; the Comms id on acceptance."""
        return self.breaker.call(lambda: self._send(notification))

    def _send(self, notification: CommsNotification) -> str:
        try:
            response = self._http.post(NOTIFICATIONS_PATH, json=notification.body(),
                                       headers={"Idempotency-Key": notification.idempotency_key})
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(BACKEND, f"Nova Comms timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise BackendUnavailable(BACKEND, f"Nova Comms unreachable: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status >= 500 or status == 429:
            raise BackendUnavailable(BACKEND, f"Nova Comms answered {status}: {_excerpt(response)}", status_code=status)
        if status >= 300:
            raise BackendRejected(BACKEND, f"Nova Comms refused the notification ({status}): {_excerpt(response)}",
                                  status_code=status)
        try:
            answer = response.json()
        except ValueError as exc:
            raise BackendProtocolError(BACKEND, f"Nova Comms answered {status} without JSON") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), (str, int)) or answer["id"] == "":
            raise BackendProtocolError(BACKEND, f"Nova Comms answered {status} without a notification id")
        return str(answer["id"])

    def close(self) -> None:
        self._http.close()


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    return (response.text or response.reason_phrase or "").strip()[:limit]


def comms_client(settings: Settings, secrets: Any = None) -> CommsClient:
    """The deployed client: URL from settings, API key from Secrets Manager (read once)."""
    if not settings.comms_url:
        raise IntegrationNotConfigured("nova_comms", "NOVA_COMMS_URL is not set.")
    api_key = None
    if settings.comms_secret_arn:
        if secrets is None:
            from nova_bridge.adapters.secrets import SecretsManagerStore

            secrets = SecretsManagerStore()
        api_key = (secrets.get(settings.comms_secret_arn) or {}).get("api_key")
    return CommsClient(settings.comms_url, api_key)
