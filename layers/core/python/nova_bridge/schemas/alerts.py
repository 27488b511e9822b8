"""API contract of alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from nova_bridge.schemas.common import ApiModel, Page, PageQuery

AlertStatus = Literal["triggered", "acknowledged", "resolved"]
Severity = Literal["critical", "high", "medium", "low"]


class AlertCreate(ApiModel):
    summary: str = Field(min_length=1, max_length=500, description="One line saying what is wrong.")
    details: str = Field("", max_length=10000, description="Everything a responder needs to know.")
    severity: Severity = Field("high", description="Severity, which picks the notification channels.")
    monitor_id: UUID | None = Field(None, description="Raise it on this monitor's GoAlert service.")
    service_id: str | None = Field(None, max_length=64, description="Or on this GoAlert service.")
    dedup_key: str | None = Field(None, max_length=255,
                                  description="Alerts with the same key while one is open are merged.")


class Alert(ApiModel):
    id: UUID
    tenant_id: str
    monitor_id: UUID | None = None
    source: Literal["monitor", "manual", "goalert"]
    summary: str
    details: str
    severity: Severity
    status: AlertStatus
    dedup_key: str
    goalert_alert_id: int | None = None
    goalert_service_id: str | None = None
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


class AlertListQuery(PageQuery):
    status: AlertStatus | None = Field(None, description="Only alerts in this status.")
    monitor_id: UUID | None = Field(None, description="Only alerts of this monitor.")
    service_id: str | None = Field(None, max_length=64, description="Only alerts of this GoAlert service.")
    since: datetime | None = Field(None, description="Only alerts created at or after this time (ISO 8601).")
    until: datetime | None = Field(None, description="Only alerts created before this time (ISO 8601).")


class AlertPage(Page):
    items: list[Alert]


class GoAlertWebhookQuery(ApiModel):
    """Query of the GoAlert webhook URL the bridge gives each user's contact method."""

    tenant: str | None = Field(None, max_length=200, description="Tenant of the user the contact method belongs to.")
    user: str | None = Field(None, max_length=200, description="Nova user id of the contact method's owner.")


class GoAlertWebhookAccepted(ApiModel):
    accepted: int = Field(description="Events published for this delivery.")
    type: str = Field(description="GoAlert's message Type.")
    event_ids: list[str] = Field(default_factory=list)
