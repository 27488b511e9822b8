"""Bring Uptime Kuma in line with one Nova monitor row (called by the monitor-sync worker and the
reconciler): create, update (read-modify-write, only when drifted), pause, resume or delete the
Kuma monitor, with the bridge's webhook notification attached.

State-based: the row is the intent, whatever event caused the call. Outcomes:
- Kuma not configured: the row stays `pending` (the reconciler retries it once Kuma is), False.
- Kuma unreachable (BackendUnavailable): the error is noted on the row and re-raised, so the
  worker's message goes back to the queue; the change waits, nothing is lost.
- Kuma refuses (BackendRejected, or a payload it cannot accept): `failed` with the reason, False.
- Otherwise `synced` with Kuma's id, True (for a tombstone: the Kuma monitor is gone).
"""

from __future__ import annotations

import logging
from typing import Any

from nova_bridge.adapters.kuma.records import KumaRecords
from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, webhook_secret
from nova_bridge.domain.kuma_monitors import NOTIFICATION_NAME, desired_payload, marker_of, webhook_url
from nova_bridge.errors import BackendError, ValidationFailed

logger = logging.getLogger("nova_bridge.workers.kuma_sync")

# Header names are case-insensitive in HTTP; Kuma sends them as written here.
SECRET_HEADER_NAME = "X-Nova-Webhook-Secret"
assert SECRET_HEADER_NAME.lower() == KUMA_SECRET_HEADER


def ensure_notification(kuma: Any, settings: Any) -> int:
    """The id of the bridge's webhook notification in Kuma, created or corrected if needed."""
    return kuma.ensure_webhook_notification(NOTIFICATION_NAME, webhook_url(settings.public_url),
                                            {SECRET_HEADER_NAME: webhook_secret(settings)})


def sync_monitor(deps: Any, row: dict[str, Any]) -> bool:
    kuma = deps.kuma()
    if kuma is None:
        return False  # stays pending until Kuma is configured and the reconciler runs
    try:
        kuma_id = _apply(kuma, deps.settings, row)
    except BackendError as exc:
        if not exc.retryable:
            return _failed(deps, row, exc)
        _note_error(deps, row, f"Kuma unavailable: {exc.detail}")
        raise
    except ValidationFailed as exc:  # the row holds something this Kuma version cannot take
        return _failed(deps, row, exc)
    _record(deps, row, kuma_id, "synced", None)
    return True


def _failed(deps: Any, row: dict[str, Any], exc: Exception) -> bool:
    detail = getattr(exc, "detail", str(exc))
    _record(deps, row, row.get("kuma_monitor_id"), "failed", detail)
    logger.warning("kuma refused monitor %s: %s", row["id"], detail)
    return False


def find_marked(kuma: Any, monitor_id: Any) -> list[int]:
    """Kuma ids of monitors carrying this Nova monitor's marker (normally zero or one)."""
    return sorted(kid for kid, monitor in kuma.list_monitors().items() if marker_of(monitor.get("description"))
                  == monitor_id)


def _apply(kuma: Any, settings: Any, row: dict[str, Any]) -> int | None:
    from nova_bridge.adapters.kuma.client import KumaNotFound

    kuma_id = row.get("kuma_monitor_id")
    if row.get("deleted_at") is not None:
        targets = [kuma_id] if kuma_id is not None else find_marked(kuma, row["id"])
        for target in targets:
            try:
                kuma.delete_monitor(target)
            except KumaNotFound:
                pass  # gone already
        return None

    notification_id = ensure_notification(kuma, settings)
    current = None
    if kuma_id is not None:
        try:
            current = kuma.get_monitor(kuma_id)
        except KumaNotFound:
            kuma_id = None  # deleted in Kuma behind our back: recreate (or find our marked one)
    if current is None:
        marked = find_marked(kuma, row["id"])
        if marked:  # an earlier attempt added it and crashed before recording the id
            kuma_id = marked[0]
            current = kuma.get_monitor(kuma_id)
    if current is None:
        payload = desired_payload(row, kuma.version, [notification_id])
        payload["active"] = not row.get("paused")
        kuma_id = kuma.add_monitor(payload)
        if row.get("paused"):
            kuma.pause_monitor(kuma_id)
        return kuma_id

    from nova_bridge.adapters.kuma.payloads import monitor_differs

    payload = desired_payload(row, kuma.version, [notification_id], current)
    drifted = monitor_differs(payload, current)
    if drifted:
        current = kuma.edit_monitor(kuma_id, {key: payload[key] for key in drifted})
    active = bool(current.get("active", True))
    if row.get("paused") and active:
        kuma.pause_monitor(kuma_id)
    elif not row.get("paused") and not active:
        kuma.resume_monitor(kuma_id)
    return kuma_id


def _record(deps: Any, row: dict[str, Any], kuma_id: int | None, state: str, error: str | None) -> None:
    now = deps.clock()
    with deps.uow.transaction() as tx:
        records = KumaRecords(tx.conn)
        records.record_sync(row["id"], row["version"], kuma_id, state, error, now)
        if state == "synced":
            records.mark_sync_success(now)


def _note_error(deps: Any, row: dict[str, Any], error: str) -> None:
    try:
        with deps.uow.transaction() as tx:
            KumaRecords(tx.conn).record_error(row["id"], error)
            KumaRecords(tx.conn).mark_sync_failure(deps.clock(), error)
    except Exception:  # noqa: BLE001 - the retry matters more than the note
        logger.warning("could not note the Kuma error on monitor %s", row["id"], exc_info=True)
