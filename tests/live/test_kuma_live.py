"""The bridge against a real Uptime Kuma. Runs only when KUMA_URL, KUMA_USERNAME and KUMA_PASSWORD
are set (a Kuma without a user yet is set up with them); leaves nothing behind: everything it
creates carries a unique name, including its own webhook notification, so a real "Nova bridge"
notification is never touched.

Beyond the client round trips, the worker path (`kuma_sync.sync_monitor`) drives a Nova monitor row
(real PostgreSQL, as in the integration tests) through Kuma, the reconciler dry-runs against it,
and a real DOWN webhook from Kuma reaches a loopback listener and parses with the bridge's parser.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nova_bridge.adapters.kuma.client import InMemoryTokenCache, KumaClient, KumaNotFound
from nova_bridge.adapters.kuma.payloads import kuma_monitor_payload, monitor_differs
from nova_bridge.adapters.kuma.webhook import KumaHeartbeat, parse_kuma_webhook
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, webhook_secret
from nova_bridge.domain import monitors, reconcile as reconcile_module
from nova_bridge.domain.kuma_monitors import marker_of
from nova_bridge.domain.reconcile import reconcile
from nova_bridge.schemas.monitors import MonitorUpdate
from nova_bridge.workers import kuma_sync
from nova_bridge.workers.deps import WorkerDeps
from tests.integration.test_kuma_sync import CALLER, MemoryPublisher, create, row_of

LIVE_ENV = ("KUMA_URL", "KUMA_USERNAME", "KUMA_PASSWORD")
WEBHOOK_WAIT = 75.0  # Kuma checks a new monitor at once; a first DOWN beat is notified

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not all(os.environ.get(k) for k in LIVE_ENV),
                       reason="set KUMA_URL, KUMA_USERNAME and KUMA_PASSWORD to run against a real Kuma"),
]


def live_client(name: str) -> KumaClient:
    return KumaClient(os.environ["KUMA_URL"], os.environ["KUMA_USERNAME"], os.environ["KUMA_PASSWORD"],
                      timeout=float(os.environ.get("KUMA_TIMEOUT", "15")), token_cache=InMemoryTokenCache(),
                      breaker=CircuitBreaker(name), auto_setup=True)


@pytest.fixture(scope="module")
def kuma():
    with live_client("kuma-live") as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released), so checks fail with ECONNREFUSED."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the client on its own -----------------------------------------------------------------------


def test_monitor_round_trip(kuma):
    name = unique("nova-live")
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
    name = unique("nova-live-hook")
    first = kuma.ensure_webhook_notification(name, "http://127.0.0.1:9/webhooks/uptime-kuma", {"X-Nova": "a"})
    try:
        assert kuma.ensure_webhook_notification(name, "http://127.0.0.1:9/webhooks/uptime-kuma",
                                                {"X-Nova": "a"}) == first
        assert kuma.ensure_webhook_notification(name, "http://127.0.0.1:9/webhooks/uptime-kuma",
                                                {"X-Nova": "b"}) == first
        [listed] = [n for n in kuma.list_notifications() if n["id"] == first]
        assert listed["config"]["webhookContentType"] == "json"
        assert json.loads(listed["config"]["webhookAdditionalHeaders"]) == {"X-Nova": "b"}
    finally:
        kuma.delete_notification(first)
    assert first not in {n["id"] for n in kuma.list_notifications()}


def test_status_page_and_maintenance_calls(kuma):
    name, slug = unique("nova-live-page"), unique("nova-live")
    monitor_id = kuma.add_monitor({**kuma_monitor_payload(
        {"name": name, "type": "http", "url": "http://127.0.0.1:9/", "interval_seconds": 60},
        version=kuma.version, notification_ids=[]), "active": False})
    maintenance_id = None
    try:
        kuma.add_status_page("Nova live", slug)
        assert slug in {page["slug"] for page in kuma.list_status_pages().values()}
        config = kuma.get_status_page(slug)
        groups = kuma.save_status_page(slug, {**config, "description": "live check"},
                                       [{"name": "Services", "monitorList": [{"id": monitor_id}]}])
        assert groups[0]["id"] and [m["id"] for m in groups[0]["monitorList"]] == [monitor_id]
        assert kuma.get_status_page(slug)["description"] == "live check"
        incident = kuma.post_incident(slug, "Degraded", "looking into it")
        assert kuma.post_incident(slug, "Degraded", "fixed soon", incident_id=incident["id"])["id"] == incident["id"]
        kuma.unpin_incident(slug)

        maintenance_id = kuma.add_maintenance({"title": name, "description": "live check"})
        kuma.add_monitor_maintenance(maintenance_id, [monitor_id])
        assert kuma.get_monitor_maintenance(maintenance_id) == [{"id": monitor_id}]
        assert kuma.list_maintenances()[maintenance_id]["title"] == name
        kuma.pause_maintenance(maintenance_id)
        assert not kuma.list_maintenances()[maintenance_id]["active"]
    finally:
        if maintenance_id is not None:
            kuma.delete_maintenance(maintenance_id)
        kuma.delete_status_page(slug)
        kuma.delete_monitor(monitor_id)
    assert slug not in {page["slug"] for page in kuma.list_status_pages().values()}
    assert maintenance_id not in kuma.list_maintenances()
    with pytest.raises(KumaNotFound):
        kuma.delete_status_page(slug)


def test_ping_reports_the_version(kuma):
    result = kuma.ping()
    assert result["version"] == kuma.version and result["latency_ms"] >= 0


# --- the bridge: worker, reconciler, webhook -----------------------------------------------------


class WebhookListener:
    """A loopback HTTP server standing in for the bridge's public webhook URL: keeps every POST."""

    def __init__(self) -> None:
        received: queue.Queue = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.put((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # no access log in test output
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> "WebhookListener":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_heartbeat_of(self, kuma_id: int, timeout: float) -> tuple[dict, KumaHeartbeat]:
        """The first POST carrying a heartbeat of Kuma monitor `kuma_id` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                headers, body = self.received.get(timeout=left)
            except queue.Empty:
                break
            parsed = parse_kuma_webhook(body, headers.get("Content-Type"))
            if isinstance(parsed, KumaHeartbeat) and parsed.kuma_monitor_id == kuma_id:
                return headers, parsed
        pytest.fail(f"Kuma sent no webhook for monitor {kuma_id} within {timeout:.0f}s")


@pytest.fixture
def listener():
    with WebhookListener() as server:
        yield server


@pytest.fixture
def bridge(settings, db, listener, monkeypatch):
    """Worker deps wired to the live Kuma, with a notification name of its own (the real one, if
    this Kuma has it, stays as it is) whose webhook points at the loopback listener."""
    notification_name = unique("nova-live-bridge")
    monkeypatch.setattr(kuma_sync, "NOTIFICATION_NAME", notification_name)
    monkeypatch.setattr(reconcile_module, "NOTIFICATION_NAME", notification_name)
    client = live_client("kuma-live-bridge")
    configured = replace(settings, kuma_url=os.environ["KUMA_URL"], kuma_username=os.environ["KUMA_USERNAME"],
                         kuma_password=os.environ["KUMA_PASSWORD"], webhook_secret=unique("live-secret"),
                         public_url=listener.public_url)
    deps = WorkerDeps(settings=configured, db=db, publisher=MemoryPublisher(), kuma_factory=lambda s: client)
    deps.notification_name = notification_name
    yield deps
    try:  # whatever a failed test left in Kuma
        for kid, monitor in client.list_monitors().items():
            if (monitor.get("name") or "").startswith("nova-live-sync-"):
                client.delete_monitor(kid)
        for notification in client.list_notifications():
            if notification.get("name") == notification_name:
                client.delete_notification(notification["id"])
    finally:
        client.close()


def sync(deps, monitor_id) -> dict:
    assert kuma_sync.sync_monitor(deps, row_of(deps, monitor_id)) is True
    return row_of(deps, monitor_id)


def bridge_notification(deps) -> dict:
    [ours] = [n for n in deps.kuma().list_notifications() if n["name"] == deps.notification_name]
    return ours


def test_worker_drives_a_monitor_through_kuma(bridge):
    kuma = bridge.kuma()
    name = unique("nova-live-sync")
    target = f"http://127.0.0.1:{closed_port()}/health"
    monitor = create(bridge, name, url=target, interval_seconds=60, retry_interval_seconds=60, timeout_seconds=30)

    row = sync(bridge, monitor.id)
    kid = row["kuma_monitor_id"]
    assert row["kuma_sync_state"] == "synced" and row["kuma_last_error"] is None
    remote = kuma.get_monitor(kid)
    assert (remote["name"], remote["type"], remote["url"], remote["interval"], bool(remote["active"])) == \
        (name, "http", target, 60, True)
    assert marker_of(remote["description"]) == monitor.id
    notification = bridge_notification(bridge)
    assert notification["config"]["webhookURL"] == bridge.settings.public_url + "/webhooks/uptime-kuma"
    assert json.loads(notification["config"]["webhookAdditionalHeaders"]) == \
        {kuma_sync.SECRET_HEADER_NAME: webhook_secret(bridge.settings)}
    assert {int(k) for k, on in remote["notificationIDList"].items() if on} == {notification["id"]}

    # nothing drifted: a second sync sends no edit, and the dry run proposes nothing for this monitor
    assert sync(bridge, monitor.id)["kuma_monitor_id"] == kid
    report = reconcile(bridge, tenant_id=CALLER.tenant_id, dry_run=True)
    ours = [c for c in report.changes if c.monitor_id == str(monitor.id)]
    assert [c.action for c in ours if c.action != "status.refreshed"] == [] and report.errors == []
    assert not [c for c in report.changes if c.action.startswith("notification.")]

    # drift made in Kuma directly is reported by the dry run, and left alone by it
    kuma.edit_monitor(kid, {"interval": 90})
    report = reconcile(bridge, tenant_id=CALLER.tenant_id, dry_run=True)
    [drift] = [c for c in report.changes if c.monitor_id == str(monitor.id) and c.action == "updated"]
    assert drift.remote_id == str(kid) and "interval" in drift.detail
    assert kuma.get_monitor(kid)["interval"] == 90

    # a Nova update reaches Kuma without nulling what it did not mention
    monitors.update_monitor(bridge.uow, CALLER, monitor.id, MonitorUpdate(
        name=name + "-renamed", type="http", url=target, interval_seconds=120, retry_interval_seconds=60,
        timeout_seconds=30))
    sync(bridge, monitor.id)
    remote = kuma.get_monitor(kid)
    assert (remote["name"], remote["interval"], remote["url"]) == (name + "-renamed", 120, target)
    assert {int(k) for k, on in remote["notificationIDList"].items() if on} == {notification["id"]}
    assert remote["accepted_statuscodes"] == ["200-299"] and marker_of(remote["description"]) == monitor.id

    monitors.set_paused(bridge.uow, CALLER, monitor.id, True)
    sync(bridge, monitor.id)
    assert not kuma.get_monitor(kid)["active"]
    monitors.set_paused(bridge.uow, CALLER, monitor.id, False)
    sync(bridge, monitor.id)
    assert kuma.get_monitor(kid)["active"]

    monitors.delete_monitor(bridge.uow, CALLER, monitor.id)
    kuma_sync.sync_monitor(bridge, row_of(bridge, monitor.id))
    assert kid not in kuma.list_monitors()
    with pytest.raises(KumaNotFound):
        kuma.get_monitor(kid)


def test_real_down_webhook_reaches_the_bridge(bridge, listener):
    kuma = bridge.kuma()
    port = closed_port()
    monitor = create(bridge, unique("nova-live-sync"), url=f"http://127.0.0.1:{port}/", interval_seconds=20,
                     retry_interval_seconds=20, timeout_seconds=10)
    before = datetime.now(timezone.utc)
    kid = sync(bridge, monitor.id)["kuma_monitor_id"]

    headers, beat = listener.next_heartbeat_of(kid, WEBHOOK_WAIT)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered[KUMA_SECRET_HEADER] == webhook_secret(bridge.settings)
    assert lowered["content-type"].startswith("application/json")
    assert beat.status == "down" and str(port) in beat.msg and "ECONNREFUSED" in beat.msg
    assert beat.monitor_name == monitor.name and beat.monitor_type == "http"
    assert beat.summary and monitor.name in beat.summary
    # Kuma's time is UTC: a zone mix-up would put it hours away from now
    assert before - timedelta(seconds=5) <= beat.time <= datetime.now(timezone.utc) + timedelta(seconds=5)

    # the same beat is what Kuma hands the reconciler (a lost webhook is repaired from it)
    latest = kuma.latest_heartbeats()
    assert latest[kid]["status"] == 0
    report = reconcile(bridge, tenant_id=CALLER.tenant_id, dry_run=True)
    [refresh] = [c for c in report.changes if c.monitor_id == str(monitor.id) and c.action == "status.refreshed"]
    assert "-> down" in refresh.detail
    assert row_of(bridge, monitor.id)["status"] != "down"  # a dry run changes nothing

    monitors.delete_monitor(bridge.uow, CALLER, monitor.id)
    kuma_sync.sync_monitor(bridge, row_of(bridge, monitor.id))
    assert kid not in kuma.list_monitors()
