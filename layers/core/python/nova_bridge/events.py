"""Event schemas: the one place that defines every detail-type the bus carries.

Every detail carries `event_id` (workers are idempotent on it: EventBridge may deliver twice),
`schema_version` and `occurred_at`. A change to a detail's meaning bumps its schema_version;
consumers accept the versions they know and refuse the rest (the message goes to the DLQ instead
of being misread).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from nova_bridge.catalogue import EVENT_SOURCE


def _now() -> datetime:
    return datetime.now(timezone.utc)


class EventDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID = Field(default_factory=uuid4, description="Unique id; consumers deduplicate on it.")
    schema_version: Literal[1] = 1
    occurred_at: datetime = Field(default_factory=_now)
    tenant_id: str | None = Field(None, description="Owning tenant, when the event belongs to one.")


class MonitorChanged(EventDetail):
    """monitor.created|updated|deleted|paused|resumed: Nova's intent changed; sync the backends.
    Workers read the monitor's current state, so a late or repeated event converges instead of
    reverting a newer change."""

    monitor_id: UUID
    monitor_version: int
    actor: str


HeartbeatStatus = Literal["down", "up", "pending", "maintenance"]


class MonitorHeartbeat(EventDetail):
    """monitor.down|up|pending|maintenance: a status change Kuma reported."""

    kuma_monitor_id: int
    status: HeartbeatStatus
    time: datetime = Field(description="When Kuma observed it, UTC.")
    msg: str = ""
    ping: float | None = None
    monitor_name: str | None = None


class UserChanged(EventDetail):
    """user.created|updated|deleted, from Nova Helix."""

    nova_user_id: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    role: str | None = None
    time_zone: str | None = None


class AlertNotified(EventDetail):
    """alert.notified: GoAlert decided a user must be told about an alert now."""

    goalert_alert_id: int
    goalert_user_id: str | None = None
    nova_user_id: str | None = None
    summary: str = ""
    details: str = ""
    service_id: str | None = None
    service_name: str | None = None
    bundle_count: int | None = Field(None, description="Set for a GoAlert AlertBundle (goalert_alert_id is 0): "
                                                       "this many alerts on the service.")


class AlertStateChanged(EventDetail):
    """alert.acknowledged|resolved: the alert's state changed in GoAlert."""

    goalert_alert_id: int
    status: Literal["acknowledged", "resolved"]
    log_entry: str = ""


class GoAlertAlertStatus(EventDetail):
    """goalert.alert_status: GoAlert reported a change of an alert whose log text does not say the
    new status (e.g. an escalation); the worker reads the alert from GoAlert."""

    goalert_alert_id: int
    log_entry: str = ""


class GoAlertVerification(EventDetail):
    """goalert.verification: GoAlert sent a contact-method verification code."""

    code: str
    contact_method_hint: str | None = None


DETAIL_MODELS: dict[str, type[EventDetail]] = {
    "monitor.created": MonitorChanged,
    "monitor.updated": MonitorChanged,
    "monitor.deleted": MonitorChanged,
    "monitor.paused": MonitorChanged,
    "monitor.resumed": MonitorChanged,
    "monitor.down": MonitorHeartbeat,
    "monitor.up": MonitorHeartbeat,
    "monitor.pending": MonitorHeartbeat,
    "monitor.maintenance": MonitorHeartbeat,
    "user.created": UserChanged,
    "user.updated": UserChanged,
    "user.deleted": UserChanged,
    "alert.notified": AlertNotified,
    "alert.acknowledged": AlertStateChanged,
    "alert.resolved": AlertStateChanged,
    "goalert.verification": GoAlertVerification,
    "goalert.alert_status": GoAlertAlertStatus,
}


class Event(BaseModel):
    """An event as it travels: detail-type plus validated detail."""

    model_config = ConfigDict(frozen=True)

    detail_type: str
    detail: EventDetail
    source: str = EVENT_SOURCE

    @property
    def event_id(self) -> UUID:
        return self.detail.event_id


def parse_event(detail_type: str, detail: dict) -> Event:
    """Validate a detail against its schema; unknown detail-types are refused."""
    model = DETAIL_MODELS.get(detail_type)
    if model is None:
        raise ValueError(f"unknown detail-type {detail_type!r}")
    return Event(detail_type=detail_type, detail=model.model_validate(detail))


def make_event(detail_type: str, **fields) -> Event:
    return Event(detail_type=detail_type, detail=DETAIL_MODELS[detail_type](**fields))
