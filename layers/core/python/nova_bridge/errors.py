"""Exceptions shared by the domain, the adapters and the API runtime.

Each carries the HTTP status and RFC 9457 fields the API answers with, so a handler never has to
map errors itself and nothing unexpected turns into a 500 with internals in it.
"""

from __future__ import annotations

from typing import Any


class BridgeError(Exception):
    status: int = 500
    title: str = "Internal error"
    slug: str = "internal"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra  # extra problem members, e.g. errors=[...], integration="kuma"


class InvalidRequest(BridgeError):
    status, title, slug = 400, "Invalid request", "invalid-request"


class ValidationFailed(BridgeError):
    status, title, slug = 422, "Validation failed", "validation-failed"


class Unauthorized(BridgeError):
    status, title, slug = 401, "Authentication required", "unauthorized"


class Forbidden(BridgeError):
    status, title, slug = 403, "Permission denied", "forbidden"


class NotFound(BridgeError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(BridgeError):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(BridgeError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(BridgeError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class IntegrationNotConfigured(BridgeError):
    """A route or job needs a backend (Kuma, GoAlert, Comms) that has no configuration yet."""

    status, title, slug = 503, "Integration not configured", "integration-not-configured"

    def __init__(self, integration: str, detail: str = "") -> None:
        super().__init__(detail or f"The {integration} integration is not configured.", integration=integration)
        self.integration = integration


# --- external calls ---------------------------------------------------------------------------


class BackendError(BridgeError):
    """An external system (Kuma, GoAlert, Comms, AWS) failed. `retryable` tells workers whether a
    later attempt can succeed (timeouts, refused connections, 5xx) or not (a rejected request)."""

    status, title, slug = 502, "Backend error", "backend-error"
    retryable: bool = True

    def __init__(self, backend: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or f"{backend} failed", backend=backend, **extra)
        self.backend = backend


class BackendUnavailable(BackendError):
    """Timeout, refused connection, 5xx, or an open circuit breaker."""

    status, title, slug = 503, "Backend unavailable", "backend-unavailable"
    retryable = True


class BackendRejected(BackendError):
    """The backend understood the request and refused it (Kuma ok:false, GraphQL errors, 4xx)."""

    status, title, slug = 502, "Backend rejected the request", "backend-rejected"
    retryable = False


class BackendProtocolError(BackendError):
    """The backend answered something that is not what its protocol promises."""

    status, title, slug = 502, "Malformed backend answer", "backend-protocol-error"
    retryable = True
