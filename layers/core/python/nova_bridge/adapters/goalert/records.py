"""The bridge's own records about GoAlert, in PostgreSQL: alerts (GoAlert id, dedup key, status,
who and when), user mappings and which GoAlert schedules/services belong to which tenant.

Plain SQL over the connection of a unit-of-work transaction (`Records(tx.conn)`), so a change
and its audit entry commit together. No AWS here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from nova_bridge.adapters.store import ensure_tenant

_MAPPING_COLUMNS = frozenset({"goalert_user_id", "goalert_contact_method_id", "contact_method_verified",
                              "integration_settings", "active"})


class Records:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    # --- tenant ownership of GoAlert objects -------------------------------------------------

    def own(self, kind: str, goalert_id: str, tenant_id: str, name: str, *, monitor_id: UUID | None = None,
            details: dict | None = None, created_by: str | None = None) -> None:
        ensure_tenant(self.conn, tenant_id)
        self.conn.execute(
            "INSERT INTO goalert_tenant_objects (kind, goalert_id, tenant_id, name, monitor_id, details, created_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (kind, goalert_id, tenant_id)"
            " DO UPDATE SET name = EXCLUDED.name, monitor_id = COALESCE(EXCLUDED.monitor_id,"
            " goalert_tenant_objects.monitor_id), details = goalert_tenant_objects.details || EXCLUDED.details",
            (kind, goalert_id, tenant_id, name, monitor_id, Jsonb(details or {}), created_by))

    def disown(self, kind: str, goalert_id: str, tenant_id: str | None = None) -> None:
        if tenant_id is None:
            self.conn.execute("DELETE FROM goalert_tenant_objects WHERE kind = %s AND goalert_id = %s",
                              (kind, goalert_id))
        else:
            self.conn.execute("DELETE FROM goalert_tenant_objects WHERE kind = %s AND goalert_id = %s"
                              " AND tenant_id = %s", (kind, goalert_id, tenant_id))

    def owned(self, tenant_id: str, kind: str, goalert_id: str) -> dict[str, Any] | None:
        return self.conn.execute("SELECT * FROM goalert_tenant_objects WHERE tenant_id = %s AND kind = %s"
                                 " AND goalert_id = %s", (tenant_id, kind, goalert_id)).fetchone()

    def owned_page(self, tenant_id: str, kind: str, *, search: str | None, after: tuple | None,
                   limit: int) -> list[dict[str, Any]]:
        where, params = ["tenant_id = %(t)s", "kind = %(k)s"], {"t": tenant_id, "k": kind, "limit": limit}
        if search:
            where.append("strpos(lower(name), lower(%(s)s)) > 0")
            params["s"] = search
        if after is not None:
            where.append("(created_at, id) < (%(ts)s, %(id)s)")
            params["ts"], params["id"] = after
        return self.conn.execute("SELECT * FROM goalert_tenant_objects WHERE " + " AND ".join(where)
                                 + " ORDER BY created_at DESC, id DESC LIMIT %(limit)s", params).fetchall()

    def owned_all(self, tenant_id: str, kind: str, limit: int = 100) -> list[dict[str, Any]]:
        return self.conn.execute("SELECT * FROM goalert_tenant_objects WHERE tenant_id = %s AND kind = %s"
                                 " ORDER BY name LIMIT %s", (tenant_id, kind, limit)).fetchall()

    # --- user mappings ------------------------------------------------------------------------

    def mapping(self, tenant_id: str, nova_user_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.conn.execute("SELECT * FROM monitoring_user_mappings WHERE tenant_id = %s AND nova_user_id = %s"
                                 + lock, (tenant_id, nova_user_id)).fetchone()

    def save_mapping(self, tenant_id: str, nova_user_id: str, **values: Any) -> dict[str, Any]:
        unknown = set(values) - _MAPPING_COLUMNS
        if unknown:
            raise ValueError(f"unknown mapping columns: {sorted(unknown)}")
        values = {k: Jsonb(v) if isinstance(v, dict) else v for k, v in values.items()}
        ensure_tenant(self.conn, tenant_id)
        columns = ["tenant_id", "nova_user_id", *values]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in values) or "nova_user_id = EXCLUDED.nova_user_id"
        return self.conn.execute(
            f"INSERT INTO monitoring_user_mappings ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
            f" ON CONFLICT (tenant_id, nova_user_id) DO UPDATE SET {updates}, updated_at = now() RETURNING *",
            (tenant_id, nova_user_id, *values.values())).fetchone()

    def alert_tenant(self, alert_id: UUID) -> str | None:
        """The tenant of an alert named by a signed action link (the link is the credential)."""
        row = self.conn.execute("SELECT tenant_id FROM alerts WHERE id = %s", (alert_id,)).fetchone()
        return row["tenant_id"] if row else None

    def save_contact(self, tenant_id: str, nova_user_id: str, contact: dict[str, Any]) -> None:
        """Keep the user's Nova Helix contact data where the notifier reads it; a field an event
        leaves out keeps its stored value."""
        ensure_tenant(self.conn, tenant_id)
        self.conn.execute(
            "INSERT INTO monitoring_user_mappings (tenant_id, nova_user_id, integration_settings)"
            " VALUES (%(t)s, %(u)s, jsonb_build_object('contact', %(c)s::jsonb))"
            " ON CONFLICT (tenant_id, nova_user_id) DO UPDATE SET integration_settings ="
            "  monitoring_user_mappings.integration_settings || jsonb_build_object('contact',"
            "  coalesce(monitoring_user_mappings.integration_settings->'contact', '{}'::jsonb) || %(c)s::jsonb),"
            "  updated_at = now()",
            {"t": tenant_id, "u": nova_user_id, "c": Jsonb(contact)})

    def goalert_ids(self, tenant_id: str, nova_user_ids: Iterable[str]) -> dict[str, str]:
        """Nova user id -> GoAlert user id, for the active, synced users among them."""
        rows = self.conn.execute(
            "SELECT nova_user_id, goalert_user_id FROM monitoring_user_mappings WHERE tenant_id = %s"
            " AND nova_user_id = ANY(%s) AND active AND goalert_user_id IS NOT NULL",
            (tenant_id, list(nova_user_ids))).fetchall()
        return {r["nova_user_id"]: r["goalert_user_id"] for r in rows}

    def nova_ids(self, tenant_id: str, goalert_user_ids: Iterable[str]) -> dict[str, str]:
        """GoAlert user id -> Nova user id, within the tenant."""
        rows = self.conn.execute(
            "SELECT nova_user_id, goalert_user_id FROM monitoring_user_mappings WHERE tenant_id = %s"
            " AND goalert_user_id = ANY(%s)", (tenant_id, list(goalert_user_ids))).fetchall()
        return {r["goalert_user_id"]: r["nova_user_id"] for r in rows}

    # --- alerts -------------------------------------------------------------------------------

    def alert_by_goalert_id(self, goalert_alert_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.conn.execute("SELECT * FROM alerts WHERE goalert_alert_id = %s" + lock,
                                 (goalert_alert_id,)).fetchone()

    def open_alert(self, tenant_id: str, dedup_key: str) -> dict[str, Any] | None:
        return self.conn.execute("SELECT * FROM alerts WHERE tenant_id = %s AND dedup_key = %s"
                                 " AND status <> 'resolved' FOR UPDATE", (tenant_id, dedup_key)).fetchone()

    def alerted_in_episode(self, tenant_id: str, dedup_key: str, episode_started_at: datetime) -> bool:
        """An alert is open for the key, or one was raised for this DOWN episode (or a later one)."""
        return self.conn.execute(
            "SELECT 1 FROM alerts WHERE tenant_id = %s AND dedup_key = %s"
            " AND (status <> 'resolved' OR episode_started_at >= %s) LIMIT 1",
            (tenant_id, dedup_key, episode_started_at)).fetchone() is not None

    def record_alert(self, *, tenant_id: str, source: str, dedup_key: str, summary: str, details: str = "",
                     severity: str = "high", monitor_id: UUID | None = None, goalert_alert_id: int | None,
                     goalert_service_id: str | None, created_by: str | None,
                     episode_started_at: datetime | None = None) -> dict[str, Any]:
        """The bridge's row for a GoAlert alert: the same GoAlert id or open dedup key is one row."""
        if goalert_alert_id is not None:
            existing = self.alert_by_goalert_id(goalert_alert_id, for_update=True)
            if existing is not None:
                return existing
        return self.conn.execute(
            "INSERT INTO alerts (tenant_id, monitor_id, source, dedup_key, summary, details, severity,"
            " goalert_alert_id, goalert_service_id, created_by, episode_started_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (tenant_id, dedup_key) WHERE status <> 'resolved' DO UPDATE SET"
            " goalert_alert_id = COALESCE(alerts.goalert_alert_id, EXCLUDED.goalert_alert_id),"
            " goalert_service_id = COALESCE(alerts.goalert_service_id, EXCLUDED.goalert_service_id),"
            " updated_at = now() RETURNING *",
            (tenant_id, monitor_id, source, dedup_key, summary[:2048], details, severity, goalert_alert_id,
             goalert_service_id, created_by, episode_started_at)).fetchone()

    def set_alert_status(self, alert_id: UUID, status: str, actor: str | None, at: datetime) -> dict[str, Any]:
        """Move an alert forward (triggered -> acknowledged -> resolved); never backwards, except
        that a re-escalation in GoAlert makes an acknowledged alert triggered again."""
        if status == "resolved":
            query = ("UPDATE alerts SET status = 'resolved', resolved_at = COALESCE(resolved_at, %(at)s),"
                     " resolved_by = COALESCE(resolved_by, %(actor)s), updated_at = now() WHERE id = %(id)s RETURNING *")
        elif status == "acknowledged":
            query = ("UPDATE alerts SET status = CASE WHEN status = 'resolved' THEN status ELSE 'acknowledged' END,"
                     " acknowledged_at = COALESCE(acknowledged_at, %(at)s),"
                     " acknowledged_by = COALESCE(acknowledged_by, %(actor)s), updated_at = now()"
                     " WHERE id = %(id)s RETURNING *")
        else:
            query = ("UPDATE alerts SET status = CASE WHEN status = 'resolved' THEN status ELSE 'triggered' END,"
                     " updated_at = now() WHERE id = %(id)s RETURNING *")
        return self.conn.execute(query, {"id": alert_id, "at": at, "actor": actor}).fetchone()
