"""JSON secrets: a small store protocol, AWS Secrets Manager behind it when deployed, a dict in
tests. boto3 is imported only when the Secrets Manager store is first used (cold starts)."""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

from nova_bridge.errors import BackendError, BackendProtocolError, BackendRejected, BackendUnavailable


class SecretStore(Protocol):
    def get(self, secret_id: str) -> dict[str, Any] | None:
        """The secret's JSON object, or None when it does not exist."""

    def put(self, secret_id: str, value: dict[str, Any]) -> None:
        """Create the secret or store a new version of it."""


class InMemorySecretStore:
    def __init__(self, initial: dict[str, dict[str, Any]] | None = None) -> None:
        self._values = {k: json.loads(json.dumps(v)) for k, v in (initial or {}).items()}
        self._lock = threading.Lock()

    def get(self, secret_id: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._values.get(secret_id)
            return json.loads(json.dumps(value)) if value is not None else None

    def put(self, secret_id: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._values[secret_id] = json.loads(json.dumps(value))


class SecretsManagerStore:
    def __init__(self, client: Any = None, *, region_name: str | None = None) -> None:
        self._client = client
        self._region_name = region_name
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3  # lazily: only the functions that read secrets pay for it

                self._client = boto3.client("secretsmanager", region_name=self._region_name)
            return self._client

    def get(self, secret_id: str) -> dict[str, Any] | None:
        client = self.client
        try:
            answer = client.get_secret_value(SecretId=secret_id)
        except client.exceptions.ResourceNotFoundException:
            return None
        except Exception as exc:  # botocore's many error types, mapped once for every caller
            raise _backend_error(exc, secret_id) from exc
        try:
            value = json.loads(answer["SecretString"])
        except (KeyError, TypeError, ValueError):
            value = None
        if not isinstance(value, dict):
            raise BackendProtocolError("secretsmanager", f"secret {secret_id} does not hold a JSON object")
        return value

    def put(self, secret_id: str, value: dict[str, Any]) -> None:
        client = self.client
        text = json.dumps(value)
        try:
            client.put_secret_value(SecretId=secret_id, SecretString=text)
        except client.exceptions.ResourceNotFoundException:
            client.create_secret(Name=secret_id, SecretString=text)


def _backend_error(exc: Exception, secret_id: str) -> BackendError:
    """Throttling, 5xx, timeouts and unreachable endpoints can pass; a refusal (AccessDenied,
    a deleted or undecryptable secret) needs an operator."""
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code and status < 500 and code not in ("ThrottlingException", "InternalServiceError"):
        return BackendRejected("secretsmanager", f"reading {secret_id} was refused: {code}")
    return BackendUnavailable("secretsmanager", f"reading {secret_id} failed: {type(exc).__name__}: {exc}")

