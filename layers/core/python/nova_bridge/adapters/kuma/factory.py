"""Build the Kuma client from settings, once per execution environment.

Credentials: KUMA_USERNAME/KUMA_PASSWORD locally, or the Secrets Manager secret named by
KUMA_SECRET_ARN (JSON `{username, password}`, optionally `url`) when deployed. The client is kept
at module level so a warm Lambda reuses its logged-in Socket.IO session (a login costs Kuma's
whole push burst); the token cache and circuit breaker are per URL in the client module.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

from nova_bridge.errors import IntegrationNotConfigured
from nova_bridge.settings import Settings

INTEGRATION = "uptime_kuma"
DEFAULT_TIMEOUT = 10.0

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def resolve_credentials(settings: Settings, store: Any = None) -> tuple[str, str, str] | None:
    """(url, username, password), or None when Kuma is not configured."""
    if not settings.kuma_url and not settings.kuma_secret_arn:
        return None
    url, username, password = settings.kuma_url, settings.kuma_username, settings.kuma_password
    if settings.kuma_secret_arn:
        if store is None:
            from nova_bridge.adapters.secrets import SecretsManagerStore

            store = SecretsManagerStore()
        secret = store.get(settings.kuma_secret_arn) or {}
        username = secret.get("username") or username
        password = secret.get("password") or password
        url = url or secret.get("url")
    if not (url and username and password):
        return None
    return url.rstrip("/"), str(username), str(password)


def kuma_client(settings: Settings, *, store: Any = None, timeout: float | None = None) -> Any:
    """The shared KumaClient for these settings (connects lazily), or None when not configured."""
    credentials = resolve_credentials(settings, store)
    if credentials is None:
        return None
    url, username, password = credentials
    fingerprint = hashlib.sha256(f"{url}|{username}|{password}".encode()).hexdigest()
    with _lock:
        client = _clients.get(fingerprint)
        if client is None:
            from nova_bridge.adapters.kuma.client import KumaClient

            wait = timeout if timeout is not None else float(os.environ.get("KUMA_TIMEOUT_SECONDS", DEFAULT_TIMEOUT))
            client = _clients[fingerprint] = KumaClient(url, username, password, timeout=wait)
        return client


def require_kuma_client(settings: Settings, *, store: Any = None) -> Any:
    """Like kuma_client, but a 503 problem naming uptime_kuma when it is not configured."""
    client = kuma_client(settings, store=store)
    if client is None:
        raise IntegrationNotConfigured(INTEGRATION)
    return client


def forget_clients() -> None:
    """Close and drop the cached clients (tests, a rotated password)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
