"""monitor.created|updated|deleted|paused|resumed: bring every backend in line with Nova's intent.

Sync is state-based: each backend syncer reads the monitor's current row (not the event's
payload), so duplicated, late or reordered events converge on the newest intent, and a monitor
whose backend is not configured simply stays `pending` until the reconciler picks it up.
Backend syncers are modules with `sync_monitor(deps, row) -> bool` (True when the backend holds
nothing more to do for this row, e.g. a deleted monitor is gone there).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from nova_bridge.events import Event

MONITOR_SYNCERS: tuple[str, ...] = ("nova_bridge.workers.kuma_sync", "nova_bridge.workers.goalert_sync")


def sync_monitor_row(deps: Any, monitor_id: Any) -> dict[str, Any] | None:
    """Run every backend syncer on the monitor; purge a tombstone once all backends forgot it."""
    with deps.uow.transaction() as tx:
        row = tx.get_monitor_for_sync(monitor_id)
    if row is None:
        return None  # purged already: a late event for a deleted monitor
    done = [import_module(name).sync_monitor(deps, row) for name in MONITOR_SYNCERS]
    if row["deleted_at"] is not None and all(done):
        with deps.uow.transaction() as tx:
            tx.purge_monitor(row["id"])
    return row


def on_monitor_changed(event: Event, deps: Any) -> None:
    sync_monitor_row(deps, event.detail.monitor_id)


HANDLERS = {dt: on_monitor_changed for dt in
            ("monitor.created", "monitor.updated", "monitor.deleted", "monitor.paused", "monitor.resumed")}
