"""What the bridge stores about Kuma in PostgreSQL: sync results, current status and its
transitions, heartbeats of monitors the bridge does not manage, and the last successful sync.

Plain SQL on a psycopg connection inside the caller's transaction (`tx.conn`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

SERVICE = "uptime_kuma"


class KumaRecords:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    # --- sync state ----------------------------------------------------------------------------

    def record_sync(self, monitor_id: UUID, version: int, kuma_monitor_id: int | None, state: str,
                    error: str | None, at: datetime) -> dict[str, Any] | None:
        """Record Kuma's id always; the sync state only if the row still has the version we synced
        (a newer edit keeps `pending` until its own sync). Does not bump the version."""
        return self.conn.execute(
            "UPDATE monitors SET kuma_monitor_id = %(kid)s,"
            " kuma_sync_state = CASE WHEN version = %(version)s THEN %(state)s ELSE kuma_sync_state END,"
            " kuma_last_error = CASE WHEN version = %(version)s THEN %(error)s ELSE kuma_last_error END,"
            " kuma_synced_at = CASE WHEN %(state)s = 'synced' AND version = %(version)s THEN %(at)s"
            "                  ELSE kuma_synced_at END"
            " WHERE id = %(id)s RETURNING *",
            {"kid": kuma_monitor_id, "version": version, "state": state, "error": error, "at": at,
             "id": monitor_id}).fetchone()

    def record_error(self, monitor_id: UUID, error: str) -> None:
        """Kuma unreachable: keep the state (the change still waits), say why."""
        self.conn.execute("UPDATE monitors SET kuma_last_error = %s WHERE id = %s", (error[:2000], monitor_id))

    def mark_sync_success(self, at: datetime, metadata: dict[str, Any] | None = None) -> None:
        self.conn.execute(
            "INSERT INTO service_health_status (service_name, status, last_check, last_success, metadata)"
            " VALUES (%(s)s, 'healthy', %(at)s, %(at)s, %(meta)s)"
            " ON CONFLICT (service_name) DO UPDATE SET status = 'healthy', last_check = %(at)s,"
            " last_success = %(at)s, error_message = NULL,"
            " metadata = service_health_status.metadata || %(meta)s",
            {"s": SERVICE, "at": at, "meta": Jsonb(metadata or {})})

    def mark_sync_failure(self, at: datetime, error: str) -> None:
        self.conn.execute(
            "INSERT INTO service_health_status (service_name, status, last_check, error_message)"
            " VALUES (%(s)s, 'degraded', %(at)s, %(e)s)"
            " ON CONFLICT (service_name) DO UPDATE SET status = 'degraded', last_check = %(at)s, error_message = %(e)s",
            {"s": SERVICE, "at": at, "e": error[:2000]})

    def service_health(self) -> dict[str, Any] | None:
        return self.conn.execute("SELECT * FROM service_health_status WHERE service_name = %s",
                                 (SERVICE,)).fetchone()

    # --- monitors -----------------------------------------------------------------------------

    def monitor_by_kuma_id(self, kuma_monitor_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
        lock = " FOR UPDATE" if for_update else ""
        return self.conn.execute("SELECT * FROM monitors WHERE kuma_monitor_id = %s" + lock,
                                 (kuma_monitor_id,)).fetchone()

    def monitors_for_reconcile(self, tenant_id: str | None) -> list[dict[str, Any]]:
        """Every monitor (tombstones too: they still need their Kuma monitor deleted)."""
        if tenant_id is None:
            return self.conn.execute("SELECT * FROM monitors ORDER BY created_at, id").fetchall()
        return self.conn.execute("SELECT * FROM monitors WHERE tenant_id = %s ORDER BY created_at, id",
                                 (tenant_id,)).fetchall()

    def existing_monitor_ids(self, ids: list[UUID]) -> set[UUID]:
        if not ids:
            return set()
        return {r["id"] for r in self.conn.execute("SELECT id FROM monitors WHERE id = ANY(%s)", (ids,)).fetchall()}

    def linked_kuma_ids(self) -> set[int]:
        rows = self.conn.execute("SELECT kuma_monitor_id FROM monitors WHERE kuma_monitor_id IS NOT NULL").fetchall()
        return {r["kuma_monitor_id"] for r in rows}

    # --- status -------------------------------------------------------------------------------

    def apply_status(self, row: dict[str, Any], status: str, at: datetime, msg: str, ping: float | None,
                     source: str, event_id: UUID | None) -> tuple[dict[str, Any], bool]:
        """Apply a heartbeat to a locked monitor row. Older than (or as old as) the newest beat
        already applied: nothing changes. Returns (row, whether the status changed)."""
        observed = row.get("status_observed_at")
        if observed is not None and at <= observed:
            return row, False
        changed = row["status"] != status
        updated = self.conn.execute(
            "UPDATE monitors SET status = %(status)s, status_observed_at = %(at)s,"
            " status_changed_at = CASE WHEN %(changed)s THEN %(at)s ELSE status_changed_at END"
            " WHERE id = %(id)s RETURNING *",
            {"status": status, "at": at, "changed": changed, "id": row["id"]}).fetchone()
        if changed:
            self.conn.execute(
                "INSERT INTO monitor_status_transitions (monitor_id, tenant_id, from_status, to_status, at, msg, ping,"
                " source, event_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (monitor_id, at, to_status) DO NOTHING",
                (row["id"], row["tenant_id"], row["status"], status, at, msg[:2000], ping, source, event_id))
        return updated, changed

    def transitions(self, monitor_id: UUID) -> list[dict[str, Any]]:
        return self.conn.execute("SELECT * FROM monitor_status_transitions WHERE monitor_id = %s ORDER BY at, id",
                                 (monitor_id,)).fetchall()

    def record_unmanaged(self, kuma_monitor_id: int, name: str | None, status: str, at: datetime, msg: str) -> None:
        self.conn.execute(
            "INSERT INTO kuma_unmanaged_heartbeats (kuma_monitor_id, monitor_name, status, observed_at, msg)"
            " VALUES (%(kid)s, %(name)s, %(status)s, %(at)s, %(msg)s)"
            " ON CONFLICT (kuma_monitor_id) DO UPDATE SET deliveries = kuma_unmanaged_heartbeats.deliveries + 1,"
            " last_seen_at = now(),"
            " monitor_name = COALESCE(EXCLUDED.monitor_name, kuma_unmanaged_heartbeats.monitor_name),"
            " status = CASE WHEN EXCLUDED.observed_at > kuma_unmanaged_heartbeats.observed_at"
            "          THEN EXCLUDED.status ELSE kuma_unmanaged_heartbeats.status END,"
            " msg = CASE WHEN EXCLUDED.observed_at > kuma_unmanaged_heartbeats.observed_at"
            "       THEN EXCLUDED.msg ELSE kuma_unmanaged_heartbeats.msg END,"
            " observed_at = GREATEST(EXCLUDED.observed_at, kuma_unmanaged_heartbeats.observed_at)",
            {"kid": kuma_monitor_id, "name": name, "status": status, "at": at, "msg": msg[:2000]})

    def unmanaged_heartbeats(self) -> list[dict[str, Any]]:
        return self.conn.execute("SELECT * FROM kuma_unmanaged_heartbeats ORDER BY kuma_monitor_id").fetchall()

    def forget_unmanaged(self, kuma_monitor_id: int) -> None:
        self.conn.execute("DELETE FROM kuma_unmanaged_heartbeats WHERE kuma_monitor_id = %s", (kuma_monitor_id,))
