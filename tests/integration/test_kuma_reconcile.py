"""Reconciliation and import against the fake Kuma: drift repaired, dry run changes nothing,
import adopts Kuma-only monitors, status refreshed from Kuma's own heartbeats; exposed through
POST /api/v2/integration/sync, the scheduled function and the operator CLI; the health probe."""

from __future__ import annotations

import copy
import io
import json
import uuid

import pytest

from nova_bridge.api.deps import ApiDeps
from nova_bridge.domain.kuma_monitors import NOTIFICATION_NAME, marker_of, with_marker
from nova_bridge.domain.reconcile import reconcile
from tests.conftest import Api
from tests.fakes.kuma_server import FakeKuma
from tests.integration.test_kuma_sync import (PASSWORD, USER, bridge_notification, changed, create, kuma_deps,
                                              row_of, run_worker)


@pytest.fixture(params=["1.23.17", "2.5.3"])
def fake(request):
    with FakeKuma(version=request.param, username=USER, password=PASSWORD) as server:
        yield server


@pytest.fixture
def fake_v2():
    with FakeKuma(version="2.5.3", username=USER, password=PASSWORD) as server:
        yield server


def synced_monitor(deps, name, **fields):
    monitor = create(deps, name, **fields)
    run_worker(deps, changed("monitor.created", monitor))
    return monitor, row_of(deps, monitor.id)["kuma_monitor_id"]


def add_raw(fake, name, description=None):
    """A monitor someone created in Kuma directly."""
    with fake._lock:
        return fake._store_new({"type": "http", "name": name, "url": f"http://10.1.1.1/{name}", "interval": 60,
                                "retryInterval": 60, "maxretries": 0, "timeout": 48, "description": description,
                                "accepted_statuscodes": ["200-299"], "notificationIDList": {},
                                **({"conditions": []} if fake.v2 else {})})["id"]


def actions(report):
    return sorted((c.action, c.monitor_id) for c in report.changes)


def test_drift_is_reported_by_dry_run_and_repaired(settings, db, fake):
    deps = kuma_deps(settings, db, fake)
    (changed_m, changed_kid), (missing_m, missing_kid), (paused_m, paused_kid) = (
        synced_monitor(deps, name) for name in ("changed", "missing", "paused-in-kuma"))
    fake.monitors[changed_kid]["url"] = "http://tampered.example/"
    del fake.monitors[missing_kid]
    fake.monitors[paused_kid]["active"] = False
    orphan_kid = add_raw(fake, "orphan", with_marker("left behind", uuid.uuid4()))
    hand_made_kid = add_raw(fake, "hand-made")
    fake.notifications.clear()  # deleted in Kuma's UI: Kuma detaches it from every monitor too
    for monitor in fake.monitors.values():
        monitor["notificationIDList"] = {}
    deps.kuma().close()

    before = (copy.deepcopy(fake.monitors), copy.deepcopy(fake.notifications))
    rows_before = [row_of(deps, m.id) for m in (changed_m, missing_m, paused_m)]
    dry = reconcile(deps, dry_run=True)
    assert dry.dry_run and not dry.errors
    assert (copy.deepcopy(fake.monitors), copy.deepcopy(fake.notifications)) == before  # nothing changed in Kuma
    assert [row_of(deps, m.id) for m in (changed_m, missing_m, paused_m)] == rows_before  # nor in Nova
    found = actions(dry)
    assert ("created", str(missing_m.id)) in found and ("resumed", str(paused_m.id)) in found
    assert ("updated", str(changed_m.id)) in found
    assert ("notification.created", None) in found
    assert {(c.action, c.remote_id) for c in dry.changes} >= {("unmanaged", str(hand_made_kid)),
                                                            ("orphan.deleted", str(orphan_kid))}

    report = reconcile(deps)
    assert not report.errors, report.errors
    assert actions(report) == found  # the dry run announced exactly what the real run did
    assert fake.monitors[changed_kid]["url"] == "https://example.com/health"
    assert fake.monitors[paused_kid]["active"] is True
    assert orphan_kid not in fake.monitors and hand_made_kid in fake.monitors  # never touch what is not ours
    recreated = row_of(deps, missing_m.id)["kuma_monitor_id"]
    assert recreated != missing_kid and fake.monitors[recreated]["name"] == "missing"
    [notification] = bridge_notification(fake)
    for kid in (changed_kid, paused_kid, recreated):
        assert fake.monitors[kid]["notificationIDList"] == {str(notification["id"]): True}

    again = reconcile(deps)  # converged: only the hand-made monitor is left to report
    assert [(c.action, c.remote_id) for c in again.changes] == [("unmanaged", str(hand_made_kid))]
    deps.kuma().close()


def test_import_adopts_kuma_only_monitors(settings, db, fake):
    deps = kuma_deps(settings, db, fake)
    first, second = add_raw(fake, "legacy-a"), add_raw(fake, "legacy-b")
    fake.monitors[second]["active"] = False
    report = reconcile(deps, import_unmanaged=True, import_tenant="tenant-b")
    assert not report.errors, report.errors
    imported = {int(c.remote_id): c.monitor_id for c in report.changes if c.action == "imported"}
    assert set(imported) == {first, second}
    [notification] = bridge_notification(fake)
    for kid, monitor_id in imported.items():
        row = row_of(deps, uuid.UUID(monitor_id))
        assert (row["tenant_id"], row["kuma_monitor_id"], row["kuma_sync_state"]) == ("tenant-b", kid, "synced")
        assert row["config"]["url"] == f"http://10.1.1.1/{fake.monitors[kid]['name']}"
        assert marker_of(fake.monitors[kid]["description"]) == row["id"]  # marked as ours from now on
        assert fake.monitors[kid]["notificationIDList"] == {str(notification["id"]): True}
    assert row_of(deps, uuid.UUID(imported[second]))["paused"] is True
    assert len(fake.monitors) == 2  # adopted in place, nothing recreated
    assert [c.action for c in reconcile(deps, import_unmanaged=True, import_tenant="tenant-b").changes] == []
    deps.kuma().close()


def test_lost_webhook_status_is_refreshed_from_kuma(settings, db, fake_v2):
    deps = kuma_deps(settings, db, fake_v2)
    monitor, kid = synced_monitor(deps, "web")
    fake_v2.heartbeats[kid] = [
        {"id": 1, "monitor_id": kid, "status": 1, "time": "2026-12-04 19:40:00.000", "msg": "200 - OK", "ping": 3,
         "important": True},
        {"id": 2, "monitor_id": kid, "status": 0, "time": "2026-12-04 19:45:00.000", "msg": "connect ECONNREFUSED",
         "ping": None, "important": True}]
    dry = reconcile(deps, dry_run=True)
    assert [c.action for c in dry.changes] == ["status.refreshed"] and row_of(deps, monitor.id)["status"] == "unknown"
    reconcile(deps)
    row = row_of(deps, monitor.id)
    assert row["status"] == "down" and row["status_changed_at"].isoformat() == "2026-12-04T19:45:00+00:00"
    assert reconcile(deps).changes == []  # a webhook already applied is not applied again
    deps.kuma().close()


def test_sync_endpoint_health_cli_and_scheduled_function(settings, db, fake_v2):
    from functions.reconciler.handler import lambda_handler as scheduled
    from nova_bridge.tools.reconcile import main as cli

    deps = kuma_deps(settings, db, fake_v2)
    api = Api(ApiDeps(settings=deps.settings, db=db, publisher=deps.publisher, kuma_factory=lambda s: deps.kuma()))
    monitor = create(deps, "via-api")

    health = api.call("GET", "/api/v2/integration/health").json
    [kuma] = [b for b in health["backends"] if b["name"] == "uptime_kuma"]
    assert (kuma["status"], kuma["version"], kuma["circuit"], kuma["last_successful_sync"]) == \
        ("healthy", "2.5.3", "closed", None)
    assert health["queues"]["monitors_pending_sync"] == 1

    dry = api.call("POST", "/api/v2/integration/sync", json_body={"dry_run": True})
    assert dry.status == 202 and [c["action"] for c in dry.json["changes"]] == ["notification.created", "created"]
    assert fake_v2.monitors == {}
    assert api.call("POST", "/api/v2/integration/sync", json_body={}, role="technician").status == 403

    out, err = io.StringIO(), io.StringIO()
    assert cli(["--tenant", "tenant-a"], deps=deps, out=out, err=err) == 0
    assert "created" in out.getvalue() and out.getvalue().strip().splitlines()[-1].startswith("changed:")
    assert "monitors: 1/1" in err.getvalue()  # progress
    assert row_of(deps, monitor.id)["kuma_sync_state"] == "synced"

    result = scheduled({}, None, deps=deps)
    assert result["errors"] == [] and result["changes"] == []

    health = api.call("GET", "/api/v2/integration/health").json
    [kuma] = [b for b in health["backends"] if b["name"] == "uptime_kuma"]
    assert kuma["last_successful_sync"] is not None
    fake_v2.stop()
    deps.kuma().close()
    health = api.call("GET", "/api/v2/integration/health").json
    [kuma] = [b for b in health["backends"] if b["name"] == "uptime_kuma"]
    assert kuma["status"] == "unhealthy" and kuma["error"] and kuma["last_successful_sync"] is not None
    assert health["status"] == "degraded"


def test_cli_refuses_import_without_a_tenant():
    from nova_bridge.tools.reconcile import main as cli

    err = io.StringIO()
    assert cli(["--import-unmanaged"], deps=object(), out=io.StringIO(), err=err) == 2
    assert "--tenant" in err.getvalue()


def test_sync_endpoint_without_kuma_is_503(api):
    result = api.call("POST", "/api/v2/integration/sync", json_body={"dry_run": True})
    assert result.status == 503 and json.loads(result.text)["integration"] == "uptime_kuma"
