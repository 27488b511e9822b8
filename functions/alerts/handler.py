"""Alerts API: the bridge's alerts; changes go through GoAlert, which owns the lifecycle."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request
from nova_bridge.domain import alerts


def list_alerts(req: Request, deps):
    return alerts.list_alerts(deps.uow, req.caller, req.query)


def get_alert(req: Request, deps):
    return alerts.get_alert(deps.uow, req.caller, req.path["alert_id"])


def create_alert(req: Request, deps):
    return alerts.create_alert(deps.uow, deps.goalert(), req.caller, req.body)


def _action(action: str):
    def operation(req: Request, deps):
        return alerts.change_alert(deps.uow, deps.goalert(), req.caller, req.path["alert_id"], action)

    operation.__name__ = f"{action}_alert"
    return operation


lambda_handler = ApiFunction("alerts", {
    "listAlerts": list_alerts,
    "getAlert": get_alert,
    "createAlert": create_alert,
    "acknowledgeAlert": _action("acknowledge"),
    "resolveAlert": _action("resolve"),
    "escalateAlert": _action("escalate"),
}, default_deps)
