"""Provision the GoAlert GraphQL API key for the bridge's operations document.

Run once with admin credentials (and again after the document changes):

    python -m nova_bridge.adapters.goalert.bootstrap --url https://goalert.internal \
        --username admin --password-env GOALERT_ADMIN_PASSWORD --secret-id nova/goalert

It logs in for a session token, creates an admin API key bound to the current document (named by
the document's hash) and stores {url, api_key, api_key_id, document_sha256, created_at,
expires_at} in the secret store. A stored key for the same document and URL that still works is
kept; otherwise a new key is created, stored, and the old one deleted. The token is never printed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from nova_bridge.adapters.goalert.client import GoAlertClient, GoAlertCredentials, iso
from nova_bridge.adapters.goalert.documents import api_key_name, operations_document
from nova_bridge.adapters.secrets import SecretStore
from nova_bridge.errors import BackendError, BackendRejected, IntegrationNotConfigured

logger = logging.getLogger(__name__)

DEFAULT_SECRET_ID = "nova-bridge/goalert"


@dataclass(frozen=True)
class BootstrapResult:
    action: str  # "created", "rotated" or "unchanged"
    api_key_id: str
    document_sha256: str
    secret_id: str


def bootstrap_api_key(url: str, username: str, password: str, store: SecretStore, *,
                      secret_id: str = DEFAULT_SECRET_ID, valid_days: int = 365,
                      transport: httpx.BaseTransport | None = None, timeout: float = 10.0,
                      webhook_allowed_urls: list[str] | None = None,
                      now: datetime | None = None) -> BootstrapResult:
    url = url.rstrip("/")
    document = operations_document()
    stored = store.get(secret_id)
    now = now or datetime.now(timezone.utc)

    if stored and stored.get("document_sha256") == document.sha256 and stored.get("url") == url \
            and _key_still_works(url, stored, transport, timeout):
        result = BootstrapResult("unchanged", stored.get("api_key_id", ""), document.sha256, secret_id)
    else:
        with GoAlertClient(url, credentials=GoAlertCredentials(username=username, password=password),
                           timeout=timeout, transport=transport) as admin:
            created = admin.create_gql_api_key(
                api_key_name(document),
                description=f"Nova bridge operations document sha256 {document.sha256}",
                expires_at=now + timedelta(days=valid_days), role="admin", query=document.text)
            # Merged into what the secret holds (the deployed secret also keeps the admin login).
            store.put(secret_id, {
                **(stored or {}),
                "url": url, "api_key": created.token, "api_key_id": created.id,
                "document_sha256": document.sha256, "created_at": iso(now),
                "expires_at": iso(now + timedelta(days=valid_days)),
            })
            old_id = (stored or {}).get("api_key_id")
            if old_id and old_id != created.id and (stored or {}).get("url") == url:
                _delete_quietly(admin, old_id)
        result = BootstrapResult("rotated" if stored else "created", created.id, document.sha256, secret_id)

    if webhook_allowed_urls is not None:
        with GoAlertClient(url, credentials=GoAlertCredentials(username=username, password=password),
                           timeout=timeout, transport=transport) as admin:
            admin.enable_webhooks(webhook_allowed_urls)
    logger.info("GoAlert API key %s (%s) for document %s", result.action, result.api_key_id,
                document.short_hash)
    return result


def credentials_from_secret(secret: dict[str, Any]) -> GoAlertCredentials:
    """What a worker builds its GoAlertClient with; refuses a key made for another document."""
    if not secret.get("api_key"):
        raise IntegrationNotConfigured("goalert", "The GoAlert secret holds no API key yet: run the GoAlert bootstrap.")
    if secret.get("document_sha256") != operations_document().sha256:
        raise BackendRejected("goalert", "the stored GoAlert API key was made for another operations "
                                         "document: run the GoAlert bootstrap again")
    return GoAlertCredentials(api_key=secret["api_key"])


def _key_still_works(url: str, stored: dict[str, Any], transport: httpx.BaseTransport | None,
                     timeout: float) -> bool:
    try:
        with GoAlertClient(url, credentials=GoAlertCredentials(api_key=stored["api_key"]),
                           timeout=timeout, transport=transport, attempts=1) as probe:
            probe.ping()
        return True
    except BackendRejected:  # revoked, expired or bound to another text: replace it
        return False


def _delete_quietly(admin: GoAlertClient, key_id: str) -> None:
    try:
        admin.delete_gql_api_key(key_id)
    except BackendError as exc:  # the new key is stored already; an old key only expires later
        logger.warning("could not delete old GoAlert API key %s: %s", key_id, exc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nova_bridge.adapters.goalert.bootstrap",
                                     description="Create or rotate the bridge's GoAlert GraphQL API key.")
    parser.add_argument("--url", required=True, help="GoAlert base URL")
    parser.add_argument("--username", required=True, help="GoAlert admin username")
    parser.add_argument("--password", help="admin password (prefer --password-env or the prompt)")
    parser.add_argument("--password-env", help="name of an environment variable holding the password")
    parser.add_argument("--secret-id", default=DEFAULT_SECRET_ID, help="Secrets Manager secret id")
    parser.add_argument("--region", default=None, help="AWS region of the secret")
    parser.add_argument("--valid-days", type=int, default=365, help="API key lifetime in days")
    parser.add_argument("--enable-webhooks", action="append", metavar="URL_PREFIX",
                        help="also enable GoAlert webhooks, allowed for this URL prefix (repeatable)")
    args = parser.parse_args(argv)

    password = args.password or (os.environ.get(args.password_env) if args.password_env else None) \
        or getpass.getpass("GoAlert admin password: ")
    from nova_bridge.adapters.secrets import SecretsManagerStore

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        result = bootstrap_api_key(args.url, args.username, password, SecretsManagerStore(region_name=args.region),
                                   secret_id=args.secret_id, valid_days=args.valid_days,
                                   webhook_allowed_urls=args.enable_webhooks)
    except BackendError as exc:
        print(f"bootstrap failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"action": result.action, "api_key_id": result.api_key_id,
                      "document_sha256": result.document_sha256, "secret_id": result.secret_id}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
