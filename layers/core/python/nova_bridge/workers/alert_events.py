"""alert.acknowledged|resolved, goalert.alert_status, goalert.verification: keep the bridge's
alert rows in step with GoAlert, and verify users' webhook contact methods."""

from __future__ import annotations

import logging
import re
from typing import Any

from nova_bridge.adapters.goalert.client import STATUS_ACKNOWLEDGED, STATUS_CLOSED
from nova_bridge.adapters.goalert.factory import backend_or_none
from nova_bridge.adapters.goalert.records import Records
from nova_bridge.events import Event
from nova_bridge.workers.runtime import RetryLater

logger = logging.getLogger("nova_bridge.workers.alert_events")

_GOALERT_STATUS = {STATUS_ACKNOWLEDGED: "acknowledged", STATUS_CLOSED: "resolved"}
_BY = re.compile(r"\bby\s+(.+?)\s*$", re.IGNORECASE)


def _actor(log_entry: str) -> str:
    match = _BY.search(log_entry or "")
    return f"goalert:{match.group(1)}" if match else "goalert"


def apply_status(deps: Any, goalert_alert_id: int, status: str, log_entry: str = "") -> dict[str, Any] | None:
    """Move the bridge's alert to GoAlert's status; an alert the bridge never saw is ignored."""
    with deps.uow.transaction() as tx:
        records = Records(tx.conn)
        row = records.alert_by_goalert_id(goalert_alert_id, for_update=True)
        if row is None:
            logger.info("GoAlert alert %s is not one of the bridge's", goalert_alert_id)
            return None
        if row["status"] == status or row["status"] == "resolved":
            return row
        after = records.set_alert_status(row["id"], status, _actor(log_entry), deps.clock())
        tx.audit(row["tenant_id"], _actor(log_entry), f"alert.{status}", "alert", str(row["id"]),
                 {"status": row["status"]}, {"status": after["status"], "log_entry": log_entry})
        return after


def on_state_changed(event: Event, deps: Any) -> None:
    apply_status(deps, event.detail.goalert_alert_id, event.detail.status, event.detail.log_entry)


def on_alert_status(event: Event, deps: Any) -> None:
    """The log text did not say: read the alert's status from GoAlert."""
    backend = backend_or_none(deps)
    if backend is None:
        return
    alert = backend.client.get_alert(event.detail.goalert_alert_id, event_limit=1)
    if alert is None:
        return
    status = _GOALERT_STATUS.get(alert["status"], "triggered")
    apply_status(deps, event.detail.goalert_alert_id, status, event.detail.log_entry)


def on_verification(event: Event, deps: Any) -> None:
    backend = backend_or_none(deps)
    if backend is None:
        return
    tenant_id, nova_user_id = event.detail.tenant_id, event.detail.contact_method_hint
    with deps.uow.transaction() as tx:
        mapping = Records(tx.conn).mapping(tenant_id, nova_user_id) if tenant_id and nova_user_id else None
    if mapping is None or not mapping["goalert_contact_method_id"]:
        # GoAlert sends the code as the contact method is created, maybe before we stored its id
        raise RetryLater(f"no contact method recorded yet for user {nova_user_id} of tenant {tenant_id}")
    if mapping["contact_method_verified"]:
        return
    backend.client.verify_contact_method(mapping["goalert_contact_method_id"], event.detail.code)
    with deps.uow.transaction() as tx:
        Records(tx.conn).save_mapping(tenant_id, nova_user_id, contact_method_verified=True)


HANDLERS = {
    "alert.acknowledged": on_state_changed,
    "alert.resolved": on_state_changed,
    "goalert.alert_status": on_alert_status,
    "goalert.verification": on_verification,
}
