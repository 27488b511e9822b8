"""Against a real GoAlert v0.34.1: set GOALERT_URL and GOALERT_API_KEY (a key made by the bootstrap for
the current document) or GOALERT_USERNAME/GOALERT_PASSWORD (admin; a session, and a temporary API
key is created and deleted). Skipped otherwise. Everything created is named nova-live-* (or carries
a fresh monitor id) and deleted afterwards.

The paging and webhook tests need admin credentials (they set `Webhook.Enable`/`AllowedURLs` for a
loopback listener, which must be on the machine GoAlert runs on) and a PostgreSQL for the bridge
(tests/conftest.py). GoAlert works in engine cycles (`--engine-cycle-time`, 5 s by default): what
its engine does (on-call users, outgoing webhooks, config reloads) is waited for, never timed.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from nova_bridge.adapters.goalert.client import (STATUS_ACKNOWLEDGED, STATUS_CLOSED, GoAlertClient,
                                                 GoAlertCredentials, user_destination)
from nova_bridge.adapters.goalert.documents import operations_document
from nova_bridge.adapters.goalert.factory import build_backend
from nova_bridge.adapters.goalert.ingest import GenericIngest
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.domain.paging import parse_body, webhook_events
from nova_bridge.errors import BackendRejected

URL = os.environ.get("GOALERT_URL", "").rstrip("/")
API_KEY = os.environ.get("GOALERT_API_KEY")
USERNAME, PASSWORD = os.environ.get("GOALERT_USERNAME"), os.environ.get("GOALERT_PASSWORD")
ENGINE_WAIT = float(os.environ.get("GOALERT_ENGINE_WAIT", "30"))  # seconds to wait for GoAlert's engine

pytestmark = [pytest.mark.live, pytest.mark.skipif(
    not URL or not (API_KEY or (USERNAME and PASSWORD)),
    reason="set GOALERT_URL and GOALERT_API_KEY or GOALERT_USERNAME/GOALERT_PASSWORD")]
needs_admin = pytest.mark.skipif(not (USERNAME and PASSWORD), reason="needs GOALERT_USERNAME/GOALERT_PASSWORD")


def wait_for(check: Callable[[], Any], what: str, timeout: float = ENGINE_WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"GoAlert did not {what} within {timeout:.0f}s")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def api_key() -> Iterator[str]:
    if API_KEY:
        yield API_KEY
        return
    with GoAlertClient(URL, credentials=GoAlertCredentials(username=USERNAME, password=PASSWORD),
                       breaker=CircuitBreaker("goalert-live-admin")) as admin:
        key = admin.create_gql_api_key(f"nova-live-{uuid.uuid4().hex[:8]}", description="live test",
                                       expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
        try:
            yield key.token
        finally:
            admin.delete_gql_api_key(key.id)


@pytest.fixture(scope="module")
def client(api_key) -> Iterator[GoAlertClient]:
    # one key, bound to the whole multi-operation document, for every operation below
    with GoAlertClient(URL, credentials=GoAlertCredentials(api_key=api_key),
                       breaker=CircuitBreaker("goalert-live", failure_threshold=1000)) as api:
        yield api


@pytest.fixture
def cleanup(client) -> Iterator[list[tuple[str, str]]]:
    """Targets to delete afterwards, in order (services before their policies)."""
    targets: list[tuple[str, str]] = []
    yield targets
    for target in targets:
        try:
            client.delete_targets([target])
        except BackendRejected:
            pass  # gone already


def test_ping(client):
    assert client.ping().ok


def test_the_key_refuses_any_other_document(api_key):
    def post(query: str, operation: str) -> httpx.Response:
        return httpx.post(f"{URL}/api/graphql", json={"query": query, "operationName": operation},
                          headers={"Authorization": f"Bearer {api_key}"})

    wrong = post("query Ping { __typename }", "Ping")
    # checked before parsing: even a syntax error answers "wrong query", HTTP 200
    broken = post("query Ping { __typename ", "Ping")
    for response in (wrong, broken):
        assert response.status_code == 200
        assert response.json()["errors"][0]["extensions"] == {"code": "invalid_query"}
    unknown = post(operations_document().text, "NoSuchOperation")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    omitted = httpx.post(f"{URL}/api/graphql", json={"operationName": "Ping"},
                         headers={"Authorization": f"Bearer {api_key}"})
    assert omitted.json() == {"data": {"__typename": "Query"}}
    anonymous = httpx.post(f"{URL}/api/graphql", json={"query": "{__typename}"})
    assert (anonymous.status_code, anonymous.text) == (401, "unauthorized\n")


def test_service_with_policy_and_key_in_one_call_then_ingest_with_dedup(client, cleanup):
    suffix = uuid.uuid4().hex[:8]
    user = client.create_user(f"nova-live-{suffix}", f"pw-{uuid.uuid4().hex}", name=f"nova-live-{suffix}")
    cleanup.append(("user", user["id"]))
    service = client.create_service(
        f"nova-live-{suffix}", labels={"nova-bridge/monitor-id": suffix}, new_integration_keys=["nova-bridge"],
        new_escalation_policy={"name": f"nova-live-{suffix}", "repeat": 0,
                               "steps": [{"delay_minutes": 5, "actions": [user_destination(user["id"])]}]})
    cleanup[:0] = [("service", service["id"]), ("escalationPolicy", service["escalationPolicyID"])]
    [key] = service["integrationKeys"]
    assert key["type"] == "generic" and key["href"].endswith(f"/api/v2/generic/incoming?token={key['id']}")
    for search in (suffix, f"nova-bridge/monitor-id={suffix}"):  # name contains, or a label search
        assert [s["id"] for s in client.find_services(search)["nodes"]] == [service["id"]]
    on_call = wait_for(lambda: client.get_service(service["id"])["onCallUsers"], "compute on-call users")
    assert on_call[0]["userID"] == user["id"]

    ingest = GenericIngest(URL, breaker=CircuitBreaker("goalert-live-ingest"))
    dedup = f"nova:live:{suffix}"
    down = ingest.trigger(key["id"], "nova live test", dedup=dedup)
    again = ingest.trigger(key["id"], "nova live test", dedup=dedup)
    assert down.is_new and down.service_id == service["id"]
    assert again.alert_id == down.alert_id and not again.is_new
    up = ingest.close(key["id"], dedup=dedup)
    assert (up.alert_id, up.is_new) == (down.alert_id, False)
    assert client.get_alert(down.alert_id)["status"] == STATUS_CLOSED
    nothing = ingest.close(key["id"], dedup=dedup)  # GoAlert: {"AlertID": 0, "ServiceID": "", "IsNew": false}
    assert (nothing.alert_id, nothing.service_id, nothing.is_new) == (None, None, False)
    log = [e["message"] for e in client.get_alert(down.alert_id)["recentEvents"]["nodes"]]
    assert log[0] == "Closed via nova-bridge integration (Generic API)"
    assert "Suppressed duplicate: created via nova-bridge integration (Generic API)" in log


def test_goalert_refuses_names_the_fake_refuses(client):
    with pytest.raises(BackendRejected, match="can only contain"):
        client.create_escalation_policy("nova-live [brackets]", repeat=0)
    with pytest.raises(BackendRejected, match="24 characters"):
        client.create_user("nova-" + "x" * 20, f"pw-{uuid.uuid4().hex}")


# --- the bridge's paging path against the real GoAlert -------------------------------------------

class Listener:
    """A loopback HTTP endpoint standing in for the bridge's public URL: records what GoAlert posts."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                listener.received.append((self.path, dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_type(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(path, json.loads(body)) for path, _, body in self.received if json.loads(body).get("Type") == kind]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    hooks = Listener()
    yield hooks
    hooks.close()


@pytest.fixture
def pipe(database_url, api_key, listener):
    """The bridge's handlers and worker on a real PostgreSQL, talking to the real GoAlert; the
    bridge's public URL is the listener, allowed by GoAlert's webhook allow-list."""
    from bench.alert_storm import WEBHOOK_SECRET, PagingPipeline
    from nova_bridge.settings import Settings

    with GoAlertClient(URL, credentials=GoAlertCredentials(username=USERNAME, password=PASSWORD),
                       breaker=CircuitBreaker("goalert-live-admin")) as admin:
        admin.enable_webhooks([listener.url + "/webhooks/goalert/"])
    settings = replace(Settings(), database_url=database_url, goalert_url=URL, webhook_secret=WEBHOOK_SECRET,
                       public_url=listener.url)
    pipeline = PagingPipeline(database_url, settings=settings)
    pipeline.backend = build_backend(URL, GoAlertCredentials(api_key=api_key),
                                     breaker=CircuitBreaker("goalert-live-pipe", failure_threshold=1000))
    # GoAlert's engine reads a changed config some seconds after setConfig: sending earlier fails
    # permanently ("invalid or not allowed URL"), so give it an engine cycle or two.
    time.sleep(float(os.environ.get("GOALERT_CONFIG_WAIT", "6")))
    yield pipeline
    pipeline.close()


def deliver(pipe, listener: Listener, kind: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait for GoAlert's `count`-th `kind` message, then post it to the bridge's handler as
    GoAlert did (earlier ones were delivered by earlier calls)."""
    messages = wait_for(lambda: len(listener.of_type(kind)) >= count and listener.of_type(kind),
                        f"post a {kind} webhook")
    for path, body in messages[count - 1:count]:
        route, _, query = path.partition("?")
        code, answer = pipe.call("POST", route, role=None, json_body=body, query=query)
        assert code == 202, answer
    return [body for _, body in messages[count - 1:count]]


@needs_admin
def test_bridge_paging_path_end_to_end(pipe, listener, client):
    from nova_bridge.events import make_event
    from tests.integration.test_goalert_paging import create_monitor, heartbeat

    nova_user, tenant = str(uuid.uuid4()), "tenant-a"
    cleanup: list[tuple[str, str]] = []
    try:
        # a Nova user becomes a GoAlert user with a webhook contact method, verified through the bridge
        pipe.bus.publish([make_event("user.created", tenant_id=tenant, nova_user_id=nova_user, name="Ada Live",
                                     email=f"{nova_user}@example.test")])
        pipe.drain()
        with pipe.db.transaction() as conn:
            mapping = conn.execute("SELECT * FROM monitoring_user_mappings WHERE nova_user_id = %s",
                                   (nova_user,)).fetchone()
        cleanup.append(("user", mapping["goalert_user_id"]))
        assert mapping["contact_method_verified"] is False
        [verification] = deliver(pipe, listener, "Verification")
        assert set(verification) == {"AppName", "Type", "Code"} and verification["Code"].isdigit()
        path = listener.of_type("Verification")[-1][0]
        [event] = webhook_events(parse_body(json.dumps(verification).encode()), tenant, nova_user)
        assert event.detail_type == "goalert.verification" and f"user={nova_user}" in path
        pipe.drain()
        contact_method = client.get_contact_method(mapping["goalert_contact_method_id"])
        assert contact_method["disabled"] is False and contact_method["statusUpdates"] == "ENABLED_FORCED"

        # the monitor's paging path: service + built policy + key in GoAlert
        monitor_id = create_monitor(pipe, tenant=tenant, kuma_id=4242,
                                    escalation_policy={"repeat": 0, "steps": [{"user_ids": [nova_user]}]})
        assert pipe.sync_monitor(monitor_id) is True
        row = pipe.monitor_row(monitor_id)
        cleanup[:0] = [("service", row["goalert_service_id"]), ("escalationPolicy", row["goalert_escalation_policy_id"])]
        assert row["goalert_sync_state"] == "synced"
        service = client.get_service(row["goalert_service_id"])
        assert str(monitor_id) in service["name"]
        assert pipe.sync_monitor(monitor_id) is True  # idempotent: found again by its label
        assert pipe.monitor_row(monitor_id)["goalert_service_id"] == service["id"]

        # DOWN, DOWN, UP: one alert, paged to the user's webhook, acknowledged, then closed
        t0 = datetime.now(timezone.utc)
        heartbeat(pipe, 4242, "down", t0)
        heartbeat(pipe, 4242, "down", t0 + timedelta(seconds=20))
        pipe.drain()
        [alert] = pipe.alerts(tenant)
        assert client.get_alert(alert["goalert_alert_id"])["status"] == "StatusUnacknowledged"
        [paged] = deliver(pipe, listener, "Alert")
        assert paged["AlertID"] == alert["goalert_alert_id"] and paged["ServiceID"] == service["id"]
        assert set(paged) == {"AppName", "Type", "AlertID", "Summary", "Details", "ServiceID", "ServiceName", "Meta"}

        client.acknowledge_alerts([alert["goalert_alert_id"]])
        [status] = deliver(pipe, listener, "AlertStatus")
        assert status == {"AppName": status["AppName"], "Type": "AlertStatus", "AlertID": alert["goalert_alert_id"],
                          "LogEntry": "Acknowledged"}  # an API key acked it: no "by ..."
        pipe.drain()
        assert pipe.alerts(tenant)[0]["status"] == "acknowledged"
        assert client.get_alert(alert["goalert_alert_id"])["status"] == STATUS_ACKNOWLEDGED

        heartbeat(pipe, 4242, "up", t0 + timedelta(minutes=1))
        pipe.drain()
        assert client.get_alert(alert["goalert_alert_id"])["status"] == STATUS_CLOSED
        assert len(pipe.alerts(tenant)) == 1 and pipe.alerts(tenant)[0]["status"] == "resolved"
        [closed] = deliver(pipe, listener, "AlertStatus", count=2)
        assert closed["LogEntry"] == "Closed via nova-bridge integration (Generic API)"
    finally:
        for target in cleanup:
            try:
                client.delete_targets([target])
            except BackendRejected:
                pass
