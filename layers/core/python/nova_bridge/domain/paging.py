"""What GoAlert's outgoing webhook messages mean for the bridge: the events they become.

GoAlert posts capitalised JSON bodies (`Type` = Alert, AlertBundle, AlertStatus, Verification,
ScheduleOnCallUsers, Test) with no status field for AlertStatus: the new status is read from the
log entry text, and when the text does not say, the worker asks GoAlert.
"""

from __future__ import annotations

import json
import re
from typing import Any

from nova_bridge.errors import InvalidRequest, ValidationFailed
from nova_bridge.events import Event, make_event

MESSAGE_TYPES = ("Alert", "AlertBundle", "AlertStatus", "Verification", "ScheduleOnCallUsers", "Test")

_ACKED = re.compile(r"^\s*acknowledged\b", re.IGNORECASE)
_CLOSED = re.compile(r"^\s*(auto-)?closed\b|^\s*resolved\b", re.IGNORECASE)


def status_from_log(entry: str) -> str:
    """"acknowledged", "resolved" or "unknown" from an AlertStatus log entry."""
    if _ACKED.search(entry or ""):
        return "acknowledged"
    if _CLOSED.search(entry or ""):
        return "resolved"
    return "unknown"


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"The GoAlert message is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The GoAlert message must be a JSON object.")
    kind = body.get("Type")
    if kind not in MESSAGE_TYPES:
        raise ValidationFailed(f"Unknown GoAlert message Type {kind!r}.",
                               errors=[{"field": "body.Type", "message": f"one of {', '.join(MESSAGE_TYPES)}"}])
    return body


def _required(body: dict[str, Any], field: str, kind: type) -> Any:
    value = body.get(field)
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ValidationFailed(f"{body['Type']} message: {field} is missing or not a {kind.__name__}.",
                               errors=[{"field": f"body.{field}", "message": f"a {kind.__name__} is required"}])
    return value


def webhook_events(body: dict[str, Any], tenant_id: str | None, nova_user_id: str | None) -> list[Event]:
    """The events one GoAlert message becomes (Test and ScheduleOnCallUsers become none)."""
    kind = body["Type"]
    if kind == "Alert":
        return [make_event("alert.notified", tenant_id=tenant_id, nova_user_id=nova_user_id,
                           goalert_alert_id=_required(body, "AlertID", int),
                           summary=str(body.get("Summary") or ""), details=str(body.get("Details") or ""),
                           service_id=body.get("ServiceID") or None, service_name=body.get("ServiceName") or None)]
    if kind == "AlertBundle":
        return [make_event("alert.notified", tenant_id=tenant_id, nova_user_id=nova_user_id, goalert_alert_id=0,
                           bundle_count=_required(body, "Count", int), service_id=body.get("ServiceID") or None,
                           service_name=body.get("ServiceName") or None,
                           summary=f"{body.get('Count')} alerts on {body.get('ServiceName') or 'a service'}")]
    if kind == "AlertStatus":
        alert_id = _required(body, "AlertID", int)
        entry = str(body.get("LogEntry") or "")
        status = status_from_log(entry)
        if status == "unknown":
            return [make_event("goalert.alert_status", tenant_id=tenant_id, goalert_alert_id=alert_id,
                               log_entry=entry)]
        return [make_event(f"alert.{status}", tenant_id=tenant_id, goalert_alert_id=alert_id, status=status,
                           log_entry=entry)]
    if kind == "Verification":
        code = body.get("Code")
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if not isinstance(code, str) or not code.strip().isdigit():
            raise ValidationFailed("Verification message: Code is missing or not numeric.",
                                   errors=[{"field": "body.Code", "message": "a numeric code is required"}])
        if not (tenant_id and nova_user_id):
            raise ValidationFailed("A Verification message must come to a contact-method URL (tenant and user).",
                                   errors=[{"field": "query.user", "message": "required for Verification"}])
        return [make_event("goalert.verification", tenant_id=tenant_id, code=code.strip(),
                           contact_method_hint=nova_user_id)]
    return []  # Test, ScheduleOnCallUsers: acknowledged, nothing to do
