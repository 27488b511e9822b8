"""Integration API: backend health, reconciliation, configuration, and the API's own docs."""

from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request, Response
from nova_bridge.domain.health import integration_health
from nova_bridge.schemas.integration import IntegrationConfig


def health(req: Request, deps):
    probes = {"database": deps.uow.ping, **deps.backend_probes()}
    return integration_health(deps.uow.queue_stats, probes)


def trigger_sync(req: Request, deps):
    """Reconcile the caller's tenant now and answer the report (dry_run: report only)."""
    from nova_bridge.domain.reconcile import reconcile
    from nova_bridge.workers.deps import WorkerDeps

    deps.require("uptime_kuma")
    request = req.body
    worker_deps = WorkerDeps(settings=deps.settings, db=deps.db, publisher=deps.publisher,
                             kuma_factory=lambda settings: deps.kuma(), goalert_factory=deps.goalert_factory)
    tenant = req.caller.tenant_id
    return reconcile(worker_deps, tenant_id=tenant, dry_run=request.dry_run,
                     import_unmanaged=request.import_unmanaged, import_tenant=tenant, targets=tuple(request.targets))


def config(req: Request, deps):
    s = deps.settings
    return IntegrationConfig(
        environment=s.env, public_url=s.public_url, kuma_url=s.kuma_url, kuma_configured=s.kuma_configured,
        goalert_url=s.goalert_url, goalert_configured=s.goalert_configured, comms_configured=s.comms_configured,
        webhook_urls={"uptime_kuma": f"{s.public_url}/webhooks/uptime-kuma",
                      "goalert": f"{s.public_url}/webhooks/goalert/<secret>"},
        event_bus=s.event_bus_name)


def openapi_document(req: Request, deps):
    from nova_bridge.api.openapi import openapi_document as build

    return Response(200, build("/"), {"cache-control": "public, max-age=300"})


def swagger_ui(req: Request, deps):
    from nova_bridge.api.openapi import SWAGGER_UI

    return Response(200, SWAGGER_UI, content_type="text/html; charset=utf-8")


lambda_handler = ApiFunction("integration", {
    "integrationHealth": health,
    "triggerSync": trigger_sync,
    "integrationConfig": config,
    "openapiDocument": openapi_document,
    "swaggerUi": swagger_ui,
}, default_deps)
