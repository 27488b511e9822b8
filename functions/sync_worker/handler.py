"""Sync worker: consumes the monitor-sync, heartbeats, user-sync and alert-state queues."""

from nova_bridge.workers import alert_events, heartbeat_events, monitor_events, user_events
from nova_bridge.workers.deps import default_worker_deps
from nova_bridge.workers.runtime import SqsWorker

lambda_handler = SqsWorker(
    "sync_worker",
    {**monitor_events.HANDLERS, **heartbeat_events.HANDLERS, **user_events.HANDLERS, **alert_events.HANDLERS},
    default_worker_deps,
    targets=["uptime_kuma", "goalert"],
)
