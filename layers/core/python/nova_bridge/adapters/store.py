"""PostgreSQL implementation of the domain's unit of work: monitors, audit log and outbox.

Every statement is scoped by tenant_id; the only unscoped reads are the workers' lookups by a
backend id (Kuma monitor id, GoAlert alert id), which are unique across tenants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from nova_bridge.adapters.db import Database

_MONITOR_COLUMNS = frozenset({
    "tenant_id", "name", "type", "config", "tags", "paused", "status", "status_changed_at",
    "kuma_monitor_id", "kuma_sync_state", "kuma_last_error", "kuma_synced_at",
    "goalert_service_id", "goalert_escalation_policy_id", "goalert_integration_key", "goalert_sync_state",
    "goalert_last_error", "goalert_synced_at", "created_by", "deleted_at",
})


def _adapt(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - _MONITOR_COLUMNS
    if unknown:
        raise ValueError(f"unknown monitor columns: {sorted(unknown)}")
    return {k: Jsonb(v) if isinstance(v, (dict, list)) and k != "tags" else v for k, v in values.items()}


class PgTx:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    # --- tenants -----------------------------------------------------------------------------
    def ensure_tenant(self, tenant_id: str) -> None:
        self.conn.execute("INSERT INTO tenants (id) VALUES (%s) ON CONFLICT DO NOTHING", (tenant_id,))

    # --- monitors ----------------------------------------------------------------------------
    def insert_monitor(self, values: dict[str, Any]) -> dict[str, Any]:
        values = _adapt(values)
        query = sql.SQL("INSERT INTO monitors ({}) VALUES ({}) RETURNING *").format(
            sql.SQL(", ").join(map(sql.Identifier, values)), sql.SQL(", ").join(map(sql.Placeholder, values)))
        return self.conn.execute(query, values).fetchone()

    def get_monitor(self, tenant_id: str, monitor_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.conn.execute(
            "SELECT * FROM monitors WHERE tenant_id = %s AND id = %s AND deleted_at IS NULL" + lock,
            (tenant_id, monitor_id)).fetchone()

    def update_monitor(self, tenant_id: str, monitor_id: UUID, values: dict[str, Any]) -> dict[str, Any]:
        values = _adapt(values)
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values)
        query = sql.SQL("UPDATE monitors SET {}, version = version + 1, updated_at = now()"
                        " WHERE tenant_id = %(_tenant)s AND id = %(_id)s RETURNING *").format(assignments)
        row = self.conn.execute(query, {**values, "_tenant": tenant_id, "_id": monitor_id}).fetchone()
        if row is None:
            raise LookupError(f"monitor {monitor_id} vanished inside its transaction")
        return row

    def list_monitors(self, tenant_id: str, filters: dict[str, Any], after: tuple | None, limit: int) -> list[dict]:
        where = ["tenant_id = %(tenant)s", "deleted_at IS NULL"]
        params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
        if "type" in filters:
            where.append("type = %(type)s")
            params["type"] = filters["type"]
        if "status" in filters:
            if filters["status"] == "paused":
                where.append("paused")
            else:
                where.append("status = %(status)s AND NOT paused")
                params["status"] = filters["status"]
        if "paused" in filters:
            where.append("paused = %(paused)s")
            params["paused"] = filters["paused"]
        if "tag" in filters:
            where.append("tags @> ARRAY[%(tag)s]::text[]")
            params["tag"] = filters["tag"]
        if "search" in filters:
            where.append("lower(name) LIKE %(search)s")
            params["search"] = "%" + filters["search"].lower().replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
        if after is not None:
            where.append("(created_at, id) < (%(after_ts)s, %(after_id)s)")
            params["after_ts"], params["after_id"] = after
        query = ("SELECT * FROM monitors WHERE " + " AND ".join(where)
                 + " ORDER BY created_at DESC, id DESC LIMIT %(limit)s")
        return self.conn.execute(query, params).fetchall()

    # --- audit and outbox --------------------------------------------------------------------
    def audit(self, tenant_id: str, actor: str, action: str, entity_type: str, entity_id: str,
              before: dict | None, after: dict | None) -> None:
        self.conn.execute(
            "INSERT INTO audit_log (tenant_id, actor, action, entity_type, entity_id, before, after)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (tenant_id, actor, action, entity_type, entity_id,
             Jsonb(before, dumps=_dumps) if before is not None else None,
             Jsonb(after, dumps=_dumps) if after is not None else None))

    def emit(self, event: Any, ordering_key: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO outbox (id, tenant_id, detail_type, detail, ordering_key) VALUES (%s, %s, %s, %s, %s)",
            (event.event_id, event.detail.tenant_id, event.detail_type,
             Jsonb(event.detail.model_dump(mode="json")), ordering_key))


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, default=str)


class PgUnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def transaction(self) -> Iterator[PgTx]:
        with self.db.transaction() as conn:
            yield PgTx(conn)
