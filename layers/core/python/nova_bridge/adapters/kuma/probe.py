"""Health of the Kuma integration: reachability, version, latency, circuit state and the last
successful sync (stored in service_health_status by the worker and the reconciler)."""

from __future__ import annotations

from typing import Any

from nova_bridge.adapters.kuma.records import KumaRecords
from nova_bridge.errors import BackendError


def kuma_probe(client: Any, uow: Any) -> dict[str, Any]:
    """Extra BackendHealth fields; never raises for Kuma trouble (it is reported instead)."""
    with uow.transaction() as tx:
        stored = KumaRecords(tx.conn).service_health()
    last_sync = stored["last_success"] if stored else None
    try:
        result = client.ping()
    except BackendError as exc:
        return {"status": "unhealthy", "error": exc.detail, "circuit": client.breaker.state,
                "version": getattr(client, "_version", None), "last_successful_sync": last_sync, "latency_ms": None}
    return {"status": "healthy", "version": result.get("version"), "latency_ms": result.get("latency_ms"),
            "circuit": client.breaker.state, "last_successful_sync": last_sync}
