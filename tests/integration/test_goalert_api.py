"""Alerts and on-call APIs through the API Gateway emulation, backed by the fake GoAlert."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bench.alert_storm import PagingPipeline
from nova_bridge.events import make_event
from tests.conftest import http_monitor


@pytest.fixture
def pipe(database_url):
    pipeline = PagingPipeline(database_url)
    pipeline.backend.client.enable_webhooks([pipeline.settings.public_url])  # see test_goalert_paging
    yield pipeline
    pipeline.close()


def add_users(pipe: PagingPipeline, *nova_ids: str, tenant: str = "tenant-a") -> None:
    pipe.bus.publish([make_event("user.created", tenant_id=tenant, nova_user_id=u, name=u.title(),
                                 email=f"{u}@{tenant}.test") for u in nova_ids])
    pipe.drain()


def audit_actions(pipe: PagingPipeline, tenant: str = "tenant-a") -> list[str]:
    with pipe.db.transaction() as conn:
        return [r["action"] for r in conn.execute("SELECT action FROM audit_log WHERE tenant_id = %s ORDER BY id",
                                                  (tenant,)).fetchall()]


@pytest.fixture
def monitor_id(pipe):
    code, body = pipe.call("POST", "/api/v2/monitoring/monitors", json_body=http_monitor(alerting={"enabled": True}))
    assert code == 201
    assert pipe.sync_monitor(uuid.UUID(body["id"]))
    return body["id"]


# --- alerts ----------------------------------------------------------------------------------------

def test_manual_alert_lifecycle_goes_through_goalert_and_is_audited(pipe, monitor_id):
    code, alert = pipe.call("POST", "/api/v2/alerts", role="technician",
                            json_body={"summary": "Disk full", "details": "db-1", "monitor_id": monitor_id,
                                       "severity": "critical"})
    assert code == 201, alert
    assert alert["status"] == "triggered" and alert["source"] == "manual" and alert["severity"] == "critical"
    in_goalert = pipe.fake.store.alerts[alert["goalert_alert_id"]]
    assert in_goalert["summary"] == "Disk full" and in_goalert["serviceID"] == alert["goalert_service_id"]

    code, acked = pipe.call("PUT", f"/api/v2/alerts/{alert['id']}/acknowledge", role="technician", user="tech-1")
    assert code == 200 and acked["status"] == "acknowledged" and acked["acknowledged_by"] == "tech-1"
    assert in_goalert["status"] == "StatusAcknowledged"

    code, escalated = pipe.call("PUT", f"/api/v2/alerts/{alert['id']}/escalate", role="technician")
    assert code == 200 and escalated["status"] == "triggered"
    assert in_goalert["status"] == "StatusUnacknowledged" and "Escalation requested" in in_goalert["log"][-1]["message"]

    code, resolved = pipe.call("PUT", f"/api/v2/alerts/{alert['id']}/resolve", role="admin", user="boss")
    assert code == 200 and resolved["status"] == "resolved" and resolved["resolved_by"] == "boss"
    assert in_goalert["status"] == "StatusClosed"
    assert pipe.call("PUT", f"/api/v2/alerts/{alert['id']}/acknowledge")[0] == 409
    assert audit_actions(pipe)[-4:] == ["alert.created", "alert.acknowledge", "alert.escalate", "alert.resolve"]


def test_alerts_are_tenant_scoped_and_role_checked(pipe, monitor_id):
    code, alert = pipe.call("POST", "/api/v2/alerts", json_body={"summary": "x", "monitor_id": monitor_id})
    assert code == 201
    assert pipe.call("GET", f"/api/v2/alerts/{alert['id']}", tenant="tenant-b")[0] == 404
    assert pipe.call("PUT", f"/api/v2/alerts/{alert['id']}/resolve", tenant="tenant-b")[0] == 404
    assert pipe.call("PUT", f"/api/v2/alerts/{alert['id']}/acknowledge", role="user")[0] == 403
    assert pipe.call("POST", "/api/v2/alerts", tenant="tenant-b",
                     json_body={"summary": "x", "monitor_id": monitor_id})[0] == 404
    service_id = alert["goalert_service_id"]
    assert pipe.call("POST", "/api/v2/alerts", tenant="tenant-b",
                     json_body={"summary": "x", "service_id": service_id})[0] == 404
    assert pipe.call("POST", "/api/v2/alerts", json_body={"summary": "x"})[0] == 422
    assert pipe.fake.store.alerts.keys() == {alert["goalert_alert_id"]}


def test_list_alerts_filters(pipe, monitor_id):
    first = pipe.call("POST", "/api/v2/alerts", json_body={"summary": "a", "monitor_id": monitor_id})[1]
    second = pipe.call("POST", "/api/v2/alerts", json_body={"summary": "b", "service_id": first["goalert_service_id"]})[1]
    pipe.call("PUT", f"/api/v2/alerts/{first['id']}/resolve")
    code, page = pipe.call("GET", "/api/v2/alerts", query="status=triggered")
    assert code == 200 and [a["id"] for a in page["items"]] == [second["id"]]
    page = pipe.call("GET", "/api/v2/alerts", query=f"monitor_id={monitor_id}")[1]
    assert [a["id"] for a in page["items"]] == [first["id"]]
    page = pipe.call("GET", "/api/v2/alerts", query=f"service_id={first['goalert_service_id']}&limit=1")[1]
    assert len(page["items"]) == 1 and page["next_cursor"]
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert pipe.call("GET", "/api/v2/alerts", query=f"since={future}")[1]["items"] == []


def test_alert_actions_answer_503_without_goalert(pipe):
    pipe.api_deps.settings = replace(pipe.settings, goalert_url=None)
    code, body = pipe.call("POST", "/api/v2/alerts", json_body={"summary": "x", "service_id": "s"})
    assert code == 503 and body["integration"] == "goalert"
    assert pipe.call("GET", "/api/v2/oncall/current")[1]["integration"] == "goalert"
    assert pipe.call("GET", "/api/v2/oncall/schedules")[0] == 503


# --- on-call ---------------------------------------------------------------------------------------

def _schedule_body(**overrides):
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    return {"name": "Primary", "time_zone": "Europe/Berlin",
            "rotations": [{"name": "Week", "type": "weekly", "start": start.isoformat(), "user_ids": ["ada", "bob"]}],
            **overrides}


def test_schedules_are_created_listed_and_scoped_to_the_tenant(pipe):
    add_users(pipe, "ada", "bob")
    code, schedule = pipe.call("POST", "/api/v2/oncall/schedules", json_body=_schedule_body())
    assert code == 201, schedule
    assert schedule["name"] == "Primary" and schedule["time_zone"] == "Europe/Berlin"
    [rotation_id] = schedule["rotation_ids"]
    rotation = pipe.fake.store.rotations[rotation_id]
    assert rotation["type"] == "weekly" and len(rotation["userIDs"]) == 2
    assert pipe.fake.store.schedules[schedule["id"]]["targets"][0]["target"] == {"type": "rotation", "id": rotation_id}

    assert [s["id"] for s in pipe.call("GET", "/api/v2/oncall/schedules", role="user")[1]["items"]] == [schedule["id"]]
    assert pipe.call("GET", "/api/v2/oncall/schedules", query="search=prim")[1]["items"][0]["id"] == schedule["id"]
    assert pipe.call("GET", "/api/v2/oncall/schedules", tenant="tenant-b")[1]["items"] == []
    assert pipe.call("POST", "/api/v2/oncall/schedules", role="technician", json_body=_schedule_body())[0] == 403


@pytest.mark.parametrize("change, field", [
    ({"time_zone": "Mars/Olympus"}, "body.time_zone"),
    ({"rotations": [{"name": "r", "start": "2026-01-01T00:00:00", "user_ids": ["ada"]}]}, "body.rotations.0.start"),
    ({"rotations": [{"name": "r", "start": "2026-01-01T00:00:00Z", "user_ids": ["ghost"]}]},
     "body.rotations.user_ids"),
])
def test_schedule_input_is_validated(pipe, change, field):
    add_users(pipe, "ada")
    code, body = pipe.call("POST", "/api/v2/oncall/schedules", json_body=_schedule_body(**change))
    assert code == 422 and field in [e["field"] for e in body["errors"]]
    assert pipe.fake.store.schedules == {}


def test_current_on_call_and_overrides(pipe, monitor_id):
    add_users(pipe, "ada", "bob", "cy")
    schedule = pipe.call("POST", "/api/v2/oncall/schedules", json_body=_schedule_body())[1]

    code, now = pipe.call("GET", "/api/v2/oncall/current", role="user")
    assert code == 200
    [on_schedule] = now["schedules"]
    assert [p["nova_user_id"] for p in on_schedule["on_call"]] == ["ada"]
    [service] = now["services"]  # the monitor's service, with its (empty) built policy
    assert service["on_call"] == []

    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    code, override = pipe.call("POST", "/api/v2/oncall/override", json_body={
        "schedule_id": schedule["id"], "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        "add_user_id": "cy", "remove_user_id": "ada"})
    assert code == 201 and override["kind"] == "replace"
    on_call = pipe.call("GET", "/api/v2/oncall/current")[1]["schedules"][0]["on_call"]
    assert [p["nova_user_id"] for p in on_call] == ["cy"]
    assert "override.created" in audit_actions(pipe)

    other = pipe.call("GET", "/api/v2/oncall/current", tenant="tenant-b")[1]
    assert other["schedules"] == [] and other["services"] == []
    assert pipe.call("POST", "/api/v2/oncall/override", tenant="tenant-b", json_body={
        "schedule_id": schedule["id"], "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
        "add_user_id": "cy"})[0] == 404
    code, body = pipe.call("POST", "/api/v2/oncall/override", json_body={
        "schedule_id": schedule["id"], "start": "2026-01-01T10:00:00", "end": "2026-01-01T12:00:00Z",
        "add_user_id": "cy"})
    assert code == 422 and "body.start" in [e["field"] for e in body["errors"]]
