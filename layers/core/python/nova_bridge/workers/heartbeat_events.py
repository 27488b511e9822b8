"""monitor.down|up|pending|maintenance: keep the monitor's status, then drive alerting.

`status_tracking.record(deps, event)` stores the heartbeat (transitions, unmanaged monitors) and
returns the monitor row with whether this was a real change; `alerting.on_heartbeat(deps, row,
event, changed)` triggers or closes the GoAlert alert."""

from __future__ import annotations

from typing import Any

from nova_bridge.events import Event


def on_heartbeat(event: Event, deps: Any) -> None:
    from nova_bridge.workers import alerting, status_tracking

    row, changed = status_tracking.record(deps, event)
    if row is not None:
        alerting.on_heartbeat(deps, row, event, changed)


HANDLERS = {dt: on_heartbeat for dt in ("monitor.down", "monitor.up", "monitor.pending", "monitor.maintenance")}
