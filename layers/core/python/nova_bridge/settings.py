"""One settings model for every function, the local runner and the tools.

Locally everything comes from the environment. Deployed, secrets are named by ARN in the
environment (`*_SECRET_ARN`) and read from Secrets Manager on first use by `secret_value`, so no
secret ever sits in a Lambda environment variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    env: str = "local"
    database_url: str | None = None
    db_iam_auth: bool = False
    event_bus_name: str = "nova-monitoring"
    public_url: str = "http://127.0.0.1:8080"
    kuma_url: str | None = None
    kuma_username: str | None = None
    kuma_password: str | None = field(default=None, repr=False)
    kuma_secret_arn: str | None = None
    goalert_url: str | None = None
    goalert_secret_arn: str | None = None
    comms_url: str | None = None
    comms_secret_arn: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_secret_arn: str | None = None
    max_body_bytes: int = 256 * 1024
    # Claim names are configuration: Nova Helix owns the token format.
    claim_user: str = "sub"
    claim_tenant: str = "tenant_id"
    claim_role: str = "role"
    claim_email: str = "email"
    claim_name: str = "name"

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            env=_env("NOVA_ENV", "local"),
            database_url=_env("NOVA_DATABASE_URL"),
            db_iam_auth=_env("NOVA_DB_IAM_AUTH", "false") == "true",
            event_bus_name=_env("NOVA_EVENT_BUS_NAME", "nova-monitoring"),
            public_url=_env("NOVA_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/"),
            kuma_url=_env("KUMA_URL"),
            kuma_username=_env("KUMA_USERNAME"),
            kuma_password=_env("KUMA_PASSWORD"),
            kuma_secret_arn=_env("KUMA_SECRET_ARN"),
            goalert_url=_env("GOALERT_URL"),
            goalert_secret_arn=_env("GOALERT_SECRET_ARN"),
            comms_url=_env("NOVA_COMMS_URL"),
            comms_secret_arn=_env("NOVA_COMMS_SECRET_ARN"),
            webhook_secret=_env("NOVA_WEBHOOK_SECRET"),
            webhook_secret_arn=_env("NOVA_WEBHOOK_SECRET_ARN"),
            max_body_bytes=int(_env("NOVA_MAX_BODY_BYTES", str(256 * 1024))),
            claim_user=_env("NOVA_JWT_CLAIM_USER", "sub"),
            claim_tenant=_env("NOVA_JWT_CLAIM_TENANT", "tenant_id"),
            claim_role=_env("NOVA_JWT_CLAIM_ROLE", "role"),
            claim_email=_env("NOVA_JWT_CLAIM_EMAIL", "email"),
            claim_name=_env("NOVA_JWT_CLAIM_NAME", "name"),
        )

    @property
    def kuma_configured(self) -> bool:
        return bool(self.kuma_url and (self.kuma_secret_arn or (self.kuma_username and self.kuma_password)))

    @property
    def goalert_configured(self) -> bool:
        return bool(self.goalert_url)

    @property
    def comms_configured(self) -> bool:
        return bool(self.comms_url)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
