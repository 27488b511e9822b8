"""Alert rules: the bridge's view of alerts whose lifecycle GoAlert owns."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from nova_bridge.domain.auth import Caller
from nova_bridge.domain.pagination import list_page
from nova_bridge.errors import BackendProtocolError, Conflict, NotFound, ValidationFailed
from nova_bridge.schemas.alerts import Alert, AlertCreate, AlertListQuery, AlertPage

_ALERT_FIELDS = tuple(Alert.model_fields)


def to_api(row: dict[str, Any]) -> Alert:
    return Alert(**{k: row[k] for k in _ALERT_FIELDS})


def get_alert(uow: Any, caller: Caller, alert_id: UUID) -> Alert:
    with uow.transaction() as tx:
        row = tx.get_alert(caller.tenant_id, alert_id)
    if row is None:
        raise NotFound(f"No alert with id {alert_id}.")
    return to_api(row)


def list_alerts(uow: Any, caller: Caller, query: AlertListQuery) -> AlertPage:
    return list_page(uow, lambda tx: tx.list_alerts, caller.tenant_id, query, to_api, AlertPage)


# --- actions through GoAlert ------------------------------------------------------------------
# GoAlert owns the lifecycle: the bridge calls it first and records the outcome (with an audit
# entry) only once GoAlert has accepted the change.

def _records(tx: Any):
    from nova_bridge.adapters.goalert.records import Records

    return Records(tx.conn)


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, UUID) else v) for k, v in row.items()}


def create_alert(uow: Any, goalert: Any, caller: Caller, body: AlertCreate) -> Alert:
    """A manual alert on a monitor's GoAlert service or on one of the tenant's services."""
    with uow.transaction() as tx:
        if body.monitor_id is not None:
            monitor = tx.get_monitor(caller.tenant_id, body.monitor_id)
            if monitor is None:
                raise NotFound(f"No monitor with id {body.monitor_id}.", field="body.monitor_id")
            service_id = monitor["goalert_service_id"]
            if not service_id:
                raise Conflict("The monitor has no GoAlert service yet (alerting off or not synced).",
                               field="body.monitor_id")
        elif body.service_id is not None:
            if _records(tx).owned(caller.tenant_id, "service", body.service_id) is None:
                raise NotFound(f"No GoAlert service {body.service_id} in this tenant.", field="body.service_id")
            service_id = body.service_id
        else:
            raise ValidationFailed("Give monitor_id or service_id.",
                                   errors=[{"field": "body.service_id", "message": "monitor_id or service_id required"}])
    dedup = f"nova:{caller.tenant_id}:manual:{body.dedup_key or uuid4()}"
    created = goalert.client.create_alert(service_id, body.summary, details=body.details, dedup=dedup)
    if created is None:
        raise BackendProtocolError("goalert", "GoAlert created no alert")
    with uow.transaction() as tx:
        row = _records(tx).record_alert(
            tenant_id=caller.tenant_id, monitor_id=body.monitor_id, source="manual", dedup_key=dedup,
            summary=body.summary, details=body.details, severity=body.severity,
            goalert_alert_id=int(created["alertID"]), goalert_service_id=service_id, created_by=caller.user_id)
        tx.audit(caller.tenant_id, caller.user_id, "alert.created", "alert", str(row["id"]), None, _snapshot(row))
    return to_api(row)


_ACTIONS = {"acknowledge": "acknowledged", "resolve": "resolved"}


def change_alert(uow: Any, goalert: Any, caller: Caller, alert_id: UUID, action: str) -> Alert:
    """acknowledge | resolve | escalate an alert of the caller's tenant, through GoAlert."""
    from nova_bridge.adapters.goalert.client import STATUS_ACKNOWLEDGED, STATUS_CLOSED

    with uow.transaction() as tx:
        before = tx.get_alert(caller.tenant_id, alert_id)
    if before is None:
        raise NotFound(f"No alert with id {alert_id}.")
    if before["goalert_alert_id"] is None:
        raise Conflict("The alert has no GoAlert alert to act on.")
    if before["status"] == "resolved":
        if action == "resolve":
            return to_api(before)
        raise Conflict(f"The alert is resolved; it cannot be {action}d.")
    goalert_id = before["goalert_alert_id"]
    if action == "escalate":
        goalert.client.escalate_alerts([goalert_id])
    elif action == "acknowledge" and before["status"] == "triggered":
        goalert.client.acknowledge_alerts([goalert_id])
    elif action == "resolve":
        goalert.client.close_alerts([goalert_id])
    with uow.transaction() as tx:
        status = _ACTIONS.get(action, "triggered")
        after = _records(tx).set_alert_status(alert_id, status, caller.user_id, datetime.now(timezone.utc))
        tx.audit(caller.tenant_id, caller.user_id, f"alert.{action}", "alert", str(alert_id),
                 _snapshot(before), _snapshot(after))
    return to_api(after)


# --- one-click links ------------------------------------------------------------------------
# The notifier signs (alert, action, user, expiry) into the link; whoever GoAlert paged may act
# on that one alert, as GoAlert itself lets any paged user acknowledge.
LINK_ACTOR_ROLE = "technician"


def link_claim(key: bytes, token: str, now: datetime):
    from nova_bridge.domain.notifications import InvalidActionToken, verify_action
    from nova_bridge.errors import Unauthorized

    try:
        claim = verify_action(key, token, now)
    except InvalidActionToken as exc:
        raise Unauthorized(f"This action link is not valid: {exc}.") from None
    if claim.action not in _ACTIONS:
        raise Unauthorized("This action link names no known action.")
    return claim


def link_caller(uow: Any, claim) -> tuple[Caller, UUID]:
    """The caller a valid link stands for: its user, in the tenant of the alert it names."""
    try:
        alert_id = UUID(claim.alert_id)
    except ValueError:
        raise NotFound("The link names no alert.") from None
    with uow.transaction() as tx:
        tenant_id = _records(tx).alert_tenant(alert_id)
    if tenant_id is None:
        raise NotFound("The alert of this link no longer exists.")
    return Caller(user_id=claim.nova_user_id, tenant_id=tenant_id, role=LINK_ACTOR_ROLE), alert_id

