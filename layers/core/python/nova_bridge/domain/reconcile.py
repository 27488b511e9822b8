"""Reconciliation of Nova's monitors with Uptime Kuma, and import of Kuma-only monitors.

Compares every Nova monitor (tombstones included) with what Kuma holds and repairs the drift:
missing or changed monitors, a wrong pause state, the bridge's webhook notification missing or
stale, rows left `pending`/`failed`, orphaned bridge monitors (marked, no Nova monitor) and
duplicates. Kuma does not retry lost webhooks, so the current status is refreshed from the newest
heartbeat Kuma holds, and a monitor that is up again gets its open alert closed (through the
alerting module, when present). `dry_run` reports the same changes without making them. With
`import_unmanaged`, Kuma monitors nobody manages are adopted into `import_tenant`.

`deps` is a worker dependency set (settings, uow, clock, kuma(), goalert()).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import import_module
from typing import Any
from uuid import UUID

from nova_bridge.adapters.kuma.payloads import monitor_differs
from nova_bridge.adapters.kuma.records import KumaRecords
from nova_bridge.domain.kuma_monitors import NOTIFICATION_NAME, desired_payload, fields_from_kuma, marker_of, \
    webhook_url
from nova_bridge.errors import BackendError, BackendUnavailable, BridgeError
from nova_bridge.schemas.integration import SyncChange, SyncReport

logger = logging.getLogger("nova_bridge.reconcile")

BACKEND = "uptime_kuma"
RECONCILER_ACTOR = "system:reconciler"
STATUS_BY_CODE = {0: "down", 1: "up", 2: "pending", 3: "maintenance"}
Progress = Callable[[int, int, str], None]  # (done, total, what)


class _Run:
    def __init__(self, deps: Any, dry_run: bool, progress: Progress | None) -> None:
        self.deps = deps
        self.dry_run = dry_run
        self.progress = progress
        self.changes: list[SyncChange] = []
        self.errors: list[str] = []

    def change(self, action: str, monitor_id: Any = None, remote_id: Any = None, detail: str = "") -> None:
        self.changes.append(SyncChange(backend=BACKEND, action=action,
                                       monitor_id=None if monitor_id is None else str(monitor_id),
                                       remote_id=None if remote_id is None else str(remote_id), detail=detail))

    def error(self, message: str) -> None:
        logger.warning("reconcile: %s", message)
        self.errors.append(message)


def reconcile(deps: Any, *, tenant_id: str | None = None, dry_run: bool = False, import_unmanaged: bool = False,
              import_tenant: str | None = None, targets: tuple[str, ...] = (BACKEND,),
              progress: Progress | None = None) -> SyncReport:
    started = deps.clock()
    run = _Run(deps, dry_run, progress)
    if BACKEND in targets:
        _reconcile_kuma(run, tenant_id, import_unmanaged, import_tenant or tenant_id)
    return SyncReport(dry_run=dry_run, started_at=started, finished_at=deps.clock(), changes=run.changes,
                      errors=run.errors)


def _reconcile_kuma(run: _Run, tenant_id: str | None, import_unmanaged: bool, import_tenant: str | None) -> None:
    deps = run.deps
    kuma = deps.kuma()
    if kuma is None:
        run.error("uptime_kuma is not configured: monitors stay pending")
        return
    try:
        beats = kuma.latest_heartbeats()  # a fresh login: its burst also refreshes every list below
        notification_id = _notification(run, kuma)
        remote = kuma.list_monitors()
        version = kuma.version
    except BackendError as exc:
        run.error(f"Kuma unavailable: {exc.detail}")
        _mark(run, ok=False)
        return

    with deps.uow.transaction() as tx:
        records = KumaRecords(tx.conn)
        rows = records.monitors_for_reconcile(tenant_id)
        marked: dict[UUID, list[int]] = {}
        for kid, monitor in remote.items():
            owner = marker_of(monitor.get("description"))
            if owner is not None:
                marked.setdefault(owner, []).append(kid)
        existing = records.existing_monitor_ids(list(marked))
        linked = records.linked_kuma_ids()
        unmanaged_beats = {r["kuma_monitor_id"]: r for r in records.unmanaged_heartbeats()}

    total = len(rows)
    for done, row in enumerate(rows, start=1):
        try:
            _reconcile_row(run, row, remote, marked, notification_id, version, beats)
        except BackendUnavailable as exc:
            run.error(f"Kuma unavailable at monitor {row['id']}: {exc.detail}; the rest waits for the next run")
            break
        except BridgeError as exc:
            run.error(f"monitor {row['id']}: {exc.detail}")
        if run.progress:
            run.progress(done, total, "monitors")

    rows_by_id = {row["id"]: row for row in rows}
    for owner, kids in marked.items():
        for kid in kids:
            row = rows_by_id.get(owner)
            if owner not in existing:
                _delete_remote(run, kid, "orphan.deleted", owner, f"{remote[kid].get('name')!r}: no Nova monitor")
            elif row is not None and row.get("kuma_monitor_id") not in (None, kid) \
                    and row.get("kuma_monitor_id") in remote:
                _delete_remote(run, kid, "duplicate.deleted", owner,
                               f"Nova monitor is linked to Kuma monitor {row['kuma_monitor_id']}")

    claimed = linked | {kid for kids in marked.values() for kid in kids}
    for kid in sorted(set(remote) - claimed):
        monitor = remote[kid]
        if import_unmanaged and import_tenant:
            _import(run, import_tenant, kid, monitor, beats.get(kid))
        else:
            beat = unmanaged_beats.get(kid)
            seen = f"; last heartbeat {beat['status']} at {beat['observed_at'].isoformat()}" if beat else ""
            run.change("unmanaged", remote_id=kid, detail=f"{monitor.get('name')!r} ({monitor.get('type')}) exists "
                                                          f"only in Kuma{seen}")
    _mark(run, ok=not run.errors)


def _notification(run: _Run, kuma: Any) -> int | None:
    """The id of the bridge's notification when it is right (repairs it unless dry run)."""
    from nova_bridge.adapters.webhook_auth import webhook_secret
    from nova_bridge.workers.kuma_sync import SECRET_HEADER_NAME, ensure_notification

    settings = run.deps.settings
    wanted_headers = {SECRET_HEADER_NAME: webhook_secret(settings)}
    ours = sorted((n for n in kuma.list_notifications() if n.get("name") == NOTIFICATION_NAME), key=lambda n: n["id"])
    if ours:
        config = ours[0]["config"]
        headers = _json_object(config.get("webhookAdditionalHeaders"))
        if ours[0].get("active", True) and config.get("webhookURL") == webhook_url(settings.public_url) \
                and headers == wanted_headers and config.get("webhookContentType") == "json":
            return int(ours[0]["id"])
        run.change("notification.repaired", remote_id=ours[0]["id"],
                   detail=f"webhook notification {NOTIFICATION_NAME!r} had a stale URL, secret or content type")
    else:
        run.change("notification.created", detail=f"webhook notification {NOTIFICATION_NAME!r} was missing")
    if run.dry_run:
        return int(ours[0]["id"]) if ours else None
    return ensure_notification(kuma, settings)


def _reconcile_row(run: _Run, row: dict[str, Any], remote: dict[int, dict], marked: dict[UUID, list[int]],
                   notification_id: int | None, version: str, beats: dict[int, dict]) -> None:
    kid = row.get("kuma_monitor_id")
    found = marked.get(row["id"], [])
    if row.get("deleted_at") is not None:
        targets = [k for k in {kid, *found} if k is not None and k in remote]
        if targets:
            run.change("deleted", row["id"], targets[0], "Nova monitor was deleted")
        if not run.dry_run and (targets or row.get("kuma_sync_state") != "synced"):
            from nova_bridge.workers.monitor_events import sync_monitor_row

            sync_monitor_row(run.deps, row["id"])  # every backend; purges the tombstone when all are done
        return

    current = remote.get(kid) if kid is not None else None
    actions: list[tuple[str, str]] = []
    if current is None and found:
        kid, current = found[0], remote[found[0]]
        actions.append(("relinked", f"found Kuma monitor {kid} by its marker"))
    if current is None:
        actions.append(("created", "missing in Kuma" if row.get("kuma_monitor_id") is not None else "not in Kuma yet"))
    else:
        wanted = desired_payload(row, version, [notification_id] if notification_id else [], current)
        drifted = monitor_differs(wanted, current)
        if drifted:
            actions.append(("updated", "drifted: " + ", ".join(drifted)))
        elif notification_id is None:
            actions.append(("updated", "webhook notification not attached"))
        active = bool(current.get("active", True))
        if row.get("paused") and active:
            actions.append(("paused", "active in Kuma, paused in Nova"))
        elif not row.get("paused") and not active:
            actions.append(("resumed", "paused in Kuma, active in Nova"))
    if not actions and row.get("kuma_sync_state") in ("pending", "failed"):
        actions.append(("resynced", f"sync state was {row['kuma_sync_state']}"))
    for action, detail in actions:
        run.change(action, row["id"], kid, detail)
    if actions and not run.dry_run:
        from nova_bridge.workers import kuma_sync

        if not kuma_sync.sync_monitor(run.deps, row):
            with run.deps.uow.transaction() as tx:
                fresh = tx.get_monitor_for_sync(row["id"])
            run.error(f"monitor {row['id']}: Kuma sync {fresh['kuma_sync_state']}: {fresh['kuma_last_error']}")
        with run.deps.uow.transaction() as tx:
            kid = (tx.get_monitor_for_sync(row["id"]) or {}).get("kuma_monitor_id", kid)
    if kid is not None:
        _refresh_status(run, row, kid, beats.get(kid))


def _refresh_status(run: _Run, row: dict[str, Any], kid: int, beat: dict | None) -> None:
    """Kuma does not retry a lost webhook: take the status from its newest heartbeat."""
    if beat is not None and beat.get("status") in STATUS_BY_CODE and isinstance(beat.get("time"), str):
        status, at = STATUS_BY_CODE[beat["status"]], _beat_time(beat["time"])
        observed = row.get("status_observed_at")
        if status != row["status"] and (observed is None or at > observed):
            run.change("status.refreshed", row["id"], kid,
                       f"{row['status']} -> {status} (Kuma heartbeat at {at.isoformat()}; its webhook was lost)")
            if not run.dry_run:
                from nova_bridge.workers.status_tracking import apply_heartbeat

                updated, _ = apply_heartbeat(run.deps, kid, status, at, str(beat.get("msg") or ""),
                                             _float(beat.get("ping")), source="reconcile")
                row = updated or row
    if not run.dry_run and row.get("status") == "up":
        _close_alert_if_up(run, row, kid)


def _close_alert_if_up(run: _Run, row: dict[str, Any], kid: int) -> None:
    try:
        alerting = import_module("nova_bridge.workers.alerting")
    except ImportError:
        return  # GoAlert side not installed
    from nova_bridge.events import make_event

    event = make_event("monitor.up", tenant_id=row["tenant_id"], kuma_monitor_id=kid, status="up",
                       time=row.get("status_observed_at") or run.deps.clock(), msg="reconciled")
    try:
        alerting.on_heartbeat(run.deps, row, event, False)  # closes the open alert of an up monitor, if any
    except Exception as exc:  # noqa: BLE001 - GoAlert trouble must not stop the Kuma reconcile
        run.error(f"monitor {row['id']}: closing its alert failed: {exc}")


def _delete_remote(run: _Run, kid: int, action: str, owner: UUID, detail: str) -> None:
    run.change(action, owner, kid, detail)
    if run.dry_run:
        return
    from nova_bridge.adapters.kuma.client import KumaNotFound

    try:
        run.deps.kuma().delete_monitor(kid)
    except KumaNotFound:
        pass
    except BackendError as exc:
        run.error(f"deleting Kuma monitor {kid}: {exc.detail}")


def _import(run: _Run, tenant_id: str, kid: int, monitor: dict, beat: dict | None) -> None:
    from pydantic import ValidationError

    from nova_bridge.domain.monitors import snapshot
    from nova_bridge.schemas.monitors import MonitorCreate

    fields = fields_from_kuma(monitor)
    if fields is None:
        run.error(f"Kuma monitor {kid} ({monitor.get('name')!r}): type {monitor.get('type')!r} cannot be imported")
        return
    try:
        validated = MonitorCreate(**fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        run.error(f"Kuma monitor {kid} ({monitor.get('name')!r}) cannot be imported: {problems}")
        return
    run.change("imported", remote_id=kid, detail=f"{validated.name!r} adopted into tenant {tenant_id}")
    if run.dry_run:
        return
    deps = run.deps
    with deps.uow.transaction() as tx:
        tx.ensure_tenant(tenant_id)
        row = tx.insert_monitor({
            "tenant_id": tenant_id, "name": validated.name, "type": validated.type,
            "config": validated.model_dump(mode="json"), "tags": validated.tags,
            "paused": not bool(monitor.get("active", True)), "kuma_monitor_id": kid,
            "goalert_sync_state": "disabled", "created_by": RECONCILER_ACTOR})
        tx.audit(tenant_id, RECONCILER_ACTOR, "monitor.imported", "monitor", str(row["id"]), None, snapshot(row))
        KumaRecords(tx.conn).forget_unmanaged(kid)
    run.changes[-1] = run.changes[-1].model_copy(update={"monitor_id": str(row["id"])})
    from nova_bridge.workers import kuma_sync

    kuma_sync.sync_monitor(deps, row)  # marks it as ours and attaches the webhook notification
    _refresh_status(run, row, kid, beat)


def _mark(run: _Run, ok: bool) -> None:
    if run.dry_run:
        return
    counts: dict[str, int] = {}
    for change in run.changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    with run.deps.uow.transaction() as tx:
        records = KumaRecords(tx.conn)
        if ok:
            records.mark_sync_success(run.deps.clock(), {"last_reconcile": counts})
        else:
            records.mark_sync_failure(run.deps.clock(), "; ".join(run.errors)[:2000])


def _beat_time(text: str) -> datetime:
    stamp = datetime.fromisoformat(text.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    return stamp.astimezone(timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def _float(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def _json_object(raw: Any) -> dict:
    import json

    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def summarize(report: SyncReport) -> str:
    """One line per action count, for the CLI and logs."""
    counts: dict[str, int] = {}
    for change in report.changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    head = "dry run: would change" if report.dry_run else "changed"
    parts = ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "nothing"
    tail = f"; {len(report.errors)} error(s)" if report.errors else ""
    seconds = (report.finished_at - report.started_at).total_seconds()
    return f"{head}: {parts}{tail} ({seconds:.1f}s)"
