"""The same KumaClient against a real Uptime Kuma. Runs only when KUMA_URL, KUMA_USERNAME and
KUMA_PASSWORD are set; leaves nothing behind (everything it creates carries a unique name)."""

from __future__ import annotations

import os
import uuid

import pytest

from nova_bridge.adapters.kuma.client import InMemoryTokenCache, KumaClient, KumaNotFound
from nova_bridge.adapters.kuma.payloads import kuma_monitor_payload, monitor_differs
from nova_bridge.adapters.resilience import CircuitBreaker

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not all(os.environ.get(k) for k in ("KUMA_URL", "KUMA_USERNAME", "KUMA_PASSWORD")),
                       reason="set KUMA_URL, KUMA_USERNAME and KUMA_PASSWORD to run against a real Kuma"),
]


@pytest.fixture(scope="module")
def kuma():
    client = KumaClient(os.environ["KUMA_URL"], os.environ["KUMA_USERNAME"], os.environ["KUMA_PASSWORD"],
                        timeout=float(os.environ.get("KUMA_TIMEOUT", "15")), token_cache=InMemoryTokenCache(),
                        breaker=CircuitBreaker("kuma-live"))
    with client:
        yield client


def test_monitor_round_trip(kuma):
    name = f"nova-live-{uuid.uuid4().hex[:8]}"
    spec = {"name": name, "type": "http", "url": "http://127.0.0.1:9/", "interval_seconds": 60,
            "retry_interval_seconds": 60, "timeout_seconds": 30, "accepted_status_codes": ["200-299"]}
    payload = kuma_monitor_payload(spec, version=kuma.version, notification_ids=[])
    monitor_id = kuma.add_monitor(payload)
    try:
        stored = kuma.get_monitor(monitor_id)
        assert stored["name"] == name and monitor_differs(payload, stored) == []
        edited = kuma.edit_monitor(monitor_id, {"name": name + "-renamed", "interval": 120})
        assert (edited["name"], edited["interval"], edited["url"]) == (name + "-renamed", 120, "http://127.0.0.1:9/")
        kuma.pause_monitor(monitor_id)
        assert kuma.list_monitors()[monitor_id]["active"] in (False, 0)
        kuma.resume_monitor(monitor_id)
    finally:
        kuma.delete_monitor(monitor_id)
    assert monitor_id not in kuma.list_monitors()
    with pytest.raises(KumaNotFound):
        kuma.get_monitor(monitor_id)


def test_ensure_webhook_notification_is_idempotent(kuma):
    name = f"nova-live-hook-{uuid.uuid4().hex[:8]}"
    first = kuma.ensure_webhook_notification(name, "http://127.0.0.1:9/webhooks/uptime-kuma", {"X-Nova": "a"})
    try:
        assert kuma.ensure_webhook_notification(name, "http://127.0.0.1:9/webhooks/uptime-kuma",
                                                {"X-Nova": "a"}) == first
        assert kuma.ensure_webhook_notification(name, "http://127.0.0.1:9/webhooks/uptime-kuma",
                                                {"X-Nova": "b"}) == first
        [listed] = [n for n in kuma.list_notifications() if n["id"] == first]
        assert listed["config"]["webhookContentType"] == "json"
    finally:
        kuma.delete_notification(first)


def test_ping_reports_the_version(kuma):
    result = kuma.ping()
    assert result["version"] == kuma.version and result["latency_ms"] >= 0
