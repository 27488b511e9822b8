"""The one catalogue of API routes and event routing.

Imported by the CDK constructs (to create API routes, rules, queues and functions), by the local
runner (to serve and route the same way) and by the role-matrix tests. Plain Python on purpose:
no third-party imports, so every consumer can load it cheaply. Models are named by dotted path
("module:Class") and resolved only where they are needed (validation, OpenAPI).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- permissions and roles (the plan's RBAC matrix) ------------------------------------------

PERMISSIONS: tuple[str, ...] = (
    "monitor.view",
    "monitor.create",
    "monitor.edit",
    "monitor.delete",
    "alert.view",
    "alert.acknowledge",
    "alert.resolve",
    "oncall.view",
    "oncall.manage",
    "status.public.view",
    "status.admin.manage",
    "integration.admin",
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "technician": frozenset(
        {
            "monitor.view",
            "monitor.create",
            "monitor.edit",
            "alert.view",
            "alert.acknowledge",
            "alert.resolve",
            "oncall.view",
            "status.public.view",
        }
    ),
    "user": frozenset({"monitor.view", "alert.view", "oncall.view", "status.public.view"}),
}

ROLES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)

# --- API routes --------------------------------------------------------------------------------

# Authentication kinds: "jwt" (Nova Helix token, API Gateway JWT authorizer), "public" (no token),
# "webhook" (no authorizer; the function checks a shared secret itself).
JWT, PUBLIC, WEBHOOK = "jwt", "public", "webhook"

API_FUNCTIONS: tuple[str, ...] = ("monitors", "alerts", "oncall", "status", "integration", "webhooks")

_SCHEMAS = "nova_bridge.schemas"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: /api/v2/monitoring/monitors/{monitor_id}
    function: str  # folder under functions/
    operation: str  # operationId and the handler's operation name
    summary: str
    permission: str | None = None  # None only for public and webhook routes
    auth: str = JWT
    body: str | None = None  # "module:Model" of the JSON body
    query: str | None = None  # "module:Model" of the query string
    response: str | None = None  # "module:Model" of a 2xx body
    status: int = 200  # success status code
    tags: tuple[str, ...] = field(default_factory=tuple)
    idempotent_post: bool = False  # honours Idempotency-Key

    @property
    def route_key(self) -> str:
        """API Gateway HTTP API routeKey, e.g. "GET /api/v2/alerts"."""
        return f"{self.method} {self.path}"


def _m(module: str, name: str) -> str:
    return f"{_SCHEMAS}.{module}:{name}"


_MON = "/api/v2/monitoring/monitors"
_MON_ID = _MON + "/{monitor_id}"

ROUTES: tuple[Route, ...] = (
    # Monitors
    Route("GET", _MON, "monitors", "listMonitors", "List monitors", "monitor.view",
          query=_m("monitors", "MonitorListQuery"), response=_m("monitors", "MonitorPage"), tags=("monitors",)),
    Route("POST", _MON, "monitors", "createMonitor", "Create a monitor", "monitor.create",
          body=_m("monitors", "MonitorCreate"), response=_m("monitors", "Monitor"), status=201,
          tags=("monitors",), idempotent_post=True),
    Route("GET", _MON_ID, "monitors", "getMonitor", "Read a monitor", "monitor.view",
          response=_m("monitors", "Monitor"), tags=("monitors",)),
    Route("PUT", _MON_ID, "monitors", "updateMonitor", "Update a monitor", "monitor.edit",
          body=_m("monitors", "MonitorUpdate"), response=_m("monitors", "Monitor"), tags=("monitors",)),
    Route("DELETE", _MON_ID, "monitors", "deleteMonitor", "Delete a monitor", "monitor.delete",
          status=204, tags=("monitors",)),
    Route("POST", _MON_ID + "/pause", "monitors", "pauseMonitor", "Pause a monitor", "monitor.edit",
          response=_m("monitors", "Monitor"), tags=("monitors",)),
    Route("POST", _MON_ID + "/resume", "monitors", "resumeMonitor", "Resume a monitor", "monitor.edit",
          response=_m("monitors", "Monitor"), tags=("monitors",)),
    # Alerts
    Route("GET", "/api/v2/alerts", "alerts", "listAlerts", "List alerts", "alert.view",
          query=_m("alerts", "AlertListQuery"), response=_m("alerts", "AlertPage"), tags=("alerts",)),
    Route("POST", "/api/v2/alerts", "alerts", "createAlert", "Raise a manual alert", "alert.acknowledge",
          body=_m("alerts", "AlertCreate"), response=_m("alerts", "Alert"), status=201, tags=("alerts",),
          idempotent_post=True),
    Route("GET", "/api/v2/alerts/{alert_id}", "alerts", "getAlert", "Read an alert", "alert.view",
          response=_m("alerts", "Alert"), tags=("alerts",)),
    Route("PUT", "/api/v2/alerts/{alert_id}/acknowledge", "alerts", "acknowledgeAlert", "Acknowledge an alert",
          "alert.acknowledge", response=_m("alerts", "Alert"), tags=("alerts",)),
    Route("PUT", "/api/v2/alerts/{alert_id}/resolve", "alerts", "resolveAlert", "Resolve an alert",
          "alert.resolve", response=_m("alerts", "Alert"), tags=("alerts",)),
    Route("PUT", "/api/v2/alerts/{alert_id}/escalate", "alerts", "escalateAlert", "Escalate an alert",
          "alert.acknowledge", response=_m("alerts", "Alert"), tags=("alerts",)),
    # One-click links in notification emails/SMS: the signed token is the credential. GET only
    # shows a confirmation (mail scanners open links); POST performs the action.
    Route("GET", "/api/v2/alert-actions/{token}", "alerts", "alertActionPage", "Confirm an alert action link",
          auth=PUBLIC, tags=("alerts",)),
    Route("POST", "/api/v2/alert-actions/{token}", "alerts", "performAlertAction", "Perform an alert action link",
          auth=PUBLIC, tags=("alerts",)),
    # On-call
    Route("GET", "/api/v2/oncall/schedules", "oncall", "listSchedules", "List on-call schedules", "oncall.view",
          query=_m("oncall", "ScheduleListQuery"), response=_m("oncall", "SchedulePage"), tags=("oncall",)),
    Route("POST", "/api/v2/oncall/schedules", "oncall", "createSchedule", "Create an on-call schedule",
          "oncall.manage", body=_m("oncall", "ScheduleCreate"), response=_m("oncall", "Schedule"), status=201,
          tags=("oncall",), idempotent_post=True),
    Route("GET", "/api/v2/oncall/current", "oncall", "currentOnCall", "Who is on call now", "oncall.view",
          response=_m("oncall", "CurrentOnCall"), tags=("oncall",)),
    Route("POST", "/api/v2/oncall/override", "oncall", "createOverride", "Add, remove or replace on-call",
          "oncall.manage", body=_m("oncall", "OverrideCreate"), response=_m("oncall", "Override"), status=201,
          tags=("oncall",), idempotent_post=True),
    # Status
    Route("GET", "/api/v2/status/public/{tenant_id}", "status", "publicStatus", "Public status of a tenant",
          auth=PUBLIC, response=_m("status", "StatusSummary"), tags=("status",)),
    Route("GET", "/api/v2/status/public/{tenant_id}/page", "status", "publicStatusPage",
          "Public status page of a tenant (HTML)", auth=PUBLIC, tags=("status",)),
    Route("GET", "/api/v2/status/public/{tenant_id}/widget", "status", "publicStatusWidget",
          "Embeddable status widget of a tenant (HTML for an iframe)", auth=PUBLIC, tags=("status",)),
    Route("GET", "/api/v2/status/internal/dashboard", "status", "internalDashboard", "Internal status dashboard",
          "monitor.view", response=_m("status", "Dashboard"), tags=("status",)),
    Route("POST", "/api/v2/status/incidents", "status", "createIncident", "Open a status incident",
          "status.admin.manage", body=_m("status", "IncidentCreate"), response=_m("status", "Incident"),
          status=201, tags=("status",), idempotent_post=True),
    # Integration
    Route("GET", "/api/v2/integration/health", "integration", "integrationHealth", "Health of the backends",
          "integration.admin", response=_m("integration", "IntegrationHealth"), tags=("integration",)),
    Route("POST", "/api/v2/integration/sync", "integration", "triggerSync", "Reconcile Nova with the backends",
          "integration.admin", body=_m("integration", "SyncRequest"), response=_m("integration", "SyncReport"),
          status=202, tags=("integration",)),
    Route("GET", "/api/v2/integration/config", "integration", "integrationConfig", "Integration configuration",
          "integration.admin", response=_m("integration", "IntegrationConfig"), tags=("integration",)),
    Route("GET", "/api/v2/openapi.json", "integration", "openapiDocument", "This API's OpenAPI 3 document",
          auth=PUBLIC, tags=("meta",)),
    Route("GET", "/api/v2/docs", "integration", "swaggerUi", "Swagger UI for this API", auth=PUBLIC, tags=("meta",)),
    # Webhooks (authenticated by the function with a shared secret)
    Route("POST", "/webhooks/uptime-kuma", "webhooks", "kumaWebhook", "Uptime Kuma heartbeat notification",
          auth=WEBHOOK, status=202, tags=("webhooks",)),
    Route("POST", "/webhooks/goalert/{secret}", "webhooks", "goalertWebhook", "GoAlert outgoing webhook",
          auth=WEBHOOK, query=_m("alerts", "GoAlertWebhookQuery"), status=202, tags=("webhooks",)),
)

ROUTES_BY_KEY: dict[str, Route] = {r.route_key: r for r in ROUTES}


def routes_of(function: str) -> tuple[Route, ...]:
    return tuple(r for r in ROUTES if r.function == function)


# --- events -------------------------------------------------------------------------------------

EVENT_SOURCE = "nova.monitoring"

# Worker functions consume SQS queues fed by EventBridge rules on the detail-type.
WORKER_FUNCTIONS: tuple[str, ...] = ("sync_worker", "notifier")


@dataclass(frozen=True)
class EventRoute:
    queue: str  # logical queue name; the physical name is prefixed per environment
    detail_types: tuple[str, ...]
    worker: str  # folder under functions/
    batch_size: int = 10
    max_receive_count: int = 5  # deliveries before a message moves to the DLQ
    fifo: bool = False


EVENT_ROUTES: tuple[EventRoute, ...] = (
    EventRoute(
        "monitor-sync",
        ("monitor.created", "monitor.updated", "monitor.deleted", "monitor.paused", "monitor.resumed"),
        "sync_worker",
    ),
    EventRoute("heartbeats", ("monitor.down", "monitor.up", "monitor.pending", "monitor.maintenance"), "sync_worker"),
    EventRoute("user-sync", ("user.created", "user.updated", "user.deleted"), "sync_worker"),
    EventRoute("alert-state", ("alert.acknowledged", "alert.resolved", "goalert.verification", "goalert.alert_status"),
               "sync_worker"),
    EventRoute("notifications", ("alert.notified",), "notifier"),
)

# Scheduled functions: name -> rate expression
SCHEDULES: dict[str, str] = {"reconciler": "rate(5 minutes)", "outbox_relay": "rate(1 minute)"}


def event_route_for(detail_type: str) -> EventRoute | None:
    for er in EVENT_ROUTES:
        if detail_type in er.detail_types:
            return er
    return None


ALL_FUNCTIONS: tuple[str, ...] = API_FUNCTIONS + WORKER_FUNCTIONS + ("reconciler", "outbox_relay", "migrations")
