"""API contract of integration management: health, sync and configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from nova_bridge.schemas.common import ApiModel


class BackendHealth(ApiModel):
    name: Literal["database", "uptime_kuma", "goalert", "nova_comms"]
    configured: bool
    status: Literal["healthy", "degraded", "unhealthy", "unknown", "not_configured"]
    version: str | None = None
    latency_ms: float | None = None
    circuit: Literal["closed", "open", "half_open"] | None = None
    last_successful_sync: datetime | None = None
    error: str | None = None


class QueueHealth(ApiModel):
    outbox_pending: int = Field(description="Committed events not yet on the bus.")
    oldest_pending_seconds: float | None = None
    failed_events: int = Field(description="Events that exhausted their retries.")
    monitors_pending_sync: int
    monitors_failed_sync: int


class IntegrationHealth(ApiModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    backends: list[BackendHealth]
    queues: QueueHealth
    checked_at: datetime


class SyncRequest(ApiModel):
    dry_run: bool = Field(False, description="Report what would change without changing anything.")
    import_unmanaged: bool = Field(False, description="Adopt monitors that exist only in Kuma into this tenant.")
    targets: list[Literal["uptime_kuma", "goalert"]] = Field(
        default_factory=lambda: ["uptime_kuma", "goalert"], description="Backends to reconcile.")


class SyncChange(ApiModel):
    backend: str
    action: str
    monitor_id: str | None = None
    remote_id: str | None = None
    detail: str = ""


class SyncReport(ApiModel):
    dry_run: bool
    started_at: datetime
    finished_at: datetime
    changes: list[SyncChange]
    errors: list[str] = Field(default_factory=list)


class IntegrationConfig(ApiModel):
    environment: str
    public_url: str
    kuma_url: str | None
    kuma_configured: bool
    goalert_url: str | None
    goalert_configured: bool
    comms_configured: bool
    webhook_urls: dict[str, str] = Field(description="Where Kuma and GoAlert must send their webhooks (secrets elided).")
    event_bus: str
