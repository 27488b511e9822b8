"""Outbound sync and heartbeat tracking: the real sync worker against the fake Kuma (1.23 and 2.x)
and a real PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from nova_bridge.adapters.kuma.client import InMemoryTokenCache, KumaClient
from nova_bridge.adapters.kuma.records import KumaRecords
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.adapters.webhook_auth import webhook_secret
from nova_bridge.domain import monitors
from nova_bridge.domain.auth import Caller
from nova_bridge.domain.kuma_monitors import NOTIFICATION_NAME, marker_of
from nova_bridge.errors import BackendUnavailable
from nova_bridge.events import make_event
from nova_bridge.schemas.monitors import MonitorCreate, MonitorUpdate
from nova_bridge.workers import kuma_sync, status_tracking
from nova_bridge.workers.deps import WorkerDeps
from tests.conftest import sqs_event
from tests.fakes.kuma_server import FakeKuma

USER, PASSWORD, SECRET = "admin", "admin-pass-1", "hook-secret-123"
PUBLIC_URL = "http://127.0.0.1:8999"
CALLER = Caller(user_id="u-admin", tenant_id="tenant-a", role="admin")


class MemoryPublisher:
    def __init__(self) -> None:
        self.events: list = []

    def publish(self, events):
        self.events.extend(events)
        return []


@pytest.fixture(params=["1.23.17", "2.5.3"])
def fake(request):
    with FakeKuma(version=request.param, username=USER, password=PASSWORD) as server:
        yield server


def kuma_deps(settings, db, fake: FakeKuma, *, timeout: float = 3.0) -> WorkerDeps:
    breaker = CircuitBreaker("kuma", failure_threshold=3, reset_seconds=60)
    client = KumaClient(fake.url, USER, PASSWORD, timeout=timeout, token_cache=InMemoryTokenCache(), breaker=breaker)
    configured = replace(settings, kuma_url=fake.url, kuma_username=USER, kuma_password=PASSWORD,
                         webhook_secret=SECRET, public_url=PUBLIC_URL)
    return WorkerDeps(settings=configured, db=db, publisher=MemoryPublisher(), kuma_factory=lambda s: client)


@pytest.fixture
def wdeps(settings, db, fake):
    deps = kuma_deps(settings, db, fake)
    yield deps
    deps.kuma().close()


def create(deps, name="web", **fields):
    body = {"name": name, "type": "http", "url": "https://example.com/health", **fields}
    return monitors.create_monitor(deps.uow, CALLER, MonitorCreate(**body))


def row_of(deps, monitor_id):
    with deps.uow.transaction() as tx:
        return tx.get_monitor_for_sync(monitor_id)



def changed(action, monitor):
    return make_event(action, tenant_id=CALLER.tenant_id, monitor_id=monitor.id, monitor_version=monitor.version,
                      actor=CALLER.user_id)


def run_worker(deps, *events):
    from functions.sync_worker.handler import lambda_handler

    return lambda_handler(sqs_event(*events), None, deps)


def bridge_notification(fake):
    return [n for n in fake.notifications.values() if n["name"] == NOTIFICATION_NAME]


# --- outbound sync ------------------------------------------------------------------------------


def test_create_update_pause_resume_delete_reach_kuma(wdeps, fake):
    monitor = create(wdeps, interval_seconds=60)
    assert run_worker(wdeps, changed("monitor.created", monitor)) == {"batchItemFailures": []}
    row = row_of(wdeps, monitor.id)
    assert row["kuma_sync_state"] == "synced" and row["kuma_last_error"] is None and row["kuma_synced_at"]
    kid = row["kuma_monitor_id"]
    remote = fake.monitors[kid]
    assert (remote["name"], remote["url"], remote["interval"], remote["active"]) == \
        ("web", "https://example.com/health", 60, True)
    assert marker_of(remote["description"]) == monitor.id

    # the bridge's webhook notification exists once, points at the bridge, carries the secret, is attached
    [notification] = bridge_notification(fake)
    config = json.loads(notification["config"])
    assert config["webhookURL"] == PUBLIC_URL + "/webhooks/uptime-kuma"
    assert config["webhookContentType"] == "json"
    assert json.loads(config["webhookAdditionalHeaders"]) == {"X-Nova-Webhook-Secret": webhook_secret(wdeps.settings)}
    assert remote["notificationIDList"] == {str(notification["id"]): True}

    updated = monitors.update_monitor(wdeps.uow, CALLER, monitor.id, MonitorUpdate(
        name="web-renamed", type="http", url="https://example.com/v2", interval_seconds=120))
    run_worker(wdeps, changed("monitor.updated", updated))
    remote = fake.monitors[kid]
    assert (remote["name"], remote["url"], remote["interval"]) == ("web-renamed", "https://example.com/v2", 120)
    assert row_of(wdeps, monitor.id)["kuma_sync_state"] == "synced"

    paused = monitors.set_paused(wdeps.uow, CALLER, monitor.id, True)
    run_worker(wdeps, changed("monitor.paused", paused))
    assert fake.monitors[kid]["active"] is False
    resumed = monitors.set_paused(wdeps.uow, CALLER, monitor.id, False)
    run_worker(wdeps, changed("monitor.resumed", resumed))
    assert fake.monitors[kid]["active"] is True

    monitors.delete_monitor(wdeps.uow, CALLER, monitor.id)
    run_worker(wdeps, changed("monitor.deleted", resumed))
    assert kid not in fake.monitors
    assert row_of(wdeps, monitor.id) is None  # tombstone purged once every backend forgot it
    assert len(bridge_notification(fake)) == 1  # one notification for every monitor, never duplicated


def test_no_edit_when_kuma_already_matches(wdeps, fake):
    monitor = create(wdeps)
    run_worker(wdeps, changed("monitor.created", monitor))
    run_worker(wdeps, make_event("monitor.updated", tenant_id="tenant-a", monitor_id=monitor.id, monitor_version=1,
                                 actor="u"))
    assert fake.count("add") == 1 and fake.count("editMonitor") == 0


def test_a_stale_notification_is_corrected_and_reattached(wdeps, fake):
    monitor = create(wdeps)
    run_worker(wdeps, changed("monitor.created", monitor))
    [notification] = bridge_notification(fake)
    config = json.loads(notification["config"])
    config["webhookAdditionalHeaders"] = json.dumps({"X-Nova-Webhook-Secret": "old"})
    notification["config"] = json.dumps(config)
    wdeps.kuma().close()  # a new session sees Kuma's current notification list
    kid = row_of(wdeps, monitor.id)["kuma_monitor_id"]
    fake.monitors[kid]["notificationIDList"] = {}
    kuma_sync.sync_monitor(wdeps, row_of(wdeps, monitor.id))
    [notification] = bridge_notification(fake)
    assert json.loads(json.loads(notification["config"])["webhookAdditionalHeaders"]) == \
        {"X-Nova-Webhook-Secret": webhook_secret(wdeps.settings)}
    assert fake.monitors[kid]["notificationIDList"] == {str(notification["id"]): True}


def test_unconfigured_kuma_leaves_the_monitor_pending(settings, db):
    deps = WorkerDeps(settings=settings, db=db, publisher=MemoryPublisher())
    monitor = create(deps)
    assert kuma_sync.sync_monitor(deps, row_of(deps, monitor.id)) is False
    row = row_of(deps, monitor.id)
    assert row["kuma_sync_state"] == "pending" and row["kuma_monitor_id"] is None


# --- faults -------------------------------------------------------------------------------------


def test_refused_connection_retries_later_and_nothing_is_lost(wdeps, fake):
    monitor = create(wdeps)
    fake.stop()
    result = run_worker(wdeps, changed("monitor.created", monitor))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}  # back to the queue
    row = row_of(wdeps, monitor.id)
    assert row["kuma_sync_state"] == "pending" and "unavailable" in row["kuma_last_error"]
    fake.start()
    wdeps.kuma().breaker.reset()
    assert run_worker(wdeps, changed("monitor.created", monitor)) == {"batchItemFailures": []}  # the redelivery
    row = row_of(wdeps, monitor.id)
    assert row["kuma_sync_state"] == "synced" and fake.monitors[row["kuma_monitor_id"]]["name"] == "web"


def test_timeout_is_retryable(settings, db, fake):
    deps = kuma_deps(settings, db, fake, timeout=0.5)
    monitor = create(deps)
    fake.fault("add", "silence")
    with pytest.raises(BackendUnavailable):
        kuma_sync.sync_monitor(deps, row_of(deps, monitor.id))
    assert row_of(deps, monitor.id)["kuma_sync_state"] == "pending"
    deps.kuma().close()


def test_kuma_refusal_marks_the_monitor_failed(wdeps, fake):
    monitor = create(wdeps)
    fake.fault("add", "reject", "Interval cannot be less than 20 seconds")
    result = run_worker(wdeps, changed("monitor.created", monitor))
    assert result == {"batchItemFailures": []}  # not retried: no retry can fix it; the reconciler will
    row = row_of(wdeps, monitor.id)
    assert row["kuma_sync_state"] == "failed" and "Interval cannot be less" in row["kuma_last_error"]
    fake.clear_faults()
    assert kuma_sync.sync_monitor(wdeps, row) is True
    assert row_of(wdeps, monitor.id)["kuma_sync_state"] == "synced"


def test_crash_between_kuma_add_and_our_write_makes_no_duplicate(wdeps, fake, monkeypatch):
    monitor = create(wdeps)

    def crash(*args, **kwargs):
        raise RuntimeError("Lambda died before recording Kuma's id")

    monkeypatch.setattr(kuma_sync, "_record", crash)
    with pytest.raises(RuntimeError):
        kuma_sync.sync_monitor(wdeps, row_of(wdeps, monitor.id))
    assert len(fake.monitors) == 1 and row_of(wdeps, monitor.id)["kuma_monitor_id"] is None
    monkeypatch.undo()
    wdeps.kuma().close()  # the retry runs in a fresh execution environment
    assert run_worker(wdeps, changed("monitor.created", monitor)) == {"batchItemFailures": []}
    assert len(fake.monitors) == 1 and fake.count("add") == 1
    assert row_of(wdeps, monitor.id)["kuma_monitor_id"] == next(iter(fake.monitors))


def test_monitor_deleted_in_kuma_is_recreated(wdeps, fake):
    monitor = create(wdeps)
    run_worker(wdeps, changed("monitor.created", monitor))
    old = row_of(wdeps, monitor.id)["kuma_monitor_id"]
    del fake.monitors[old]
    kuma_sync.sync_monitor(wdeps, row_of(wdeps, monitor.id))
    new = row_of(wdeps, monitor.id)["kuma_monitor_id"]
    assert new != old and new in fake.monitors


# --- heartbeats ---------------------------------------------------------------------------------

T0 = datetime(2026, 12, 4, 19, 45, 2, tzinfo=timezone.utc)


def beat(kid, status, at, msg=""):
    from nova_bridge.domain.heartbeats import heartbeat_event
    from nova_bridge.adapters.kuma.webhook import KumaHeartbeat

    return heartbeat_event(KumaHeartbeat(kuma_monitor_id=kid, status=status, time=at, msg=msg, ping=None,
                                         monitor_name="web", important=True))


def linked_monitor(deps, kid=41):
    monitor = create(deps)
    with deps.uow.transaction() as tx:
        tx.set_sync_state(monitor.id, {"kuma_monitor_id": kid, "kuma_sync_state": "synced"})
    return monitor


def transitions(deps, monitor_id):
    with deps.uow.transaction() as tx:
        return [(t["from_status"], t["to_status"]) for t in KumaRecords(tx.conn).transitions(monitor_id)]


@pytest.fixture
def plain_deps(settings, db):
    return WorkerDeps(settings=replace(settings, webhook_secret=SECRET), db=db, publisher=MemoryPublisher())


def test_heartbeats_keep_status_and_transitions(plain_deps):
    monitor = linked_monitor(plain_deps)
    row, changed_ = status_tracking.record(plain_deps, beat(41, "down", T0, "connect ECONNREFUSED"))
    assert changed_ and row["status"] == "down" and row["status_changed_at"] == T0
    row, changed_ = status_tracking.record(plain_deps, beat(41, "up", T0 + timedelta(seconds=20)))
    assert changed_ and row["status"] == "up"
    assert transitions(plain_deps, monitor.id) == [("unknown", "down"), ("down", "up")]


def test_duplicate_delivery_changes_nothing(plain_deps):
    monitor = linked_monitor(plain_deps)
    event = beat(41, "down", T0)
    assert status_tracking.record(plain_deps, event)[1] is True
    row, changed_ = status_tracking.record(plain_deps, beat(41, "down", T0))
    assert changed_ is False and row["status"] == "down" and row["status_changed_at"] == T0
    assert transitions(plain_deps, monitor.id) == [("unknown", "down")]


def test_out_of_order_heartbeat_does_not_overwrite_newer_status(plain_deps):
    monitor = linked_monitor(plain_deps)
    status_tracking.record(plain_deps, beat(41, "up", T0 + timedelta(minutes=1)))
    row, changed_ = status_tracking.record(plain_deps, beat(41, "down", T0))  # older, arrives late
    assert changed_ is False and row["status"] == "up"
    assert row_of(plain_deps, monitor.id)["status"] == "up"


def test_heartbeat_of_an_unmanaged_monitor_is_recorded(plain_deps):
    row, changed_ = status_tracking.record(plain_deps, beat(999, "down", T0, "boom"))
    assert (row, changed_) == (None, False)
    status_tracking.record(plain_deps, beat(999, "up", T0 - timedelta(seconds=5)))  # older: counted, not applied
    with plain_deps.uow.transaction() as tx:
        [kept] = KumaRecords(tx.conn).unmanaged_heartbeats()
    assert (kept["kuma_monitor_id"], kept["status"], kept["msg"], kept["deliveries"]) == (999, "down", "boom", 2)
