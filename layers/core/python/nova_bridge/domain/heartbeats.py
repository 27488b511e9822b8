"""Turning Kuma's heartbeat notifications into bus events."""

from __future__ import annotations

import uuid

from nova_bridge.events import Event, make_event

# Event ids are derived from what Kuma sent, so a repeated delivery of the same heartbeat carries
# the same id and the workers' idempotency drops it.
_HEARTBEAT_NAMESPACE = uuid.UUID("6f1c8a52-3a0e-4c55-9e3f-8d6f1b2f7a10")


def heartbeat_event(heartbeat) -> Event:
    """`heartbeat` is a parsed Kuma notification (adapters.kuma.webhook.KumaHeartbeat)."""
    identity = f"{heartbeat.kuma_monitor_id}|{heartbeat.status}|{heartbeat.time.isoformat()}"
    return make_event(
        f"monitor.{heartbeat.status}",
        event_id=uuid.uuid5(_HEARTBEAT_NAMESPACE, identity),
        kuma_monitor_id=heartbeat.kuma_monitor_id,
        status=heartbeat.status,
        time=heartbeat.time,
        msg=heartbeat.msg or "",
        ping=heartbeat.ping,
        monitor_name=heartbeat.monitor_name,
    )
