"""Monitor rules: what a create, update, delete, pause or resume means.

Every write happens in one unit of work: the change, its audit entry (who, what, before, after)
and its outbox event commit together or not at all. The backends are synced later by the worker,
so the API answers at once with the sync state `pending`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Protocol
from uuid import UUID

from nova_bridge.domain.auth import Caller
from nova_bridge.domain.pagination import list_page
from nova_bridge.errors import NotFound
from nova_bridge.schemas.monitors import Monitor, MonitorCreate, MonitorFields, MonitorListQuery, MonitorPage

# Columns the API never shows (credentials) and that audit entries never copy.
_SECRET_COLUMNS = frozenset({"goalert_integration_key"})


class MonitorTx(Protocol):
    """What the monitor rules need from storage inside one transaction."""

    def ensure_tenant(self, tenant_id: str) -> None: ...
    def insert_monitor(self, values: dict[str, Any]) -> dict[str, Any]: ...
    def get_monitor(self, tenant_id: str, monitor_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None: ...
    def update_monitor(self, tenant_id: str, monitor_id: UUID, values: dict[str, Any]) -> dict[str, Any]: ...
    def list_monitors(self, tenant_id: str, filters: dict[str, Any], after: tuple | None, limit: int) -> list[dict]: ...
    def audit(self, tenant_id: str, actor: str, action: str, entity_type: str, entity_id: str,
              before: dict | None, after: dict | None) -> None: ...
    def emit(self, event: Any, ordering_key: str | None = None) -> None: ...


class UnitOfWork(Protocol):
    def transaction(self) -> Any:  # context manager yielding a MonitorTx
        ...


def _config(fields: MonitorFields) -> dict[str, Any]:
    return fields.model_dump(mode="json")


def _goalert_state(fields: MonitorFields, previous: dict[str, Any] | None = None) -> str:
    # A monitor that had a GoAlert service needs a sync to tear alerting down, too.
    if fields.alerting.enabled or (previous and previous.get("goalert_service_id")):
        return "pending"
    return "disabled"


def snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The audit view of a monitor row: everything but credentials, JSON-friendly."""
    return {k: (str(v) if isinstance(v, UUID) else v) for k, v in row.items() if k not in _SECRET_COLUMNS}


def to_api(row: dict[str, Any]) -> Monitor:
    return Monitor(
        **row["config"],
        id=row["id"],
        tenant_id=row["tenant_id"],
        paused=row["paused"],
        status="paused" if row["paused"] else row["status"],
        status_changed_at=row["status_changed_at"],
        kuma={"state": row["kuma_sync_state"], "remote_id": _str(row["kuma_monitor_id"]),
              "last_error": row["kuma_last_error"], "synced_at": row["kuma_synced_at"]},
        goalert={"state": row["goalert_sync_state"], "remote_id": row["goalert_service_id"],
                 "last_error": row["goalert_last_error"], "synced_at": row["goalert_synced_at"]},
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        created_by=row["created_by"],
    )


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _changed(tx: MonitorTx, caller: Caller, action: str, before: dict | None, after: dict) -> None:
    from nova_bridge.events import make_event  # only writes pay for the event models

    tx.audit(caller.tenant_id, caller.user_id, action, "monitor", str(after["id"]),
             snapshot(before) if before else None, snapshot(after))
    tx.emit(make_event(action, tenant_id=caller.tenant_id, monitor_id=after["id"], monitor_version=after["version"],
                       actor=caller.user_id), ordering_key=f"monitor:{after['id']}")


def create_monitor(uow: UnitOfWork, caller: Caller, fields: MonitorCreate) -> Monitor:
    with uow.transaction() as tx:
        tx.ensure_tenant(caller.tenant_id)
        row = tx.insert_monitor({
            "tenant_id": caller.tenant_id,
            "name": fields.name,
            "type": fields.type,
            "config": _config(fields),
            "tags": fields.tags,
            "goalert_sync_state": _goalert_state(fields),
            "created_by": caller.user_id,
        })
        _changed(tx, caller, "monitor.created", None, row)
    return to_api(row)


def _existing(tx: MonitorTx, caller: Caller, monitor_id: UUID) -> dict[str, Any]:
    row = tx.get_monitor(caller.tenant_id, monitor_id, for_update=True)
    if row is None:  # another tenant's monitor is as absent as a deleted one
        raise NotFound(f"No monitor with id {monitor_id}.")
    return row


def get_monitor(uow: UnitOfWork, caller: Caller, monitor_id: UUID) -> Monitor:
    with uow.transaction() as tx:
        row = tx.get_monitor(caller.tenant_id, monitor_id)
    if row is None:
        raise NotFound(f"No monitor with id {monitor_id}.")
    return to_api(row)


def update_monitor(uow: UnitOfWork, caller: Caller, monitor_id: UUID, fields: MonitorFields) -> Monitor:
    with uow.transaction() as tx:
        before = _existing(tx, caller, monitor_id)
        after = tx.update_monitor(caller.tenant_id, monitor_id, {
            "name": fields.name,
            "type": fields.type,
            "config": _config(fields),
            "tags": fields.tags,
            "kuma_sync_state": "pending",
            "goalert_sync_state": _goalert_state(fields, before),
        })
        _changed(tx, caller, "monitor.updated", before, after)
    return to_api(after)


def set_paused(uow: UnitOfWork, caller: Caller, monitor_id: UUID, paused: bool) -> Monitor:
    with uow.transaction() as tx:
        before = _existing(tx, caller, monitor_id)
        if before["paused"] == paused:
            return to_api(before)  # already so: nothing to audit or sync
        after = tx.update_monitor(caller.tenant_id, monitor_id, {"paused": paused, "kuma_sync_state": "pending"})
        _changed(tx, caller, "monitor.paused" if paused else "monitor.resumed", before, after)
    return to_api(after)


def delete_monitor(uow: UnitOfWork, caller: Caller, monitor_id: UUID) -> None:
    """Tombstone the monitor; the worker removes it from Kuma and GoAlert, then purges it."""
    with uow.transaction() as tx:
        before = _existing(tx, caller, monitor_id)
        after = tx.update_monitor(caller.tenant_id, monitor_id, {
            "deleted_at": datetime.now(timezone.utc), "kuma_sync_state": "pending",
            "goalert_sync_state": "pending" if before["goalert_service_id"] else "disabled",
        })
        _changed(tx, caller, "monitor.deleted", before, after)


def list_monitors(uow: UnitOfWork, caller: Caller, query: MonitorListQuery) -> MonitorPage:
    return list_page(uow, lambda tx: tx.list_monitors, caller.tenant_id, query, to_api, MonitorPage)
