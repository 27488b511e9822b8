"""Shared-secret checks for inbound webhooks (Kuma signs nothing; GoAlert sends no auth)."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from nova_bridge.errors import IntegrationNotConfigured, Unauthorized
from nova_bridge.settings import Settings

KUMA_SECRET_HEADER = "x-nova-webhook-secret"


@lru_cache(maxsize=4)
def _secret_from_store(secret_arn: str) -> str:
    from nova_bridge.adapters.secrets import SecretsManagerStore

    value = SecretsManagerStore().get(secret_arn) or {}
    return str(value.get("webhook_secret", ""))


def _master_secret(settings: Settings) -> str:
    if settings.webhook_secret:
        return settings.webhook_secret
    if settings.webhook_secret_arn:
        secret = _secret_from_store(settings.webhook_secret_arn)
        if secret:
            return secret
    raise IntegrationNotConfigured("webhooks", "No webhook secret is configured (NOVA_WEBHOOK_SECRET).")


def webhook_secret(settings: Settings, purpose: str = "kuma") -> str:
    """The secret for one purpose ("kuma" header, "goalert" URL path token, "alert-actions" link
    signing), derived from the one master secret: a value leaked from one place (GoAlert keeps its
    webhook URLs in its own database) opens none of the others."""
    master = _master_secret(settings)
    return hmac.new(master.encode(), f"nova-bridge:{purpose}".encode(), hashlib.sha256).hexdigest()


def check_secret(presented: str | None, expected: str) -> None:
    # compare_digest takes time independent of where the strings differ.
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Unauthorized("Missing or wrong webhook secret.")
