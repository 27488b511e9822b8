"""Every way EventBridge can fail a publish: the event is never lost, the caller learns which."""

from __future__ import annotations

import json
import socket
from dataclasses import replace

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from nova_bridge.adapters.eventbus import EventBridgePublisher
from nova_bridge.adapters.outbox import relay_all
from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, webhook_secret
from nova_bridge.errors import BackendUnavailable
from nova_bridge.events import make_event
from tests.contracts import KUMA


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def events_client(endpoint: str | None = None):
    return boto3.client("events", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                        endpoint_url=endpoint, config=Config(connect_timeout=0.5, read_timeout=0.5,
                                                             retries={"max_attempts": 1}))


def user_events(n: int):
    return [make_event("user.created", tenant_id="t", nova_user_id=f"u{i}") for i in range(n)]


def test_refused_connection_is_backend_unavailable():
    publisher = EventBridgePublisher("bus", client=events_client(f"http://127.0.0.1:{closed_port()}"))
    with pytest.raises(BackendUnavailable) as info:
        publisher.publish(user_events(1))
    assert info.value.backend == "eventbridge" and info.value.retryable


def test_timeout_is_backend_unavailable():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    try:
        publisher = EventBridgePublisher("bus", client=events_client(f"http://127.0.0.1:{silent.getsockname()[1]}"))
        with pytest.raises(BackendUnavailable):
            publisher.publish(user_events(1))
    finally:
        silent.close()


def test_5xx_and_partial_rejection():
    client = events_client()
    events = user_events(12)
    with Stubber(client) as stub:
        stub.add_client_error("put_events", service_error_code="InternalException", http_status_code=500)
        with pytest.raises(BackendUnavailable):
            EventBridgePublisher("bus", client=client).publish(events[:1])
    with Stubber(client) as stub:
        # Two calls (10 + 2 entries); EventBridge refuses the 4th entry of the first call.
        stub.add_response("put_events", {"FailedEntryCount": 1, "Entries": [
            {"EventId": str(i)} if i != 3 else {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}
            for i in range(10)]})
        stub.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "a"}, {"EventId": "b"}]})
        failed = EventBridgePublisher("bus", client=client).publish(events)
    assert failed == [events[3]]


def test_malformed_answer_counts_the_missing_entries_as_failed():
    client = events_client()
    events = user_events(3)
    with Stubber(client) as stub:
        stub.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "only-one"}]})
        failed = EventBridgePublisher("bus", client=client).publish(events)
    assert failed == events[1:]


def test_webhook_keeps_the_heartbeat_in_the_outbox_when_the_bus_is_down(deps, db, api):
    deps.settings = replace(deps.settings, webhook_secret="hook-master")
    deps.publisher = EventBridgePublisher("bus", client=events_client(f"http://127.0.0.1:{closed_port()}"))
    captured = json.loads((KUMA / "webhook-2.5.3.json").read_text())[0]
    result = api.call("POST", "/webhooks/uptime-kuma", role=None, json_body=captured["body"],
                      headers={KUMA_SECRET_HEADER: webhook_secret(deps.settings)})
    assert result.status == 202
    parked = db.fetchall("SELECT detail_type, detail FROM outbox WHERE published_at IS NULL")
    assert [p["detail_type"] for p in parked] == ["monitor.down"]
    assert str(parked[0]["detail"]["event_id"]) == result.json["event_id"]

    class Bus:
        def __init__(self):
            self.got = []

        def publish(self, events):
            self.got += events
            return []

    bus = Bus()
    assert relay_all(db, bus).published == 1 and bus.got[0].detail.kuma_monitor_id == 1
