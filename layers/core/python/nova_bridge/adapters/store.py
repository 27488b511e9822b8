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


def ensure_tenant(conn: psycopg.Connection, tenant_id: str) -> None:
    """Tenants come from Nova Helix tokens and events: a row appears on first use."""
    conn.execute("INSERT INTO tenants (id) VALUES (%s) ON CONFLICT DO NOTHING", (tenant_id,))


class PgTx:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    # --- tenants -----------------------------------------------------------------------------
    def ensure_tenant(self, tenant_id: str) -> None:
        ensure_tenant(self.conn, tenant_id)

    def status_queries(self) -> "PgStatusQueries":
        return PgStatusQueries(self.conn)

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

    def get_monitor_for_sync(self, monitor_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        """Workers: the monitor whatever its tenant, tombstoned ones included (they still need a sync)."""
        lock = " FOR UPDATE" if for_update else ""
        return self.conn.execute("SELECT * FROM monitors WHERE id = %s" + lock, (monitor_id,)).fetchone()

    def set_sync_state(self, monitor_id: UUID, values: dict[str, Any]) -> dict[str, Any] | None:
        """Workers: record backend ids and sync state without bumping the monitor's version."""
        values = _adapt(values)
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values)
        query = sql.SQL("UPDATE monitors SET {} WHERE id = %(_id)s RETURNING *").format(assignments)
        return self.conn.execute(query, {**values, "_id": monitor_id}).fetchone()

    def purge_monitor(self, monitor_id: UUID) -> None:
        self.conn.execute("DELETE FROM monitors WHERE id = %s AND deleted_at IS NOT NULL", (monitor_id,))

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

    # --- alerts ------------------------------------------------------------------------------
    def get_alert(self, tenant_id: str, alert_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.conn.execute("SELECT * FROM alerts WHERE tenant_id = %s AND id = %s" + lock,
                                 (tenant_id, alert_id)).fetchone()

    def list_alerts(self, tenant_id: str, filters: dict[str, Any], after: tuple | None, limit: int) -> list[dict]:
        where = ["tenant_id = %(tenant)s"]
        params: dict[str, Any] = {"tenant": tenant_id, "limit": limit}
        for key, clause in (("status", "status = %(status)s"), ("monitor_id", "monitor_id = %(monitor_id)s"),
                            ("service_id", "goalert_service_id = %(service_id)s"),
                            ("since", "created_at >= %(since)s"), ("until", "created_at < %(until)s")):
            if key in filters:
                where.append(clause)
                params[key] = filters[key]
        if after is not None:
            where.append("(created_at, id) < (%(after_ts)s, %(after_id)s)")
            params["after_ts"], params["after_id"] = after
        return self.conn.execute("SELECT * FROM alerts WHERE " + " AND ".join(where)
                                 + " ORDER BY created_at DESC, id DESC LIMIT %(limit)s", params).fetchall()

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


class PgStatusQueries:
    """Reads and writes behind status pages and the dashboard."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def tenant_exists(self, tenant_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM tenants WHERE id = %s", (tenant_id,)).fetchone() is not None

    def components(self, tenant_id: str) -> list[dict]:
        return self.conn.execute(
            "SELECT id, name, status, paused, status_changed_at, updated_at FROM monitors"
            " WHERE tenant_id = %s AND deleted_at IS NULL ORDER BY lower(name), id", (tenant_id,)).fetchall()

    def incidents(self, tenant_id: str, resolved_since: Any) -> list[dict]:
        rows = self.conn.execute(
            "SELECT * FROM incidents WHERE tenant_id = %s AND (resolved_at IS NULL OR resolved_at >= %s)"
            " ORDER BY created_at DESC LIMIT 50", (tenant_id, resolved_since)).fetchall()
        if rows:
            updates = self.conn.execute(
                "SELECT * FROM incident_updates WHERE incident_id = ANY(%s) ORDER BY created_at DESC",
                ([r["id"] for r in rows],)).fetchall()
            for row in rows:
                row["updates"] = [u for u in updates if u["incident_id"] == row["id"]]
        return rows

    def insert_incident(self, tenant_id: str, values: dict[str, Any], body: str, actor: str) -> dict:
        row = self.conn.execute(
            "INSERT INTO incidents (tenant_id, title, status, impact, monitor_ids, created_by)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING *",
            (tenant_id, values["name"], values["status"], values["impact"], values["monitor_ids"], actor)).fetchone()
        update = self.conn.execute(
            "INSERT INTO incident_updates (incident_id, status, body, created_by) VALUES (%s, %s, %s, %s) RETURNING *",
            (row["id"], values["status"], body, actor)).fetchone()
        row["updates"] = [update]
        return row

    def existing_monitor_ids(self, tenant_id: str, ids: list[UUID]) -> set[UUID]:
        rows = self.conn.execute("SELECT id FROM monitors WHERE tenant_id = %s AND id = ANY(%s) AND deleted_at IS NULL",
                                 (tenant_id, ids)).fetchall()
        return {r["id"] for r in rows}

    def dashboard_counts(self, tenant_id: str) -> dict[str, Any]:
        counts = self.conn.execute(
            "SELECT CASE WHEN paused THEN 'paused' ELSE status END AS s, count(*) AS n FROM monitors"
            " WHERE tenant_id = %s AND deleted_at IS NULL GROUP BY 1", (tenant_id,)).fetchall()
        other = self.conn.execute(
            "SELECT (SELECT count(*) FROM alerts WHERE tenant_id = %(t)s AND status <> 'resolved') AS open_alerts,"
            " (SELECT count(*) FROM incidents WHERE tenant_id = %(t)s AND resolved_at IS NULL) AS open_incidents,"
            " (SELECT count(*) FROM monitors WHERE tenant_id = %(t)s AND deleted_at IS NULL"
            "  AND (kuma_sync_state = 'failed' OR goalert_sync_state = 'failed')) AS sync_failures",
            {"t": tenant_id}).fetchone()
        return {"monitors": {r["s"]: r["n"] for r in counts}, **other}


class PgUnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def transaction(self) -> Iterator[PgTx]:
        with self.db.transaction() as conn:
            yield PgTx(conn)

    @contextmanager
    def status(self) -> Iterator[PgStatusQueries]:
        with self.db.transaction() as conn:
            yield PgStatusQueries(conn)

    def queue_stats(self) -> dict[str, Any]:
        with self.db.transaction() as conn:
            return conn.execute(
                "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS outbox_pending,"
                " (SELECT extract(epoch FROM now() - min(created_at)) FROM outbox WHERE published_at IS NULL)"
                "   AS oldest_pending_seconds,"
                " (SELECT count(*) FROM integration_events WHERE status = 'failed') AS failed_events,"
                " (SELECT count(*) FROM monitors WHERE kuma_sync_state = 'pending' OR goalert_sync_state = 'pending')"
                "   AS monitors_pending_sync,"
                " (SELECT count(*) FROM monitors WHERE kuma_sync_state = 'failed' OR goalert_sync_state = 'failed')"
                "   AS monitors_failed_sync").fetchone()

    def ping(self) -> dict[str, Any]:
        with self.db.transaction() as conn:
            version = conn.execute("SHOW server_version").fetchone()["server_version"]
        return {"version": version}

