"""The GoAlert paging path against the protocol-faithful fake GoAlert and a real PostgreSQL:
monitor sync (service, policy, key), alert lifecycle from heartbeats, GoAlert webhooks, users."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bench.alert_storm import PagingPipeline
from nova_bridge.adapters.goalert.client import GoAlertClient, GoAlertCredentials
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.events import make_event
from nova_bridge.workers import alerting, goalert_sync
from nova_bridge.workers.alerting import dedup_key
from nova_bridge.workers.runtime import RetryLater
from tests.conftest import http_monitor

INGEST = "/api/v2/generic/incoming"


@pytest.fixture
def pipe(database_url):
    pipeline = PagingPipeline(database_url)
    # GoAlert's allow-list matches host:port exactly: allow the bridge's public URL (the bench's
    # "http://127.0.0.1" would be refused by a real GoAlert for a URL with a port)
    pipeline.backend.client.enable_webhooks([pipeline.settings.public_url])
    yield pipeline
    pipeline.close()


def add_user(pipe: PagingPipeline, nova_user_id: str, tenant: str = "tenant-a", name: str = "Ada") -> dict:
    pipe.bus.publish([make_event("user.created", tenant_id=tenant, nova_user_id=nova_user_id, name=name,
                                 email=f"{nova_user_id}@example.test")])
    pipe.drain()
    pipe.deliver_goalert_webhooks()  # GoAlert's Verification code comes back to the bridge
    pipe.drain()
    with pipe.db.transaction() as conn:
        return conn.execute("SELECT * FROM monitoring_user_mappings WHERE tenant_id = %s AND nova_user_id = %s",
                            (tenant, nova_user_id)).fetchone()


def create_monitor(pipe: PagingPipeline, tenant: str = "tenant-a", kuma_id: int | None = None, **alerting_spec):
    code, body = pipe.call("POST", "/api/v2/monitoring/monitors", tenant=tenant,
                           json_body=http_monitor(alerting={"enabled": True, **alerting_spec}))
    assert code == 201, body
    monitor_id = uuid.UUID(body["id"])
    if kuma_id is not None:
        with pipe.db.transaction() as conn:
            conn.execute("UPDATE monitors SET kuma_monitor_id = %s, status = 'up' WHERE id = %s", (kuma_id, monitor_id))
    return monitor_id


def heartbeat(pipe: PagingPipeline, kuma_id: int, status: str, at: datetime) -> None:
    pipe.bus.publish([make_event(f"monitor.{status}", kuma_monitor_id=kuma_id, status=status, time=at, msg="HTTP 500")])


def open_goalert_alerts(pipe: PagingPipeline) -> list[dict]:
    return [a for a in pipe.fake.store.alerts.values() if a["status"] != "StatusClosed"]


T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


# --- monitor sync ----------------------------------------------------------------------------------

def test_alerting_monitor_gets_service_policy_and_key(pipe):
    nova_user = str(uuid.uuid4())  # the policy spec names Nova users by UUID
    mapping = add_user(pipe, nova_user)
    monitor_id = create_monitor(pipe, escalation_policy={"repeat": 2, "steps": [
        {"delay_minutes": 0, "user_ids": [nova_user]}]})

    assert pipe.sync_monitor(monitor_id) is True

    row = pipe.monitor_row(monitor_id)
    assert row["goalert_sync_state"] == "synced" and row["goalert_last_error"] is None
    service = pipe.fake.store.services[row["goalert_service_id"]]
    assert service["labels"][goalert_sync.MONITOR_LABEL] == str(monitor_id)
    policy = pipe.fake.store.policies[row["goalert_escalation_policy_id"]]
    assert policy["repeat"] == 2 and policy["steps"][0]["delayMinutes"] == 1  # GoAlert's minimum
    assert policy["steps"][0]["actions"] == [{"type": "builtin-user", "args": {"user_id": mapping["goalert_user_id"]}}]
    key = pipe.fake.store.integration_keys[row["goalert_integration_key"]]
    assert key["serviceID"] == service["id"] and key["type"] == "generic"
    code, body = pipe.call("GET", f"/api/v2/monitoring/monitors/{monitor_id}")
    assert body["goalert"] == {"state": "synced", "remote_id": service["id"], "last_error": None,
                               "synced_at": body["goalert"]["synced_at"]}
    assert row["goalert_integration_key"] not in str(body)  # the ingest credential never leaves


def test_sync_is_idempotent_and_survives_a_crash_before_the_write(pipe):
    monitor_id = create_monitor(pipe)
    assert pipe.sync_monitor(monitor_id)
    first = pipe.monitor_row(monitor_id)
    assert pipe.sync_monitor(monitor_id)
    with pipe.db.transaction() as conn:  # as if the worker died after GoAlert's create
        conn.execute("UPDATE monitors SET goalert_service_id = NULL, goalert_integration_key = NULL,"
                     " goalert_escalation_policy_id = NULL, goalert_sync_state = 'pending' WHERE id = %s", (monitor_id,))
    assert pipe.sync_monitor(monitor_id)

    again = pipe.monitor_row(monitor_id)
    assert len(pipe.fake.store.services) == 1 and len(pipe.fake.store.integration_keys) == 1
    assert len(pipe.fake.store.policies) == 1
    assert (again["goalert_service_id"], again["goalert_integration_key"]) == \
           (first["goalert_service_id"], first["goalert_integration_key"])


def test_policy_spec_change_replaces_the_built_policy(pipe):
    monitor_id = create_monitor(pipe)
    pipe.sync_monitor(monitor_id)
    old_policy = pipe.monitor_row(monitor_id)["goalert_escalation_policy_id"]
    schedule = pipe.backend.client.create_schedule("Ops", "UTC")
    code, _ = pipe.call("PUT", f"/api/v2/monitoring/monitors/{monitor_id}", json_body=http_monitor(
        alerting={"enabled": True, "escalation_policy": {"steps": [{"schedule_ids": [schedule["id"]]}]}}))
    assert code == 200
    assert pipe.sync_monitor(monitor_id)
    row = pipe.monitor_row(monitor_id)
    assert row["goalert_escalation_policy_id"] != old_policy and old_policy not in pipe.fake.store.policies
    assert pipe.fake.store.services[row["goalert_service_id"]]["escalationPolicyID"] == row["goalert_escalation_policy_id"]


def test_switching_to_an_existing_policy_drops_the_built_one(pipe):
    monitor_id = create_monitor(pipe)
    pipe.sync_monitor(monitor_id)
    built = pipe.monitor_row(monitor_id)["goalert_escalation_policy_id"]
    existing = pipe.backend.client.create_escalation_policy("Team policy", repeat=1)
    pipe.call("PUT", f"/api/v2/monitoring/monitors/{monitor_id}",
              json_body=http_monitor(alerting={"enabled": True, "escalation_policy_id": existing["id"]}))
    assert pipe.sync_monitor(monitor_id)
    row = pipe.monitor_row(monitor_id)
    assert row["goalert_escalation_policy_id"] == existing["id"] and built not in pipe.fake.store.policies
    assert goalert_sync.POLICY_LABEL not in pipe.fake.store.services[row["goalert_service_id"]]["labels"]


def test_turning_alerting_off_tears_down_only_what_the_bridge_created(pipe):
    admin = pipe.backend.client
    shared_policy = admin.create_escalation_policy("Shared", repeat=0)
    shared = admin.create_service("Shared service", escalation_policy_id=shared_policy["id"])
    joined = create_monitor(pipe, service_id=shared["id"])
    own = create_monitor(pipe)
    assert pipe.sync_monitor(joined) and pipe.sync_monitor(own)
    joined_key = pipe.monitor_row(joined)["goalert_integration_key"]
    own_service = pipe.monitor_row(own)["goalert_service_id"]
    assert pipe.fake.store.integration_keys[joined_key]["serviceID"] == shared["id"]

    for monitor_id in (joined, own):
        code, _ = pipe.call("PUT", f"/api/v2/monitoring/monitors/{monitor_id}",
                            json_body=http_monitor(alerting={"enabled": False}))
        assert code == 200
        assert pipe.sync_monitor(monitor_id)
        row = pipe.monitor_row(monitor_id)
        assert row["goalert_sync_state"] == "disabled" and row["goalert_service_id"] is None

    assert shared["id"] in pipe.fake.store.services and shared_policy["id"] in pipe.fake.store.policies
    assert joined_key not in pipe.fake.store.integration_keys
    assert own_service not in pipe.fake.store.services
    assert set(pipe.fake.store.policies) == {shared_policy["id"]}


def test_deleted_monitor_is_removed_from_goalert(pipe):
    monitor_id = create_monitor(pipe)
    pipe.sync_monitor(monitor_id)
    assert pipe.call("DELETE", f"/api/v2/monitoring/monitors/{monitor_id}")[0] == 204
    assert pipe.sync_monitor(monitor_id) is True
    assert pipe.fake.store.services == {}


def test_user_event_without_tenant_fails_without_retry(pipe):
    pipe.bus.publish([make_event("user.created", nova_user_id="u-1", name="No tenant")])
    assert pipe.drain() == [("user.created", "failed")]


def test_goalert_not_configured_leaves_the_monitor_pending(pipe):
    monitor_id = create_monitor(pipe)
    pipe.worker_deps.settings = replace(pipe.settings, goalert_url=None)
    assert pipe.sync_monitor(monitor_id) is False
    assert pipe.monitor_row(monitor_id)["goalert_sync_state"] == "pending"
    assert pipe.fake.store.services == {}


def test_goalert_rejection_marks_the_sync_failed(pipe):
    monitor_id = create_monitor(pipe, escalation_policy_id=str(uuid.uuid4()))
    assert pipe.sync_monitor(monitor_id) is False
    row = pipe.monitor_row(monitor_id)
    assert row["goalert_sync_state"] == "failed" and "escalation policy not found" in row["goalert_last_error"]


def test_policy_with_an_unsynced_user_waits_for_the_user(pipe):
    missing = str(uuid.uuid4())
    monitor_id = create_monitor(pipe, escalation_policy={"steps": [{"user_ids": [missing]}]})
    with pytest.raises(RetryLater):
        pipe.sync_monitor(monitor_id)
    row = pipe.monitor_row(monitor_id)
    assert row["goalert_sync_state"] == "failed" and missing in row["goalert_last_error"]
    assert pipe.fake.store.services == {}


# --- alert lifecycle -------------------------------------------------------------------------------

@pytest.fixture
def paged(pipe):
    monitor_id = create_monitor(pipe, kuma_id=41)
    pipe.sync_monitor(monitor_id)
    pipe.fake.reset_counts()
    return monitor_id


def test_down_then_up_closes_the_same_alert(pipe, paged):
    heartbeat(pipe, 41, "down", T0)
    pipe.drain()
    [alert] = pipe.alerts()
    assert alert["status"] == "triggered" and alert["dedup_key"] == dedup_key("tenant-a", paged)
    goalert_alert = pipe.fake.store.alerts[alert["goalert_alert_id"]]
    assert goalert_alert["status"] == "StatusUnacknowledged" and goalert_alert["dedup"] == alert["dedup_key"]

    heartbeat(pipe, 41, "up", T0 + timedelta(minutes=3))
    pipe.drain()
    [alert] = pipe.alerts()
    assert alert["status"] == "resolved" and alert["resolved_by"] == alerting.KUMA_ACTOR
    assert pipe.fake.store.alerts[alert["goalert_alert_id"]]["status"] == "StatusClosed"
    assert pipe.fake.count(path=INGEST) == 2


def test_down_down_up_gives_one_alert(pipe, paged):
    heartbeat(pipe, 41, "down", T0)
    heartbeat(pipe, 41, "down", T0 + timedelta(minutes=1))
    heartbeat(pipe, 41, "down", T0)  # a duplicate delivery of the first
    pipe.drain()
    heartbeat(pipe, 41, "up", T0 + timedelta(minutes=2))
    pipe.drain()
    assert len(pipe.alerts()) == 1 and len(pipe.fake.store.alerts) == 1
    assert pipe.alerts()[0]["status"] == "resolved" and open_goalert_alerts(pipe) == []
    assert pipe.fake.count(path=INGEST) == 2  # one trigger, one close


def test_a_stale_up_does_not_close_the_newer_down(pipe, paged):
    heartbeat(pipe, 41, "down", T0)
    heartbeat(pipe, 41, "up", T0 + timedelta(minutes=1))
    heartbeat(pipe, 41, "down", T0 + timedelta(minutes=2))
    pipe.drain()
    heartbeat(pipe, 41, "up", T0 + timedelta(minutes=1))  # redelivered late
    pipe.drain()
    assert [a["status"] for a in pipe.alerts()] == ["resolved", "triggered"]
    assert len(open_goalert_alerts(pipe)) == 1


def test_up_before_any_down_does_nothing(pipe, paged):
    heartbeat(pipe, 41, "up", T0)
    pipe.drain()
    assert pipe.alerts() == [] and pipe.fake.count(path=INGEST) == 0


@pytest.mark.parametrize("status", ["maintenance", "pending"])
def test_maintenance_and_pending_page_nobody(pipe, paged, status):
    heartbeat(pipe, 41, status, T0)
    pipe.drain()
    assert pipe.alerts() == [] and pipe.fake.store.alerts == {}


def test_paused_monitor_pages_nobody(pipe, paged):
    assert pipe.call("POST", f"/api/v2/monitoring/monitors/{paged}/pause")[0] == 200
    heartbeat(pipe, 41, "down", T0)
    pipe.drain()
    assert pipe.alerts() == [] and pipe.fake.store.alerts == {}


def test_goalert_down_during_a_down_retries_without_loss_or_duplicate(pipe, paged):
    pipe.fake.fail("refuse", times=3)  # every attempt of the first delivery fails
    heartbeat(pipe, 41, "down", T0)
    outcomes = pipe.drain()
    assert outcomes[0] == ("monitor.down", "retry") and outcomes[-1] == ("monitor.down", "completed")
    heartbeat(pipe, 41, "down", T0)  # and EventBridge delivers it once more
    pipe.drain()
    assert len(pipe.alerts()) == 1 and len(pipe.fake.store.alerts) == 1


def test_flap_guard_holds_the_page_and_an_up_within_it_pages_nobody(pipe):
    monitor_id = create_monitor(pipe, kuma_id=42, flap_guard_seconds=120)
    pipe.sync_monitor(monitor_id)
    pipe.worker_deps.clock = lambda: T0 + timedelta(seconds=30)
    heartbeat(pipe, 42, "down", T0)
    assert pipe.drain(max_rounds=1) == [("monitor.down", "retry")]
    heartbeat(pipe, 42, "up", T0 + timedelta(seconds=40))
    pipe.drain()  # the redelivered DOWN now finds the monitor up
    assert pipe.alerts() == [] and pipe.fake.store.alerts == {}

    heartbeat(pipe, 42, "down", T0 + timedelta(minutes=5))
    assert pipe.drain(max_rounds=1) == [("monitor.down", "retry")]
    pipe.worker_deps.clock = lambda: T0 + timedelta(minutes=8)  # the guard has passed, still down
    pipe.drain()
    assert len(pipe.alerts()) == 1 and len(pipe.fake.store.alerts) == 1


def test_ack_in_goalert_shows_acknowledged_in_the_bridge(pipe):
    nova_user = str(uuid.uuid4())
    mapping = add_user(pipe, nova_user)
    assert mapping["contact_method_verified"] is True
    assert pipe.fake.store.contact_methods[mapping["goalert_contact_method_id"]]["disabled"] is False
    monitor_id = create_monitor(pipe, kuma_id=43, escalation_policy={"steps": [{"user_ids": [nova_user]}]})
    pipe.sync_monitor(monitor_id)

    heartbeat(pipe, 43, "down", T0)
    pipe.drain()
    assert pipe.deliver_goalert_webhooks() == [202]  # GoAlert's Alert message to the user
    notified = [e for e in pipe.bus.published if e.detail_type == "alert.notified"]
    [alert] = pipe.alerts()
    assert [(e.detail.goalert_alert_id, e.detail.tenant_id) for e in notified] == \
           [(alert["goalert_alert_id"], "tenant-a")]

    with GoAlertClient(pipe.fake.public_url, credentials=GoAlertCredentials(username="admin", password="admin-password"),
                       transport=pipe.fake.transport(), breaker=CircuitBreaker("ui")) as ui:
        ui.acknowledge_alerts([alert["goalert_alert_id"]])  # someone acks in GoAlert's UI (a user session)
    assert pipe.deliver_goalert_webhooks() == [202]  # AlertStatus "Acknowledged by Admin"
    pipe.drain()
    [alert] = pipe.alerts()
    assert alert["status"] == "acknowledged" and alert["acknowledged_by"].startswith("goalert:")

    pipe.backend.client.escalate_alerts([alert["goalert_alert_id"]])
    pipe.hooks.clear()
    # GoAlert's status update for a re-escalation: the log text names no status, so ask GoAlert
    assert _goalert_hook(pipe, {"AppName": "GoAlert", "Type": "AlertStatus", "AlertID": alert["goalert_alert_id"],
                                "LogEntry": "Escalation requested by Ada"})[0] == 202
    assert [e.detail_type for e in pipe.bus.queue] == ["goalert.alert_status"]
    pipe.drain()
    assert pipe.alerts()[0]["status"] == "triggered"  # read back from GoAlert


# --- GoAlert webhooks ------------------------------------------------------------------------------

def _goalert_hook(pipe, body, secret=None, query="tenant=tenant-a&user=u1", raw=None):
    from nova_bridge.adapters.webhook_auth import webhook_secret

    secret = secret or webhook_secret(pipe.settings, "goalert")
    from devserver import gateway

    path = f"/webhooks/goalert/{secret}"
    route, params, _ = gateway.match_route("POST", path)
    data = raw if raw is not None else __import__("json").dumps(body).encode()
    event = gateway.build_event(route, path, params, query=query, headers={"content-type": "application/json"},
                                body=data)
    out = gateway.invoke(route, event, pipe.api_deps)
    return out["statusCode"], out["headers"]["content-type"]


def test_goalert_webhook_refuses_a_wrong_secret_and_malformed_bodies(pipe):
    assert _goalert_hook(pipe, {"Type": "Test"}, secret="wrong") == (401, "application/problem+json")
    assert _goalert_hook(pipe, None, raw=b"{not json")[0] == 400
    assert _goalert_hook(pipe, {"Type": "Nope"})[0] == 422
    assert _goalert_hook(pipe, {"AppName": "GoAlert", "Type": "Alert", "AlertID": "7"})[0] == 422
    assert _goalert_hook(pipe, {"AppName": "GoAlert", "Type": "Verification", "Code": "123"}, query="")[0] == 422
    assert pipe.bus.published == []


def test_goalert_webhook_publishes_the_right_events(pipe):
    bodies = [
        {"AppName": "GoAlert", "Type": "Test"},
        {"AppName": "GoAlert", "Type": "ScheduleOnCallUsers", "Users": [], "ScheduleID": "s", "ScheduleName": "S",
         "ScheduleURL": "u"},
        {"AppName": "GoAlert", "Type": "AlertBundle", "ServiceID": "s", "ServiceName": "Web", "Count": 3},
        {"AppName": "GoAlert", "Type": "AlertStatus", "AlertID": 9, "LogEntry": "Closed by Ada"},
        {"AppName": "GoAlert", "Type": "Verification", "Code": "123456"},
    ]
    assert [_goalert_hook(pipe, b)[0] for b in bodies] == [202] * 5
    assert [e.detail_type for e in pipe.bus.published] == ["alert.notified", "alert.resolved", "goalert.verification"]
    bundle, resolved, verification = pipe.bus.published
    assert bundle.detail.bundle_count == 3 and bundle.detail.nova_user_id == "u1"
    assert resolved.detail.goalert_alert_id == 9 and resolved.detail.status == "resolved"
    assert verification.detail.code == "123456" and verification.detail.contact_method_hint == "u1"


def test_goalert_webhook_answers_503_when_goalert_is_not_configured(pipe):
    pipe.api_deps.settings = replace(pipe.settings, goalert_url=None)
    assert _goalert_hook(pipe, {"Type": "Test"})[0] == 503


# --- users -----------------------------------------------------------------------------------------

def test_user_lifecycle_creates_updates_and_deactivates(pipe):
    mapping = add_user(pipe, "u-42", name="Grace")
    user = pipe.fake.store.users[mapping["goalert_user_id"]]
    assert user["name"] == "Grace" and user["email"] == "u-42@example.test"
    cm = pipe.fake.store.contact_methods[mapping["goalert_contact_method_id"]]
    assert cm["url"].startswith(f"{pipe.settings.public_url}/webhooks/goalert/") and "user=u-42" in cm["url"]
    assert cm["pending"] is False and mapping["contact_method_verified"] is True

    pipe.bus.publish([make_event("user.updated", tenant_id="tenant-a", nova_user_id="u-42", name="Grace H.",
                                 email="u-42@example.test")])
    pipe.drain()
    assert pipe.fake.store.users[mapping["goalert_user_id"]]["name"] == "Grace H."
    assert len(pipe.fake.store.contact_methods) == 1  # not a second contact method

    pipe.bus.publish([make_event("user.deleted", tenant_id="tenant-a", nova_user_id="u-42")])
    pipe.drain()
    with pipe.db.transaction() as conn:
        after = conn.execute("SELECT * FROM monitoring_user_mappings WHERE nova_user_id = 'u-42'").fetchone()
    assert after["active"] is False and pipe.fake.store.contact_methods == {}


def test_user_contact_data_reaches_the_notifiers_address_book(pipe):
    from nova_bridge.workers.notifier import contact_from_settings

    pipe.bus.publish([make_event("user.created", tenant_id="tenant-a", nova_user_id="u-7", name="Lin",
                                 email="lin@example.test", phone="+4915112345678", time_zone="Europe/Berlin")])
    pipe.bus.publish([make_event("user.updated", tenant_id="tenant-a", nova_user_id="u-7", name="Lin K.")])
    pipe.drain()
    with pipe.db.transaction() as conn:
        row = conn.execute("SELECT integration_settings FROM monitoring_user_mappings WHERE nova_user_id = 'u-7'"
                           ).fetchone()
    contact = contact_from_settings("u-7", row["integration_settings"])
    assert (contact.name, contact.email, contact.phone, contact.time_zone) == (
        "Lin K.", "lin@example.test", "+4915112345678", "Europe/Berlin")


# --- health ----------------------------------------------------------------------------------------

def test_goalert_health_probe_reports_latency_and_circuit(pipe):
    from nova_bridge.domain.health import probe_backend

    healthy = probe_backend("goalert", pipe.api_deps.backend_probes()["goalert"])
    assert healthy.status == "healthy" and healthy.circuit == "closed" and healthy.latency_ms is not None
    pipe.fake.fail("refuse")
    unhealthy = probe_backend("goalert", pipe.api_deps.backend_probes()["goalert"])
    assert unhealthy.status == "unhealthy" and "unreachable" in unhealthy.error
    pipe.api_deps.settings = replace(pipe.settings, goalert_url=None)
    assert pipe.api_deps.backend_probes()["goalert"] is None


def test_monitor_names_goalert_refuses_become_valid_service_and_policy_names(pipe):
    code, body = pipe.call("POST", "/api/v2/monitoring/monitors", json_body=http_monitor(
        name="1 api.example.com [prod] ✓ with a very long name that goes on", alerting={"enabled": True}))
    assert code == 201, body
    monitor_id = uuid.UUID(body["id"])
    assert pipe.sync_monitor(monitor_id) is True  # the fake refuses what GoAlert's validate.IDName refuses
    row = pipe.monitor_row(monitor_id)
    service = pipe.fake.store.services[row["goalert_service_id"]]
    policy = pipe.fake.store.policies[row["goalert_escalation_policy_id"]]
    for name in (service["name"], policy["name"]):
        assert name.startswith("Nova 1 api example com prod") and name.endswith(f" {monitor_id}") and len(name) <= 64


def _link_call(pipe, method: str, token: str):
    from devserver import gateway

    path = f"/api/v2/alert-actions/{token}"
    route, params, _ = gateway.match_route(method, path)
    out = gateway.invoke(route, gateway.build_event(route, path, params), pipe.api_deps)
    return out["statusCode"], out["headers"]["content-type"], out["body"]


def test_one_click_link_confirms_on_get_and_acts_on_post(pipe, paged):
    from nova_bridge.adapters.webhook_auth import webhook_secret
    from nova_bridge.domain.notifications import derive_action_key, sign_action

    heartbeat(pipe, 41, "down", T0)
    pipe.drain()
    [alert] = pipe.alerts()
    key = derive_action_key(webhook_secret(pipe.settings, "alert-actions"))
    now = datetime.now(timezone.utc)
    token = sign_action(key, str(alert["id"]), "acknowledge", "u-9", now + timedelta(hours=1))

    status, content_type, page = _link_call(pipe, "GET", token)
    assert status == 200 and content_type.startswith("text/html") and 'method="post"' in page
    assert pipe.alerts()[0]["status"] == "triggered"  # opening the link changes nothing

    status, _, page = _link_call(pipe, "POST", token)
    assert status == 200 and "acknowledged" in page
    [alert] = pipe.alerts()
    assert alert["status"] == "acknowledged" and alert["acknowledged_by"] == "u-9"
    assert pipe.fake.store.alerts[alert["goalert_alert_id"]]["status"] == "StatusAcknowledged"

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    expired = sign_action(key, str(alert["id"]), "resolve", "u-9", now - timedelta(seconds=1))
    other_key = sign_action(derive_action_key("another deployment"), str(alert["id"]), "resolve", "u-9",
                            now + timedelta(hours=1))
    for bad in (forged, expired, other_key, "not-a-token"):
        status, content_type, _ = _link_call(pipe, "POST", bad)
        assert status == 401 and content_type == "application/problem+json", bad
    assert pipe.alerts()[0]["status"] == "acknowledged"
