"""Status pages from the state the bridge keeps: components are the tenant's monitors, shaped
like Atlassian Statuspage's summary.json so existing clients can read it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from nova_bridge.domain.auth import Caller
from nova_bridge.errors import NotFound, ValidationFailed
from nova_bridge.schemas.status import (
    Component,
    Dashboard,
    Incident,
    IncidentCreate,
    OverallStatus,
    StatusPageInfo,
    StatusSummary,
)

_COMPONENT_STATUS = {"up": "operational", "down": "major_outage", "pending": "degraded_performance",
                     "maintenance": "under_maintenance"}
_SEVERITY = {"operational": 0, "under_maintenance": 0, "degraded_performance": 1, "partial_outage": 2,
             "major_outage": 3}
_IMPACT_LEVEL = {"none": 0, "minor": 1, "major": 2, "critical": 3}
_INDICATOR = ["none", "minor", "major", "critical"]
_DESCRIPTION = ["All Systems Operational", "Minor Service Outage", "Partial System Outage", "Major System Outage"]
RESOLVED_INCIDENTS_SHOWN = timedelta(days=7)


def _incident(row: dict[str, Any]) -> Incident:
    return Incident(
        id=str(row["id"]), name=row["title"], status=row["status"], impact=row["impact"],
        created_at=row["created_at"], updated_at=row["updated_at"], resolved_at=row["resolved_at"],
        component_ids=[str(m) for m in row["monitor_ids"]],
        incident_updates=[{"id": str(u["id"]), "status": u["status"], "body": u["body"], "created_at": u["created_at"]}
                          for u in row.get("updates", [])],
    )


def public_summary(uow: Any, tenant_id: str, public_url: str, now: datetime | None = None) -> StatusSummary:
    now = now or datetime.now(timezone.utc)
    with uow.status() as q:
        if not q.tenant_exists(tenant_id):
            raise NotFound(f"No status page for tenant {tenant_id!r}.")
        rows = q.components(tenant_id)
        incidents = [_incident(r) for r in q.incidents(tenant_id, now - RESOLVED_INCIDENTS_SHOWN)]
    # Paused and never-checked monitors say nothing true about the service: leave them out.
    components = [Component(id=str(r["id"]), name=r["name"], status=_COMPONENT_STATUS[r["status"]],
                            updated_at=r["status_changed_at"] or r["updated_at"])
                  for r in rows if not r["paused"] and r["status"] in _COMPONENT_STATUS]
    level = max([_SEVERITY[c.status] for c in components] +
                [_IMPACT_LEVEL[i.impact] for i in incidents if i.status != "resolved"] + [0])
    return StatusSummary(
        page=StatusPageInfo(id=tenant_id, name=f"{tenant_id} status", url=f"{public_url}/api/v2/status/public/{tenant_id}",
                            updated_at=now),
        status=OverallStatus(indicator=_INDICATOR[level], description=_DESCRIPTION[level]),
        components=components,
        incidents=[i for i in incidents if i.status != "resolved" or i.resolved_at],
        scheduled_maintenances=[],
    )


def dashboard(uow: Any, caller: Caller, now: datetime | None = None) -> Dashboard:
    with uow.status() as q:
        data = q.dashboard_counts(caller.tenant_id)
    return Dashboard(tenant_id=caller.tenant_id, monitors=data["monitors"], open_alerts=data["open_alerts"],
                     open_incidents=data["open_incidents"], sync_failures=data["sync_failures"],
                     generated_at=now or datetime.now(timezone.utc))


def create_incident(uow: Any, caller: Caller, spec: IncidentCreate) -> Incident:
    with uow.transaction() as tx:
        tx.ensure_tenant(caller.tenant_id)
        q = tx.status_queries()
        unknown = set(spec.monitor_ids) - q.existing_monitor_ids(caller.tenant_id, list(spec.monitor_ids))
        if unknown:
            raise ValidationFailed(f"Unknown monitors: {', '.join(sorted(map(str, unknown)))}.",
                                   errors=[{"field": "body.monitor_ids", "message": "unknown monitor id"}])
        row = q.insert_incident(caller.tenant_id, spec.model_dump(), spec.body, caller.user_id)
        tx.audit(caller.tenant_id, caller.user_id, "incident.created", "incident", str(row["id"]), None,
                 {"name": spec.name, "status": spec.status, "impact": spec.impact,
                  "monitor_ids": [str(m) for m in spec.monitor_ids]})
    return _incident(row)
