"""Alerts API: the bridge's alerts; changes go through GoAlert, which owns the lifecycle."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request, Response
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


def _link(req: Request, deps):
    from datetime import datetime, timezone

    from nova_bridge.adapters.webhook_auth import webhook_secret
    from nova_bridge.domain.notifications import derive_action_key

    key = derive_action_key(webhook_secret(deps.settings, "alert-actions"))
    claim = alerts.link_claim(key, req.path["token"], datetime.now(timezone.utc))
    caller, alert_id = alerts.link_caller(deps.uow, claim)
    return claim, caller, alert_id


def alert_action_page(req: Request, deps):
    """A confirmation page only: mail scanners open links, and opening must not act."""
    claim, caller, alert_id = _link(req, deps)
    alert = alerts.get_alert(deps.uow, caller, alert_id)
    return _page(f"{claim.action.capitalize()} alert?", alert.summary,
                 f'<form method="post"><button type="submit">{claim.action.capitalize()}</button></form>')


def perform_alert_action(req: Request, deps):
    claim, caller, alert_id = _link(req, deps)
    alert = alerts.change_alert(deps.uow, deps.goalert(), caller, alert_id, claim.action)
    return _page(f"Alert {alert.status}", alert.summary, "<p>Done. You can close this page.</p>")


def _page(title: str, summary: str, body: str) -> Response:
    from html import escape

    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><h1>{escape(title)}</h1><p>{escape(summary)}</p>{body}</body></html>")
    return Response(200, html, {"cache-control": "no-store", "referrer-policy": "no-referrer"},
                    content_type="text/html; charset=utf-8")


lambda_handler = ApiFunction("alerts", {
    "alertActionPage": alert_action_page,
    "performAlertAction": perform_alert_action,
    "listAlerts": list_alerts,
    "getAlert": get_alert,
    "createAlert": create_alert,
    "acknowledgeAlert": _action("acknowledge"),
    "resolveAlert": _action("resolve"),
    "escalateAlert": _action("escalate"),
}, default_deps)
