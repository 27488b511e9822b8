"""API contract of status pages (shaped like Atlassian Statuspage's summary.json) and incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from nova_bridge.schemas.common import ApiModel

ComponentStatus = Literal["operational", "degraded_performance", "partial_outage", "major_outage",
                          "under_maintenance"]
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["none", "minor", "major", "critical"]


class StatusPageInfo(ApiModel):
    id: str
    name: str
    url: str
    updated_at: datetime


class Component(ApiModel):
    id: str
    name: str
    status: ComponentStatus
    updated_at: datetime | None = None


class IncidentUpdate(ApiModel):
    id: str
    status: IncidentStatus
    body: str
    created_at: datetime


class Incident(ApiModel):
    id: str
    name: str
    status: IncidentStatus
    impact: Impact
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    component_ids: list[str] = Field(default_factory=list)
    incident_updates: list[IncidentUpdate] = Field(default_factory=list)


class OverallStatus(ApiModel):
    indicator: Literal["none", "minor", "major", "critical"]
    description: str


class StatusSummary(ApiModel):
    page: StatusPageInfo
    status: OverallStatus
    components: list[Component]
    incidents: list[Incident]
    scheduled_maintenances: list[Incident]


class DashboardCounts(ApiModel):
    up: int = 0
    down: int = 0
    pending: int = 0
    maintenance: int = 0
    paused: int = 0
    unknown: int = 0


class Dashboard(ApiModel):
    tenant_id: str
    monitors: DashboardCounts
    open_alerts: int
    open_incidents: int
    sync_failures: int
    generated_at: datetime


class IncidentCreate(ApiModel):
    name: str = Field(min_length=1, max_length=300, description="Incident title shown on the status page.")
    status: IncidentStatus = Field("investigating")
    impact: Impact = Field("minor")
    body: str = Field(min_length=1, max_length=10000, description="First update's text.")
    monitor_ids: list[UUID] = Field(default_factory=list, max_length=100, description="Affected monitors.")
