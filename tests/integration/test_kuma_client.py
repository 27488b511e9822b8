"""KumaClient against the fake Kuma server, behaving as 1.23.17 and as 2.5.3."""

from __future__ import annotations

import json
import socket

import pytest
import socketio

from nova_bridge.adapters.kuma.client import InMemoryTokenCache, KumaClient, KumaNotFound, _KumaSocket
from nova_bridge.adapters.kuma.payloads import kuma_monitor_payload
from nova_bridge.adapters.resilience import OPEN, CircuitBreaker
from nova_bridge.errors import BackendProtocolError, BackendRejected, BackendUnavailable
from tests.fakes.kuma_server import FakeKuma

VERSIONS = ["1.23.17", "2.5.3"]
USER, PASSWORD = "admin", "admin-pass-1"
WEB = {"name": "web", "type": "http", "url": "https://example.com/health", "interval_seconds": 60,
       "retry_interval_seconds": 60, "timeout_seconds": 30, "accepted_status_codes": ["200-299"]}


@pytest.fixture(params=VERSIONS)
def fake(request):
    with FakeKuma(version=request.param, username=USER, password=PASSWORD) as server:
        yield server


def make_client(fake: FakeKuma, *, timeout: float = 3.0, cache=None, breaker=None, **kwargs) -> KumaClient:
    return KumaClient(fake.url, USER, kwargs.pop("password", PASSWORD), timeout=timeout,
                      token_cache=cache if cache is not None else InMemoryTokenCache(),
                      breaker=breaker or CircuitBreaker("kuma", failure_threshold=3, reset_seconds=60), **kwargs)


@pytest.fixture
def client(fake):
    with make_client(fake) as kuma:
        yield kuma


def add_web(client: KumaClient, **overrides) -> int:
    return client.add_monitor(kuma_monitor_payload({**WEB, **overrides}, version=client.version, notification_ids=[]))


# --- monitors -----------------------------------------------------------------------------------


def test_detects_the_version_from_the_info_push(client, fake):
    assert client.version == fake.version
    assert client.server_info["serverTimezone"] == "UTC"


def test_monitor_lifecycle(client, fake):
    monitor_id = add_web(client)
    monitor = client.get_monitor(monitor_id)
    assert (monitor["name"], monitor["url"], monitor["type"], monitor["interval"]) == \
        ("web", "https://example.com/health", "http", 60)
    assert ("conditions" in monitor) is fake.version.startswith("2.")

    edited = client.edit_monitor(monitor_id, {"name": "web-renamed", "interval": 120})
    # Kuma's edit replaces every field: the url survives only because the client sent the whole monitor
    assert (edited["name"], edited["interval"], edited["url"]) == ("web-renamed", 120, "https://example.com/health")
    assert fake.monitors[monitor_id]["url"] == "https://example.com/health"

    client.pause_monitor(monitor_id)
    assert client.list_monitors()[monitor_id]["active"] is False
    client.resume_monitor(monitor_id)
    assert client.list_monitors()[monitor_id]["active"] is True

    client.delete_monitor(monitor_id)
    assert monitor_id not in client.list_monitors()
    assert monitor_id not in fake.monitors
    delete_args = [args for event, args in fake.received if event == "deleteMonitor"]
    assert delete_args == ([(monitor_id, False)] if fake.version.startswith("2.") else [(monitor_id,)])


def test_list_follows_the_version_specific_pushes(client, fake):
    first, second = add_web(client, name="a"), add_web(client, name="b")
    client.delete_monitor(first)
    listing = client.list_monitors()
    assert set(listing) == {second} and listing[second]["name"] == "b"
    assert client._monitors.keys() == {second}  # kept current by the pushes between calls


def test_partial_edit_is_refused_or_keeps_omitted_fields(client, fake):
    monitor_id = add_web(client, description="set by hand")
    with pytest.raises(BackendRejected, match="reading 'every'"):  # no accepted_statuscodes
        client._call("editMonitor", {"id": monitor_id, "name": "partial", "interval": 60})
    client._call("editMonitor", {"id": monitor_id, "name": "partial", "interval": 90,
                                 "accepted_statuscodes": ["200-299"], "description": None})
    edited = client.get_monitor(monitor_id)
    # omitted fields keep their values (knex drops undefined), explicit nulls clear, port always falls
    assert (edited["name"], edited["interval"], edited["url"]) == ("partial", 90, "https://example.com/health")
    assert edited["description"] is None and edited["port"] is None
    assert edited["notificationIDList"] == {}  # the list is rebuilt from the payload


def test_delete_of_an_unknown_monitor_is_no_error(client, fake):
    client.delete_monitor(999)  # Kuma deletes nothing and answers ok
    if fake.version.startswith("2."):
        assert client._ok("deleteMonitor", 999)["ok"] is True  # 2.1+ still takes (id, callback)


def test_missing_monitor_raises_not_found(client):
    with pytest.raises(KumaNotFound):
        client.get_monitor(999)
    with pytest.raises(KumaNotFound, match="do not own"):
        client.pause_monitor(999)


def test_add_refusals_match_kuma(client, fake):
    payload = kuma_monitor_payload(WEB, version=client.version, notification_ids=[])
    if fake.version.startswith("1."):
        with pytest.raises(BackendRejected, match="no column named conditions"):
            client._call("add", {**payload, "conditions": []})
        assert client.add_monitor({**payload, "conditions": []}) > 0  # the client strips it on 1.23
    else:
        without = {k: v for k, v in payload.items() if k != "conditions"}
        with pytest.raises(BackendRejected, match="conditions"):
            client._call("add", without)
        assert client.add_monitor(without) > 0  # the client adds it on 2.x
    with pytest.raises(BackendRejected, match="reading 'every'"):
        client._call("add", {k: v for k, v in payload.items() if k != "accepted_statuscodes"})
    with pytest.raises(BackendRejected, match="not all strings"):
        client._call("add", {**payload, "accepted_statuscodes": [200]})
    lax = client._call("add", {k: v for k, v in payload.items() if k not in ("timeout", "notificationIDList")})
    assert client.get_monitor(lax["monitorID"])["timeout"] == 0  # Kuma's column default, not a refusal
    fast = {**payload, "interval": 5}
    if fake.version.startswith("1."):
        with pytest.raises(BackendRejected, match="less than 20 seconds"):
            client.add_monitor(fast)
    else:
        assert client.get_monitor(client.add_monitor(fast))["interval"] == 5


# --- notifications ------------------------------------------------------------------------------


def test_webhook_notification_is_ensured_idempotently(client, fake):
    first = client.ensure_webhook_notification("nova-bridge", "http://127.0.0.1:8080/webhooks/uptime-kuma",
                                               {"X-Nova-Secret": "s3cret"})
    again = client.ensure_webhook_notification("nova-bridge", "http://127.0.0.1:8080/webhooks/uptime-kuma",
                                               {"X-Nova-Secret": "s3cret"})
    assert first == again and fake.count("addNotification") == 1
    stored = json.loads(fake.notifications[first]["config"])
    assert stored["webhookContentType"] == "json" and stored["type"] == "webhook"
    assert json.loads(stored["webhookAdditionalHeaders"]) == {"X-Nova-Secret": "s3cret"}

    rotated = client.ensure_webhook_notification("nova-bridge", "http://127.0.0.1:8080/webhooks/uptime-kuma",
                                                 {"X-Nova-Secret": "rotated"})
    assert rotated == first and fake.count("addNotification") == 2 and len(fake.notifications) == 1
    assert json.loads(json.loads(fake.notifications[first]["config"])["webhookAdditionalHeaders"]) == \
        {"X-Nova-Secret": "rotated"}
    [listed] = client.list_notifications()
    assert listed["config"]["webhookURL"].endswith("/webhooks/uptime-kuma")

    monitor_id = client.add_monitor(kuma_monitor_payload(WEB, version=client.version, notification_ids=[first]))
    assert client.get_monitor(monitor_id)["notificationIDList"] == {str(first): True}


def test_replacing_an_unknown_notification_is_refused(client):
    with pytest.raises(KumaNotFound):
        client.add_notification({"name": "x", "type": "webhook"}, id=42)


# --- status pages and maintenance ---------------------------------------------------------------


def test_status_page_calls(client, fake):
    monitor_id = add_web(client)
    client.add_status_page("Acme Status", "acme")
    with pytest.raises(BackendRejected):
        client.add_status_page("Again", "acme")
    config = client.get_status_page("acme")
    assert config["slug"] == "acme" and config["title"] == "Acme Status"
    groups = client.save_status_page("acme", {**config, "description": "all systems"},
                                     [{"name": "Services", "monitorList": [{"id": monitor_id}]}])
    assert groups[0]["id"] and groups[0]["monitorList"] == [{"id": monitor_id}]
    assert client.get_status_page("acme")["description"] == "all systems"
    logins = fake.count("login") + fake.count("loginByToken")
    assert {page["slug"] for page in client.list_status_pages().values()} == {"acme"}
    assert fake.count("login") + fake.count("loginByToken") == logins + 1  # the list comes only with a login
    client.list_status_pages()
    assert fake.count("login") + fake.count("loginByToken") == logins + 1  # fresh until the next change

    incident = client.post_incident("acme", "Degraded", "We are looking into it", style="warning")
    updated = client.post_incident("acme", "Degraded", "Fixed soon", incident_id=incident["id"])
    assert updated["id"] == incident["id"] and fake.incidents["acme"]["content"] == "Fixed soon"
    client.unpin_incident("acme")
    assert fake.incidents["acme"]["pin"] is False
    with pytest.raises(KumaNotFound):
        client.get_status_page("nope")
    client.delete_status_page("acme")
    assert client.list_status_pages() == {}
    with pytest.raises(KumaNotFound):
        client.delete_status_page("acme")


def test_maintenance_calls(client, fake):
    monitor_id = add_web(client)
    maintenance_id = client.add_maintenance({"title": "db upgrade", "description": "tonight"})
    client.add_monitor_maintenance(maintenance_id, [monitor_id])
    assert client.get_monitor_maintenance(maintenance_id) == [{"id": monitor_id}]  # Kuma selects monitor.id only
    listed = client.list_maintenances()
    assert listed[maintenance_id]["title"] == "db upgrade" and listed[maintenance_id]["strategy"] == "manual"
    client.pause_maintenance(maintenance_id)
    assert client.list_maintenances()[maintenance_id]["active"] is False
    with pytest.raises(BackendRejected):
        client.add_maintenance({"title": "x", "strategy": "sometimes"})
    client.delete_maintenance(maintenance_id)
    client.delete_maintenance(maintenance_id)  # Kuma answers ok for an id it no longer has
    assert maintenance_id not in client.list_maintenances()


# --- login, gating, tokens ----------------------------------------------------------------------


def test_second_client_logs_in_with_the_cached_token(fake):
    cache = InMemoryTokenCache()
    with make_client(fake, cache=cache) as first:
        first.list_monitors()
    assert cache.get(f"{fake.url}|{USER}")
    with make_client(fake, cache=cache) as second:
        second.list_monitors()
    assert (fake.count("login"), fake.count("loginByToken")) == (1, 1)


def test_token_dies_with_a_password_change_and_the_client_logs_in_again(fake):
    cache = InMemoryTokenCache()
    with make_client(fake, cache=cache):
        pass
    old = cache.get(f"{fake.url}|{USER}")
    fake.change_password(USER, "new-pass-2")
    with make_client(fake, cache=cache, password="new-pass-2") as kuma:
        assert kuma.version == fake.version
    assert fake.count("loginByToken") == 1 and fake.count("login") == 2
    assert cache.get(f"{fake.url}|{USER}") not in (None, old)


def test_wrong_password_is_rejected_and_does_not_open_the_circuit(fake):
    breaker = CircuitBreaker("kuma", failure_threshold=1)
    with pytest.raises(BackendRejected, match="refused the login"):
        make_client(fake, password="wrong", breaker=breaker).connect()
    assert breaker.state != OPEN


def test_2x_drops_early_emits_and_the_client_waits_for_login_required():
    with FakeKuma(version="2.5.3", gate_delay=0.6) as fake:
        raw = _KumaSocket(handle_sigint=False)  # python-socketio's Client, minus the 3 s close wait
        raw.connect(fake.url, transports=["websocket"])
        try:
            with pytest.raises(socketio.exceptions.TimeoutError):
                raw.call("needSetup", timeout=0.2)  # sent before loginRequired: never answered
        finally:
            raw.disconnect()
        with make_client(fake) as kuma:
            assert kuma.version == "2.5.3"
        assert fake.count("login") == 1


def test_fresh_kuma_needs_setup_unless_asked_to_do_it():
    with FakeKuma(version="2.5.3", needs_setup=True) as fake:
        with pytest.raises(BackendRejected, match="setup"):
            make_client(fake).connect()
        with pytest.raises(BackendRejected, match="too weak"):
            make_client(fake, password="abc", auto_setup=True).connect()
        with make_client(fake, auto_setup=True) as kuma:
            assert kuma.version == "2.5.3"
        assert fake.users == {USER: PASSWORD}


@pytest.mark.slow
@pytest.mark.parametrize("version, count", [("1.23.17", 2000), ("2.5.3", 5000)])
def test_login_burst_of_thousands_of_monitors(version, count):
    with FakeKuma(version=version) as fake:
        fake.seed_monitors(count, beats_per_monitor=1)
        # One push holds the whole list (~15 MB for 5000): the pure-Python fake in the same process
        # needs seconds to build and send it; the many small pushes after it extend the wait.
        with make_client(fake, timeout=10.0) as kuma:
            assert kuma.version == version
            monitors = kuma.list_monitors()
            assert len(monitors) == count and monitors[1234]["name"] == "seeded-1233"
            assert kuma.get_monitor(count)["name"] == f"seeded-{count - 1}"


# --- faults -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_unavailable():
    client = KumaClient(f"http://127.0.0.1:{free_port()}", USER, PASSWORD, timeout=1.0,
                        token_cache=InMemoryTokenCache(), breaker=CircuitBreaker("kuma"))
    with pytest.raises(BackendUnavailable, match="cannot connect"):
        client.list_monitors()
    assert client.health()["status"] == "down"


def test_slow_answer_times_out_and_the_next_call_recovers(fake):
    with make_client(fake, timeout=0.5) as kuma:
        monitor_id = add_web(kuma)
        fake.fault("getMonitor", "delay", 1.5)
        with pytest.raises(BackendUnavailable, match="timed out"):
            kuma.get_monitor(monitor_id)
        fake.clear_faults()
        assert kuma.get_monitor(monitor_id)["id"] == monitor_id


def test_ok_false_raises_rejected_with_kumas_message(client, fake):
    monitor_id = add_web(client)
    fake.fault("pauseMonitor", "reject", "Something exploded")
    with pytest.raises(BackendRejected) as caught:
        client.pause_monitor(monitor_id)
    assert "Something exploded" in caught.value.detail and caught.value.extra["kuma_msg"] == "Something exploded"
    assert not caught.value.retryable


@pytest.mark.parametrize("answer", ["garbage", {"ok": True}, {"ok": True, "monitorID": "abc"}, None])
def test_malformed_answers_raise_protocol_errors(client, fake, answer):
    fake.fault("add", "answer", answer)
    with pytest.raises(BackendProtocolError):
        add_web(client)


def test_dropped_connection_fails_the_call_then_reconnects_by_token(client, fake):
    monitor_id = add_web(client)
    fake.fault("getMonitor", "drop")
    with pytest.raises(BackendUnavailable, match="closed the connection"):
        client.get_monitor(monitor_id)
    fake.clear_faults()
    assert client.get_monitor(monitor_id)["id"] == monitor_id
    assert fake.count("loginByToken") == 1


def test_circuit_opens_and_then_fails_fast(fake):
    breaker = CircuitBreaker("kuma", failure_threshold=2, reset_seconds=60)
    kuma = make_client(fake, timeout=1.0, breaker=breaker)
    assert kuma.health()["status"] == "up"
    fake.stop()
    for _ in range(2):
        with pytest.raises(BackendUnavailable):
            kuma.list_monitors()
    connects_before = fake.count("needSetup")
    with pytest.raises(BackendUnavailable) as caught:
        kuma.list_monitors()
    assert caught.value.extra.get("circuit") == "open" and breaker.state == OPEN
    health = kuma.health()
    assert (health["status"], health["circuit"]) == ("down", OPEN) and "circuit is open" in health["error"]
    assert fake.count("needSetup") == connects_before
    fake.start()
    breaker.reset()
    assert kuma.list_monitors() == {}


def test_ping_reports_version_and_latency(client, fake):
    result = client.ping()
    assert result["version"] == fake.version and result["latency_ms"] >= 0
