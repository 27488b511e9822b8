"""Alerts API: the bridge's alerts; changes go through GoAlert, which owns the lifecycle."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request
from nova_bridge.domain import alerts


def list_alerts(req: Request, deps):
    return alerts.list_alerts(deps.uow, req.caller, req.query)


def get_alert(req: Request, deps):
    return alerts.get_alert(deps.uow, req.caller, req.path["alert_id"])


def _needs_goalert(req: Request, deps):
    deps.require("goalert")
    raise NotImplementedError("GoAlert alert actions arrive with the GoAlert integration")


lambda_handler = ApiFunction("alerts", {
    "listAlerts": list_alerts,
    "getAlert": get_alert,
    "createAlert": _needs_goalert,
    "acknowledgeAlert": _needs_goalert,
    "resolveAlert": _needs_goalert,
    "escalateAlert": _needs_goalert,
}, default_deps)
