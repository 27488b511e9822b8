"""The paging path: a monitor's DOWN triggers its GoAlert alert, UP closes it.

Decisions are made from state, not from whether this delivery changed anything: a DOWN pages
when the monitor is still down and no alert was raised in this DOWN episode (so a redelivered
DOWN after GoAlert was unreachable still pages, exactly once); an UP closes the bridge's open
alert. The dedup key `nova:{tenant}:{monitor}` is sent with both, so GoAlert itself keeps one
open alert per monitor whatever happens between the bridge and it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from nova_bridge.adapters.goalert.factory import backend_or_none
from nova_bridge.adapters.goalert.records import Records
from nova_bridge.events import Event
from nova_bridge.workers.runtime import RetryLater

logger = logging.getLogger("nova_bridge.workers.alerting")

KUMA_ACTOR = "system:uptime-kuma"


def dedup_key(tenant_id: str, monitor_id: Any) -> str:
    return f"nova:{tenant_id}:{monitor_id}"


def on_heartbeat(deps: Any, row: dict[str, Any], event: Event, changed: bool) -> None:
    """`changed` is informative only (see the module doc): decisions come from state."""
    status = event.detail.status
    if status not in ("down", "up"):  # maintenance and pending page nobody
        return
    alerting = (row.get("config") or {}).get("alerting") or {}
    key = dedup_key(row["tenant_id"], row["id"])
    if status == "down":
        _on_down(deps, row, event, alerting, key)
    else:
        _on_up(deps, row, key)


def _on_down(deps: Any, row: dict[str, Any], event: Event, alerting: dict[str, Any], key: str) -> None:
    if row.get("paused") or row.get("deleted_at") is not None or not alerting.get("enabled"):
        return
    if row.get("status") not in (None, "down"):
        return  # a later UP (or maintenance) already superseded this DOWN
    backend = backend_or_none(deps)
    if backend is None:
        return  # GoAlert not configured: nobody can be paged
    if not row.get("goalert_integration_key"):
        raise RetryLater(f"monitor {row['id']} has no GoAlert integration key yet (sync {row['goalert_sync_state']})")
    episode_start = row.get("status_changed_at") or event.detail.time
    with deps.uow.transaction() as tx:
        if Records(tx.conn).alerted_in_episode(row["tenant_id"], key, episode_start):
            return  # this DOWN episode has its alert already
    guard = int(alerting.get("flap_guard_seconds") or 0)
    if guard:
        remaining = (_aware(episode_start) + timedelta(seconds=guard) - deps.clock()).total_seconds()
        if remaining > 0:  # look again when the guard ends: one redelivery, not one per visibility timeout
            raise RetryLater(f"flap guard: monitor {row['id']} must stay down {guard}s before paging",
                             delay_seconds=int(remaining) + 1)
    summary = f"{row['name']} is DOWN"
    details = event.detail.msg or ""
    result = backend.ingest.trigger(row["goalert_integration_key"], summary, details, dedup=key)
    with deps.uow.transaction() as tx:
        Records(tx.conn).record_alert(
            tenant_id=row["tenant_id"], monitor_id=row["id"], source="monitor", dedup_key=key, summary=summary,
            details=details, severity=(row.get("config") or {}).get("severity", "high"),
            goalert_alert_id=result.alert_id, goalert_service_id=result.service_id or row.get("goalert_service_id"),
            created_by=KUMA_ACTOR, episode_started_at=episode_start)


def _on_up(deps: Any, row: dict[str, Any], key: str) -> None:
    if row.get("status") not in (None, "up"):
        return  # a stale or redelivered UP: a newer DOWN (or maintenance) holds the monitor now
    with deps.uow.transaction() as tx:
        open_alert = Records(tx.conn).open_alert(row["tenant_id"], key)
    if open_alert is None:
        return  # nothing was paged for this monitor: nothing to close
    backend = backend_or_none(deps)
    token = row.get("goalert_integration_key")
    if backend is not None and token:
        backend.ingest.close(token, dedup=key)
    elif backend is not None and open_alert.get("goalert_alert_id"):
        backend.client.close_alerts([open_alert["goalert_alert_id"]])
    with deps.uow.transaction() as tx:
        Records(tx.conn).set_alert_status(open_alert["id"], "resolved", KUMA_ACTOR, deps.clock())


def _aware(ts: datetime) -> datetime:
    from datetime import timezone

    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
