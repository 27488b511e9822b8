"""Keep each monitor's current status and its status transitions from Kuma's heartbeats.

Maps Kuma's monitor id to the Nova monitor. A repeated delivery, or a heartbeat older than the
newest one applied (webhooks can overtake each other), changes nothing. A heartbeat for a Kuma
monitor the bridge does not manage is recorded in `kuma_unmanaged_heartbeats` and reported by the
reconciler, not dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from nova_bridge.adapters.kuma.records import KumaRecords
from nova_bridge.events import Event


def record(deps: Any, event: Event) -> tuple[dict[str, Any] | None, bool]:
    """(the monitor row after the heartbeat, or None when unmanaged; whether its status changed)."""
    detail = event.detail
    return apply_heartbeat(deps, detail.kuma_monitor_id, detail.status, detail.time, detail.msg, detail.ping,
                           monitor_name=detail.monitor_name, source="webhook", event_id=detail.event_id)


def apply_heartbeat(deps: Any, kuma_monitor_id: int, status: str, at: datetime, msg: str = "",
                    ping: float | None = None, *, monitor_name: str | None = None, source: str = "webhook",
                    event_id: UUID | None = None) -> tuple[dict[str, Any] | None, bool]:
    with deps.uow.transaction() as tx:
        records = KumaRecords(tx.conn)
        row = records.monitor_by_kuma_id(kuma_monitor_id, for_update=True)
        if row is None:
            records.record_unmanaged(kuma_monitor_id, monitor_name, status, at, msg or "")
            return None, False
        return records.apply_status(row, status, at, msg or "", ping, source, event_id)
