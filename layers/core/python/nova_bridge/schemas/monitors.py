"""API contract of monitors: request and response models (they feed the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field, model_validator

from nova_bridge.schemas.common import ApiModel, Page, PageQuery

MonitorType = Literal["http", "keyword", "port", "ping", "push"]
Severity = Literal["critical", "high", "medium", "low"]
SyncState = Literal["pending", "synced", "failed", "disabled"]
MonitorStatus = Literal["up", "down", "pending", "maintenance", "paused", "unknown"]

_NEEDS_URL = {"http", "keyword"}
_NEEDS_HOST = {"port", "ping"}


class EscalationStep(ApiModel):
    delay_minutes: int = Field(5, ge=0, le=1440, description="Minutes before this step escalates to the next.")
    user_ids: list[UUID] = Field(default_factory=list, description="Nova user ids notified at this step.")
    schedule_ids: list[str] = Field(default_factory=list, description="GoAlert schedule ids at this step.")
    rotation_ids: list[str] = Field(default_factory=list, description="GoAlert rotation ids at this step.")

    @model_validator(mode="after")
    def _has_target(self) -> "EscalationStep":
        if not (self.user_ids or self.schedule_ids or self.rotation_ids):
            raise ValueError("an escalation step needs at least one user, schedule or rotation")
        return self


class EscalationPolicySpec(ApiModel):
    name: str | None = Field(None, max_length=200, description="Policy name; defaults to the monitor's name.")
    repeat: int = Field(3, ge=0, le=5, description="Times the whole policy repeats if nobody acknowledges.")
    steps: list[EscalationStep] = Field(min_length=1, max_length=10, description="Escalation steps, in order.")


class AlertingSpec(ApiModel):
    enabled: bool = Field(False, description="Page through GoAlert when the monitor goes down.")
    service_id: str | None = Field(None, max_length=64, description="Join this existing GoAlert service.")
    service_name: str | None = Field(None, max_length=200, description="Name of the GoAlert service to create.")
    escalation_policy_id: str | None = Field(None, max_length=64, description="Existing GoAlert escalation policy.")
    escalation_policy: EscalationPolicySpec | None = Field(None, description="Policy to build for this monitor.")
    flap_guard_seconds: int = Field(0, ge=0, le=3600,
                                    description="Wait this long after DOWN before paging; an UP within it pages nobody.")


class MonitorFields(ApiModel):
    """Fields shared by create and update."""

    name: str = Field(min_length=1, max_length=150, description="Display name.")
    type: MonitorType = Field(description="Check kind: http, keyword, port, ping or push (heartbeat).")
    description: str | None = Field(None, max_length=2000, description="Free text for operators.")
    url: str | None = Field(None, max_length=2048, pattern=r"^https?://\S+$", description="Target URL (http, keyword).")
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = Field(
        "GET", description="HTTP method (http, keyword).")
    keyword: str | None = Field(None, max_length=500, description="Text the response must contain (keyword).")
    invert_keyword: bool = Field(False, description="DOWN when the keyword is present instead of absent.")
    hostname: str | None = Field(None, max_length=255, pattern=r"^[A-Za-z0-9.:\-\[\]]+$",
                                 description="Target host (port, ping).")
    port: int | None = Field(None, ge=1, le=65535, description="Target TCP port (port).")
    interval_seconds: int = Field(60, ge=20, le=86400, description="Seconds between checks.")
    retry_interval_seconds: int = Field(60, ge=20, le=86400, description="Seconds between retries while failing.")
    max_retries: int = Field(0, ge=0, le=10, description="Failed retries before the monitor is DOWN.")
    timeout_seconds: int = Field(48, ge=1, le=3600, description="Seconds before one check times out.")
    accepted_status_codes: list[str] = Field(
        default_factory=lambda: ["200-299"], min_length=1, max_length=20,
        description="Accepted HTTP status codes or ranges, e.g. 200-299.")
    severity: Severity = Field("high", description="Severity of the alerts this monitor raises.")
    tags: list[str] = Field(default_factory=list, max_length=20, description="Free labels for filtering.")
    alerting: AlertingSpec = Field(default_factory=AlertingSpec, description="GoAlert paging for this monitor.")

    @model_validator(mode="after")
    def _target_matches_type(self) -> "MonitorFields":
        if self.type in _NEEDS_URL and not self.url:
            raise ValueError(f"url is required for {self.type} monitors")
        if self.type == "keyword" and not self.keyword:
            raise ValueError("keyword is required for keyword monitors")
        if self.type in _NEEDS_HOST and not self.hostname:
            raise ValueError(f"hostname is required for {self.type} monitors")
        if self.type == "port" and self.port is None:
            raise ValueError("port is required for port monitors")
        if self.timeout_seconds >= self.interval_seconds:
            raise ValueError("timeout_seconds must be shorter than interval_seconds")
        return self


class MonitorCreate(MonitorFields):
    pass


class MonitorUpdate(MonitorFields):
    """Full replacement of the monitor's configuration (PUT)."""


class SyncStatus(ApiModel):
    state: SyncState = Field(description="pending until the backend holds this configuration, then synced or failed.")
    remote_id: str | None = Field(None, description="The backend's id for this monitor.")
    last_error: str | None = Field(None, description="Why the last sync failed.")
    synced_at: datetime | None = Field(None, description="When the backend last confirmed this configuration.")


class Monitor(MonitorFields):
    id: UUID = Field(description="Nova monitor id.")
    tenant_id: str = Field(description="Owning tenant.")
    paused: bool = Field(description="Paused monitors are not checked and page nobody.")
    status: MonitorStatus = Field(description="Last known check status.")
    status_changed_at: datetime | None = Field(None, description="When the status last changed.")
    kuma: SyncStatus = Field(description="Uptime Kuma sync state.")
    goalert: SyncStatus = Field(description="GoAlert sync state (disabled when alerting is off).")
    version: int = Field(description="Increments on every change.")
    created_at: datetime
    updated_at: datetime
    created_by: str | None = Field(None, description="Nova user id of the creator.")


class MonitorListQuery(PageQuery):
    type: MonitorType | None = Field(None, description="Only monitors of this type.")
    status: MonitorStatus | None = Field(None, description="Only monitors with this status.")
    paused: bool | None = Field(None, description="Only paused (true) or active (false) monitors.")
    tag: str | None = Field(None, max_length=100, description="Only monitors carrying this tag.")
    search: str | None = Field(None, max_length=150, description="Case-insensitive substring of the name.")


class MonitorPage(Page):
    items: list[Monitor]
