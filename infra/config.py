"""Per-environment settings, read from the `nova:environments` context of cdk.json."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
CONTEXT_KEY = "nova:environments"
PROJECT = "nova-bridge"


@dataclass(frozen=True)
class EnvironmentConfig:
    """One environment's sizes, names and integration settings (all from cdk.json)."""

    name: str
    jwt_issuer: str
    jwt_audience: tuple[str, ...]
    alarm_email: str
    cors_origins: tuple[str, ...]
    ses_identity: str  # domain (or address) SES sends from
    sender_address: str
    comms_url: str
    account: str | None = None
    region: str | None = None
    api_domain: str | None = None  # public base URL when a custom domain is mapped outside this app
    max_azs: int = 2
    nat_gateways: int = 1
    aurora_min_acu: float = 0.5
    aurora_max_acu: float = 2.0
    aurora_reader: bool = False
    kuma_db_instance_type: str = "t4g.micro"
    kuma_db_multi_az: bool = False
    kuma_db_storage_gb: int = 20
    backup_retention_days: int = 7
    deletion_protection: bool = False
    log_retention_days: int = 30
    lambda_memory_mb: int = 512
    goalert_cpu: int = 512
    goalert_memory_mb: int = 1024
    kuma_cpu: int = 512
    kuma_memory_mb: int = 1024
    backend_desired_count: int = 1
    throttle_rate: int = 50
    throttle_burst: int = 100
    event_archive_retention_days: int = 30
    queue_age_alarm_seconds: int = 300
    admin_cidrs: tuple[str, ...] = ()  # networks (VPN, bastion) allowed to reach the backends' load balancers
    jwt_claims: dict[str, str] = field(default_factory=dict)  # NOVA_JWT_CLAIM_<NAME> -> claim

    @property
    def prefix(self) -> str:
        """Prefix of every physical name: two environments can share an account."""
        return f"{PROJECT}-{self.name}"

    @property
    def is_prod(self) -> bool:
        return self.name == "prod"

    @property
    def public_url(self) -> str | None:
        return f"https://{self.api_domain}" if self.api_domain else None

    @classmethod
    def from_context(cls, name: str, environments: dict[str, dict[str, Any]]) -> EnvironmentConfig:
        if name not in ENVIRONMENTS:
            raise ValueError(f"unknown environment {name!r}; expected one of {', '.join(ENVIRONMENTS)}")
        if name not in environments:
            raise ValueError(f"cdk.json context {CONTEXT_KEY!r} has no entry for {name!r}")
        raw = dict(environments[name])
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown settings for {name!r}: {', '.join(sorted(unknown))}")
        for key in ("jwt_audience", "cors_origins", "admin_cidrs"):
            if key in raw:
                raw[key] = tuple(raw[key])
        return cls(name=name, **raw)


def log_retention(days: int):
    """CloudWatch Logs retention for a number of days (rounded up to a value Logs accepts)."""
    from aws_cdk.aws_logs import RetentionDays

    choices = [
        (1, RetentionDays.ONE_DAY), (3, RetentionDays.THREE_DAYS), (7, RetentionDays.ONE_WEEK),
        (14, RetentionDays.TWO_WEEKS), (30, RetentionDays.ONE_MONTH), (90, RetentionDays.THREE_MONTHS),
        (180, RetentionDays.SIX_MONTHS), (365, RetentionDays.ONE_YEAR), (731, RetentionDays.TWO_YEARS),
    ]
    for limit, retention in choices:
        if days <= limit:
            return retention
    return RetentionDays.TEN_YEARS
