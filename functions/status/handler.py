"""Status API: the public per-tenant status page, the internal dashboard and incidents."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request, Response
from nova_bridge.domain import status

# Public status is read by many and changes on heartbeats: let browsers and CDNs keep it briefly.
_PUBLIC_CACHE = {"cache-control": "public, max-age=30", "access-control-allow-origin": "*"}


def public_status(req: Request, deps):
    summary = status.public_summary(deps.uow, req.path["tenant_id"], deps.settings.public_url)
    return Response(200, summary, _PUBLIC_CACHE)


def _html(req: Request, deps, render) -> Response:
    summary = status.public_summary(deps.uow, req.path["tenant_id"], deps.settings.public_url)
    return Response(200, render(summary), _PUBLIC_CACHE, content_type="text/html; charset=utf-8")


def public_status_page(req: Request, deps):
    from nova_bridge.domain.status_page import render_page

    return _html(req, deps, render_page)


def public_status_widget(req: Request, deps):
    from nova_bridge.domain.status_page import render_widget

    return _html(req, deps, render_widget)


def internal_dashboard(req: Request, deps):
    return status.dashboard(deps.uow, req.caller)


def create_incident(req: Request, deps):
    return status.create_incident(deps.uow, req.caller, req.body)


lambda_handler = ApiFunction("status", {
    "publicStatus": public_status,
    "publicStatusPage": public_status_page,
    "publicStatusWidget": public_status_widget,
    "internalDashboard": internal_dashboard,
    "createIncident": create_incident,
}, default_deps)
