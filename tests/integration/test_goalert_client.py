"""GoAlertClient and GenericIngest against the protocol-faithful fake GoAlert."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from nova_bridge.adapters.goalert.client import (STATUS_ACKNOWLEDGED, STATUS_CLOSED, STATUS_UNACKNOWLEDGED,
                                                 GoAlertClient, GoAlertCredentials, always_on_target,
                                                 rotation_destination, schedule_destination, user_destination,
                                                 webhook_destination)
from nova_bridge.adapters.goalert.documents import operations_document
from nova_bridge.adapters.goalert.ingest import GenericIngest
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.errors import BackendProtocolError, BackendRejected, BackendUnavailable
from tests.fakes.goalert_server import FakeGoAlert

HOOK = "http://127.0.0.1:9/hooks/goalert/secret"
HOOK_ORIGIN = "http://127.0.0.1:9"  # GoAlert's allow-list matches host:port exactly, the path as a prefix


class Recorder:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []

    def __call__(self, url: str, body: dict) -> None:
        self.posts.append((url, body))

    def of_type(self, kind: str) -> list[dict]:
        return [body for _, body in self.posts if body["Type"] == kind]


@pytest.fixture
def hooks() -> Recorder:
    return Recorder()


@pytest.fixture
def fake(hooks) -> FakeGoAlert:
    return FakeGoAlert(webhook_sender=hooks)


def make_client(fake: FakeGoAlert, credentials: GoAlertCredentials, **kw) -> GoAlertClient:
    kw.setdefault("breaker", CircuitBreaker("goalert-test", failure_threshold=50))
    return GoAlertClient(fake.public_url, credentials=credentials, transport=fake.transport(),
                         sleep=lambda _: None, **kw)


@pytest.fixture
def admin(fake) -> GoAlertClient:
    return make_client(fake, GoAlertCredentials(username="admin", password="admin-password"))


@pytest.fixture
def api(fake, admin) -> GoAlertClient:
    key = admin.create_gql_api_key("bridge", description="test", expires_at=datetime.now(timezone.utc) + timedelta(days=1))
    return make_client(fake, GoAlertCredentials(api_key=key.token))


@pytest.fixture
def paging(api, hooks):
    """A user with a verified webhook contact method, on step 0 of the service's policy."""
    api.enable_webhooks([HOOK_ORIGIN])
    user = api.create_user("oncall", "password123", name="On Call", email="oncall@example.com")
    cm = api.create_contact_method(user["id"], "Nova", HOOK)
    api.send_contact_method_verification(cm["id"])
    api.verify_contact_method(cm["id"], hooks.of_type("Verification")[-1]["Code"])
    policy = api.create_escalation_policy("Ops", repeat=1, steps=[{"delay_minutes": 5,
                                                                   "actions": [user_destination(user["id"])]}])
    service = api.create_service("Website", escalation_policy_id=policy["id"])
    key = api.create_integration_key(service["id"], "Kuma")
    return {"user": user, "cm": cm, "policy": policy, "service": service, "key": key}


# --- authentication ---------------------------------------------------------------------------

def test_session_login_then_graphql(fake, admin):
    assert admin.ping().ok
    assert fake.count(path="/api/v2/identity/providers/basic") == 1
    admin.ping()
    assert fake.count(path="/api/v2/identity/providers/basic") == 1  # the session is reused


def test_wrong_password_is_rejected(fake):
    client = make_client(fake, GoAlertCredentials(username="admin", password="wrong-password"))
    with pytest.raises(BackendRejected, match="unknown username/password"):
        client.ping()


def test_api_key_is_bound_to_the_exact_document(fake, api):
    assert api.ping().ok
    token = api._credentials.api_key
    other = operations_document().text + "\n# edited\n"
    response = httpx.Client(transport=fake.transport()).post(
        f"{fake.public_url}/api/graphql", headers={"Authorization": f"Bearer {token}"},
        json={"query": other, "operationName": "Ping"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "wrong query for API key"


def test_unknown_api_key_is_unauthorized(fake):
    client = make_client(fake, GoAlertCredentials(api_key="eyNotAKey"))
    with pytest.raises(BackendRejected) as caught:
        client.ping()
    assert caught.value.extra["status_code"] == 401


def test_admin_only_mutations_refuse_a_user_key(fake, admin):
    key = admin.create_gql_api_key("user-key", description="", role="user",
                                   expires_at=datetime.now(timezone.utc) + timedelta(days=1))
    user_client = make_client(fake, GoAlertCredentials(api_key=key.token))
    with pytest.raises(BackendRejected, match="access denied"):
        user_client.create_user("mallory", "password123")
    assert user_client.ping().ok


def test_invalid_query_fails_validation_like_goalert(fake, admin):
    admin.ping()
    token = admin._session_token
    response = httpx.Client(transport=fake.transport()).post(
        f"{fake.public_url}/api/graphql", headers={"Authorization": f"Bearer {token}"},
        json={"query": "query { alerts { nodes { id bogus } } }"})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert "bogus" in error["message"] and error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# --- users and contact methods ----------------------------------------------------------------

def test_user_lifecycle(api):
    user = api.create_user("alice", "password123", name="Alice Smith", email="alice@example.com")
    assert api.find_user("alice@example.com")["id"] == user["id"]
    assert api.find_user("nobody@example.com") is None
    assert api.update_user(user["id"], name="Alice Jones")
    assert api.get_user(user["id"])["name"] == "Alice Jones"
    with pytest.raises(BackendRejected, match="already in use"):
        api.create_user("alice", "password123")
    assert api.delete_user(user["id"])
    assert api.get_user(user["id"]) is None


def test_webhook_contact_method_needs_webhooks_enabled(api):
    user = api.create_user("bob", "password123")
    with pytest.raises(BackendRejected, match="disabled"):
        api.create_contact_method(user["id"], "Nova", HOOK)


def test_webhook_contact_method_verification_and_test(api, hooks):
    api.enable_webhooks([HOOK_ORIGIN])
    user = api.create_user("bob", "password123")
    cm = api.create_contact_method(user["id"], "Nova", HOOK)
    # as GoAlert v0.34.1: created disabled, not `pending`, and no code until one is asked for
    assert cm["disabled"] is True and cm["pending"] is False and cm["dest"] == webhook_destination(HOOK)
    assert cm["statusUpdates"] == "ENABLED_FORCED" and hooks.of_type("Verification") == []
    assert api.send_contact_method_verification(cm["id"])
    verification = hooks.of_type("Verification")[-1]
    assert set(verification) == {"AppName", "Type", "Code"} and isinstance(verification["Code"], str)
    with pytest.raises(BackendRejected):
        api.test_contact_method(cm["id"])  # not verified yet
    with pytest.raises(BackendRejected, match="6 digits"):
        api.verify_contact_method(cm["id"], 1)
    wrong = "100000" if verification["Code"] != "100000" else "100001"
    with pytest.raises(BackendRejected, match="invalid verification code"):
        api.verify_contact_method(cm["id"], wrong)
    assert api.verify_contact_method(cm["id"], verification["Code"])
    assert api.get_contact_method(cm["id"])["disabled"] is False
    assert api.test_contact_method(cm["id"])
    assert hooks.of_type("Test")[-1] == {"AppName": "GoAlert", "Type": "Test"}


def test_webhook_outside_allowed_urls_is_refused(api):
    api.enable_webhooks(["http://127.0.0.1:9/hooks/"])
    user = api.create_user("carol", "password123")
    with pytest.raises(BackendRejected, match="not allowed"):
        api.create_contact_method(user["id"], "Elsewhere", "http://127.0.0.1:9/other")


# --- services, keys, policies ------------------------------------------------------------------

def test_service_lifecycle_with_on_call_users(api, paging):
    service = api.get_service(paging["service"]["id"])
    assert service["onCallUsers"] == [{"userID": paging["user"]["id"], "userName": "On Call", "stepNumber": 0}]
    assert service["integrationKeys"][0]["id"] == paging["key"]["id"]
    assert paging["key"]["href"].endswith(f"/api/v2/generic/incoming?token={paging['key']['id']}")
    assert api.update_service(service["id"], description="public site")
    assert api.set_service_label(service["id"], "tenant", "acme")
    found = api.find_services("web")["nodes"]
    assert [s["id"] for s in found] == [service["id"]]
    assert found[0]["labels"] == [{"key": "tenant", "value": "acme"}]
    assert api.delete_service(service["id"])
    assert api.get_service(service["id"]) is None


def test_service_needs_an_existing_policy(api):
    with pytest.raises(BackendRejected, match="escalation policy not found"):
        api.create_service("Orphan", escalation_policy_id="00000000-0000-0000-0000-000000000000")


def test_escalation_policy_with_every_destination_type(api):
    api.enable_webhooks()
    user = api.create_user("dave", "password123")
    rotation = api.create_rotation("Weekly", "UTC", start=datetime(2024, 1, 1, tzinfo=timezone.utc),
                                   user_ids=[user["id"]])
    schedule = api.create_schedule("Primary", "UTC", targets=[always_on_target("rotation", rotation["id"])])
    actions = [user_destination(user["id"]), schedule_destination(schedule["id"]),
               rotation_destination(rotation["id"]), webhook_destination(HOOK)]
    policy = api.create_escalation_policy("All", repeat=2, steps=[{"delay_minutes": 10, "actions": actions}])
    api.add_escalation_policy_step(policy["id"], delay_minutes=15, actions=[user_destination(user["id"])])
    stored = api.get_escalation_policy(policy["id"])
    assert stored["repeat"] == 2
    assert [s["stepNumber"] for s in stored["steps"]] == [0, 1]
    assert stored["steps"][0]["actions"] == actions


def test_escalation_policy_refuses_unknown_targets(api):
    with pytest.raises(BackendRejected, match="user not found"):
        api.create_escalation_policy("Bad", steps=[{"delay_minutes": 5, "actions": [
            user_destination("00000000-0000-0000-0000-000000000000")]}])


# --- schedules and overrides -------------------------------------------------------------------

def test_schedule_shifts_and_overrides(api):
    alice = api.create_user("alice", "password123", name="Alice")
    bob = api.create_user("bob", "password123", name="Bob")
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    rotation = api.create_rotation("Daily", "UTC", start=start, rotation_type="daily",
                                   user_ids=[alice["id"], bob["id"]])
    schedule = api.create_schedule("Primary", "UTC", targets=[always_on_target("rotation", rotation["id"])])
    assert [s["id"] for s in api.list_schedules("prim")["nodes"]] == [schedule["id"]]

    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    window_start, window_end = now + timedelta(days=1), now + timedelta(days=3)
    shifts = api.get_schedule(schedule["id"], start=window_start, end=window_end)["shifts"]
    assert {s["userID"] for s in shifts} == {alice["id"], bob["id"]}
    assert all(s["user"]["name"] in ("Alice", "Bob") for s in shifts)

    override = api.create_user_override(schedule["id"], start=window_start, end=window_end,
                                        add_user_id=alice["id"], remove_user_id=bob["id"])
    replaced = api.get_schedule(schedule["id"], start=window_start, end=window_end)["shifts"]
    assert {s["userID"] for s in replaced} == {alice["id"]}
    listed = api.list_user_overrides(schedule["id"], start=window_start, end=window_end)["nodes"]
    assert [o["id"] for o in listed] == [override["id"]]
    assert api.delete_user_overrides([override["id"]])
    assert api.list_user_overrides(schedule["id"])["nodes"] == []


def test_override_needs_a_user_and_a_future_end(api):
    user = api.create_user("erin", "password123")
    schedule = api.create_schedule("Sched", "UTC", targets=[always_on_target("user", user["id"])])
    now = datetime.now(timezone.utc)
    with pytest.raises(BackendRejected, match="addUserID"):
        api.create_user_override(schedule["id"], start=now, end=now + timedelta(hours=1))
    with pytest.raises(BackendRejected, match="end"):
        api.create_user_override(schedule["id"], start=now - timedelta(hours=2), end=now - timedelta(hours=1),
                                 add_user_id=user["id"])


# --- alerts ------------------------------------------------------------------------------------

def test_alert_lifecycle(api, paging):
    service_id = paging["service"]["id"]
    alert = api.create_alert(service_id, "Website down", details="HTTP 503", dedup="monitor-1")
    assert api.create_alert(service_id, "Website down", dedup="monitor-1")["alertID"] == alert["alertID"]
    assert alert["status"] == STATUS_UNACKNOWLEDGED

    listed = api.list_alerts(statuses=[STATUS_UNACKNOWLEDGED], service_ids=[service_id])["nodes"]
    assert [a["alertID"] for a in listed] == [alert["alertID"]]

    assert api.acknowledge_alerts([alert["alertID"]])[0]["status"] == STATUS_ACKNOWLEDGED
    escalated = api.escalate_alerts([alert["alertID"]])
    assert escalated[0]["status"] == STATUS_UNACKNOWLEDGED
    assert api.close_alerts([alert["alertID"]])[0]["status"] == STATUS_CLOSED
    assert api.close_alerts([alert["alertID"]]) == []  # closed stays closed

    events = [e["message"] for e in api.get_alert(alert["alertID"])["recentEvents"]["nodes"]]
    # an API key is no user: GoAlert logs the bare verb
    assert events[0] == "Closed" and "Acknowledged" in events
    assert any(e.startswith("Created via") for e in events)
    assert api.list_alerts(statuses=[STATUS_UNACKNOWLEDGED, STATUS_ACKNOWLEDGED])["nodes"] == []


def test_close_matching_alert_by_dedup(api, paging):
    service_id = paging["service"]["id"]
    alert = api.create_alert(service_id, "Disk full", dedup="disk")
    assert api.close_matching_alert(service_id, "disk")
    assert api.get_alert(alert["alertID"])["status"] == STATUS_CLOSED
    assert api.create_alert(service_id, "Disk full", dedup="disk")["alertID"] != alert["alertID"]


def test_update_alerts_refuses_unacknowledge(api):
    with pytest.raises(ValueError):
        api.update_alerts([1], STATUS_UNACKNOWLEDGED)


def test_outgoing_webhooks_follow_the_alert(api, paging, hooks):
    alert = api.create_alert(paging["service"]["id"], "API down", details="timeout", dedup="api")
    sent = hooks.of_type("Alert")[-1]
    assert sent == {"AppName": "GoAlert", "Type": "Alert", "AlertID": alert["alertID"], "Summary": "API down",
                    "Details": "timeout", "ServiceID": paging["service"]["id"], "ServiceName": "Website",
                    "Meta": {}}
    api.acknowledge_alerts([alert["alertID"]])
    api.close_alerts([alert["alertID"]])
    statuses = hooks.of_type("AlertStatus")
    assert [set(s) for s in statuses] == [{"AppName", "Type", "AlertID", "LogEntry"}] * 2
    assert statuses[0]["LogEntry"] == "Acknowledged"  # as GoAlert logs it for an API key
    assert statuses[1]["LogEntry"] == "Closed"
    assert all(url == HOOK for url, _ in hooks.posts)


# --- failures ----------------------------------------------------------------------------------

def test_timeout_on_a_query_is_retried(fake, api):
    api.ping()
    fake.reset_counts()
    fake.fail("delay", times=1, delay=60)
    assert api.ping().ok
    assert len(fake.calls) == 2


def test_timeout_on_a_create_is_not_repeated(fake, api):
    api.ping()
    fake.reset_counts()
    fake.fail("delay", times=1, delay=60)
    with pytest.raises(BackendUnavailable):
        api.create_user("zed", "password123")
    assert len(fake.calls) == 1


def test_5xx_is_retried_then_reported(fake, api):
    api.ping()
    fake.fail("5xx", times=1, status=502)
    assert api.ping().ok
    fake.fail("5xx", status=503)
    with pytest.raises(BackendUnavailable, match="503"):
        api.ping()


def test_refused_connection_is_unavailable(fake, api):
    fake.fail("refuse")
    with pytest.raises(BackendUnavailable, match="unreachable"):
        api.ping()


def test_malformed_answer_is_a_protocol_error(fake, api):
    api.ping()
    fake.fail("malformed")
    with pytest.raises(BackendProtocolError):
        api.ping()


def test_graphql_errors_are_rejections_with_goalerts_message_and_not_retried(fake, api):
    api.ping()
    fake.reset_counts()
    fake.fail("graphql_error", message="service not found")
    with pytest.raises(BackendRejected, match="service not found") as caught:
        api.get_service("x")
    assert caught.value.extra["errors"] == ["service not found"]
    assert len(fake.calls) == 1


def test_circuit_opens_after_repeated_failures(fake):
    breaker = CircuitBreaker("goalert-test", failure_threshold=2, reset_seconds=60)
    client = make_client(fake, GoAlertCredentials(api_key="eyAnything"), breaker=breaker, attempts=1)
    fake.fail("5xx")
    for _ in range(2):
        with pytest.raises(BackendUnavailable):
            client.ping()
    calls = len(fake.calls)
    with pytest.raises(BackendUnavailable, match="circuit is open"):
        client.ping()
    assert len(fake.calls) == calls and breaker.state == "open"


# --- generic ingest ----------------------------------------------------------------------------

@pytest.fixture
def ingest(fake) -> GenericIngest:
    return GenericIngest(fake.public_url, transport=fake.transport(), sleep=lambda _: None,
                         breaker=CircuitBreaker("goalert-ingest-test"))


def test_down_then_up_closes_the_same_alert(api, paging, ingest, fake):
    token = paging["key"]["id"]
    fake.reset_counts()
    down = ingest.trigger(token, "Website down", "HTTP 503", dedup="kuma:monitor:7")
    assert down.is_new and down.service_id == paging["service"]["id"]
    up = ingest.close(token, dedup="kuma:monitor:7")
    assert up.alert_id == down.alert_id
    assert fake.count(path="/api/v2/generic/incoming") == 2  # one call per transition
    assert api.get_alert(down.alert_id)["status"] == STATUS_CLOSED


def test_down_down_up_gives_one_alert(api, paging, ingest):
    token = paging["key"]["id"]
    first = ingest.trigger(token, "Website down", dedup="kuma:monitor:7")
    again = ingest.trigger(token, "Website still down", dedup="kuma:monitor:7")
    assert again.alert_id == first.alert_id and not again.is_new
    ingest.close(token, dedup="kuma:monitor:7")
    alerts = api.list_alerts(service_ids=[paging["service"]["id"]])["nodes"]
    assert [(a["alertID"], a["status"]) for a in alerts] == [(first.alert_id, STATUS_CLOSED)]


def test_close_before_any_trigger_does_nothing(api, paging, ingest):
    result = ingest.close(paging["key"]["id"], dedup="kuma:monitor:8")
    assert result.alert_id is None and not result.is_new
    assert api.list_alerts(service_ids=[paging["service"]["id"]])["nodes"] == []


def test_acknowledged_alert_is_still_the_open_one(api, paging, ingest):
    token = paging["key"]["id"]
    first = ingest.trigger(token, "Down", dedup="m9")
    api.acknowledge_alerts([first.alert_id])
    assert ingest.trigger(token, "Down", dedup="m9").alert_id == first.alert_id
    ingest.close(token, dedup="m9")
    assert ingest.trigger(token, "Down", dedup="m9").is_new


def test_ingest_refuses_an_unknown_token(ingest):
    with pytest.raises(BackendRejected) as caught:
        ingest.trigger("00000000-0000-0000-0000-000000000000", "Down", dedup="x")
    assert caught.value.extra["status_code"] == 401


def test_ingest_without_accept_header_answers_204(fake, paging):
    response = httpx.Client(transport=fake.transport()).post(
        f"{fake.public_url}/api/v2/generic/incoming", params={"token": paging["key"]["id"]},
        data={"summary": "Down", "dedup": "form"})
    assert response.status_code == 204 and response.content == b""


def test_ingest_needs_a_dedup(ingest):
    with pytest.raises(ValueError, match="dedup"):
        ingest.trigger("token", "Down", dedup="")


def test_ingest_retries_a_5xx(fake, paging, ingest):
    fake.fail("5xx", times=1)
    assert ingest.trigger(paging["key"]["id"], "Down", dedup="retry").is_new


# --- over a real socket ------------------------------------------------------------------------

def test_over_http_on_loopback(fake, paging):
    with fake.serve() as base_url:
        ingest = GenericIngest(base_url, breaker=CircuitBreaker("goalert-http"))
        result = ingest.trigger(paging["key"]["id"], "Down", dedup="http")
        client = GoAlertClient(base_url, credentials=GoAlertCredentials(username="admin", password="admin-password"),
                               breaker=CircuitBreaker("goalert-http"))
        assert client.get_alert(result.alert_id)["status"] == STATUS_UNACKNOWLEDGED


def test_refused_on_a_closed_port():
    client = GoAlertClient("http://127.0.0.1:9", credentials=GoAlertCredentials(api_key="eyX"),
                           breaker=CircuitBreaker("goalert-closed"), sleep=lambda _: None)
    with pytest.raises(BackendUnavailable):
        client.ping()


def test_timeout_over_http(fake):
    with fake.serve() as base_url:
        fake.fail("delay", delay=0.5)
        client = GoAlertClient(base_url, credentials=GoAlertCredentials(api_key="eyX"), timeout=0.1,
                               attempts=1, breaker=CircuitBreaker("goalert-slow"))
        with pytest.raises(BackendUnavailable, match="did not answer"):
            client.ping()
        fake.clear_faults()
