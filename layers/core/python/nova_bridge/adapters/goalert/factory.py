"""Build the GoAlert backend (GraphQL client + generic ingest) from settings, once per execution
environment.

Credentials, in order: the secret named by GOALERT_SECRET_ARN (written by the bootstrap, read
from Secrets Manager), else GOALERT_API_KEY, else GOALERT_USERNAME/GOALERT_PASSWORD (a session
token: a local fallback only). Both clients share the per-URL circuit breaker.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from nova_bridge.adapters.goalert import _http
from nova_bridge.adapters.goalert.client import GoAlertClient, GoAlertCredentials
from nova_bridge.adapters.goalert.ingest import GenericIngest
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.adapters.secrets import SecretStore
from nova_bridge.errors import IntegrationNotConfigured
from nova_bridge.settings import Settings

INTEGRATION = "goalert"


@dataclass
class GoAlertBackend:
    """What workers and handlers use: `client` for GraphQL, `ingest` for trigger/close."""

    client: GoAlertClient
    ingest: GenericIngest
    breaker: CircuitBreaker

    def probe(self) -> dict[str, Any]:
        """Health: reachability, latency and the circuit's state (raises when unreachable)."""
        result = self.client.ping()
        return {"latency_ms": result.latency_ms, "circuit": self.breaker.state}


def build_backend(url: str, credentials: GoAlertCredentials, *, transport: httpx.BaseTransport | None = None,
                  breaker: CircuitBreaker | None = None, timeout: float = 5.0, attempts: int = 3,
                  sleep: Any = None) -> GoAlertBackend:
    breaker = breaker or _http.shared_breaker(url.rstrip("/"))
    extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
    client = GoAlertClient(url, credentials=credentials, transport=transport, breaker=breaker, timeout=timeout,
                           attempts=attempts, **extra)
    ingest = GenericIngest(url, transport=transport, breaker=breaker, timeout=timeout, attempts=attempts, **extra)
    return GoAlertBackend(client=client, ingest=ingest, breaker=breaker)


def resolve_credentials(settings: Settings, store: SecretStore | None = None) -> tuple[str, GoAlertCredentials]:
    """(base URL, credentials) from settings; IntegrationNotConfigured when there are none."""
    url = settings.goalert_url
    if settings.goalert_secret_arn:
        from nova_bridge.adapters.goalert.bootstrap import credentials_from_secret

        if store is None:
            from nova_bridge.adapters.secrets import SecretsManagerStore

            store = SecretsManagerStore()
        secret = store.get(settings.goalert_secret_arn)
        if not secret:
            raise IntegrationNotConfigured(INTEGRATION, "The GoAlert secret is empty: run the GoAlert bootstrap.")
        url = url or secret.get("url")
        credentials = credentials_from_secret(secret)
    elif os.environ.get("GOALERT_API_KEY"):
        credentials = GoAlertCredentials(api_key=os.environ["GOALERT_API_KEY"])
    elif os.environ.get("GOALERT_USERNAME") and os.environ.get("GOALERT_PASSWORD"):
        credentials = GoAlertCredentials(username=os.environ["GOALERT_USERNAME"],
                                         password=os.environ["GOALERT_PASSWORD"])
    else:
        raise IntegrationNotConfigured(INTEGRATION, "GoAlert has no credentials (GOALERT_SECRET_ARN, "
                                                    "GOALERT_API_KEY or GOALERT_USERNAME/GOALERT_PASSWORD).")
    if not url:
        raise IntegrationNotConfigured(INTEGRATION)
    return url.rstrip("/"), credentials


_cache: dict[str, GoAlertBackend] = {}
_cache_lock = threading.Lock()


def goalert_backend(settings: Settings, *, store: SecretStore | None = None) -> GoAlertBackend:
    """The cached backend for these settings (one per execution environment)."""
    url, credentials = resolve_credentials(settings, store)
    fingerprint = hashlib.sha256(repr((url, credentials.api_key, credentials.username,
                                       credentials.password)).encode()).hexdigest()
    with _cache_lock:
        backend = _cache.get(fingerprint)
        if backend is None:
            backend = _cache[fingerprint] = build_backend(url, credentials)
        return backend


def backend_or_none(deps: Any) -> GoAlertBackend | None:
    """A worker's GoAlert backend, or None while GoAlert is not (fully) configured: the work then
    waits (sync state `pending`) instead of failing."""
    try:
        return deps.goalert()
    except IntegrationNotConfigured:
        return None
