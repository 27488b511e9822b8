"""Integration health: each backend's reachability and the state of the sync pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from nova_bridge.errors import BridgeError
from nova_bridge.schemas.integration import BackendHealth, IntegrationHealth, QueueHealth

PAGING_BACKENDS = ("uptime_kuma", "goalert")

# A probe returns extra BackendHealth fields (version, circuit, last_successful_sync, ...) or raises.
Probe = Callable[[], dict[str, Any]]


def probe_backend(name: str, probe: Probe | None) -> BackendHealth:
    if probe is None:
        return BackendHealth(name=name, configured=False, status="not_configured")
    started = time.perf_counter()
    try:
        extra = probe()
    except BridgeError as exc:
        return BackendHealth(name=name, configured=True, status="unhealthy", error=exc.detail,
                             latency_ms=round((time.perf_counter() - started) * 1000, 1),
                             circuit=exc.extra.get("circuit"))
    latency = round((time.perf_counter() - started) * 1000, 1)
    return BackendHealth(name=name, configured=True, status=extra.pop("status", "healthy"),
                         latency_ms=extra.pop("latency_ms", latency), **extra)


def integration_health(queue_stats: Callable[[], dict[str, Any]], probes: dict[str, Probe | None]) -> IntegrationHealth:
    backends = [probe_backend(name, probe) for name, probe in probes.items()]
    queues = QueueHealth(**queue_stats())
    if any(b.status == "unhealthy" and b.name == "database" for b in backends):
        overall = "unhealthy"
    elif any(b.status in ("unhealthy", "degraded") for b in backends) or queues.failed_events \
            or any(b.status == "not_configured" for b in backends if b.name in PAGING_BACKENDS):
        overall = "degraded"  # without Kuma or GoAlert, changes wait as `pending` and nobody is paged
    else:
        overall = "healthy"
    return IntegrationHealth(status=overall, backends=backends, queues=queues, checked_at=datetime.now(timezone.utc))
