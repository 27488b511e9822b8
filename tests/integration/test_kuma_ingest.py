"""Inbound heartbeats through the real webhooks handler, with Kuma's captured bodies unchanged
(json and form-data modes, 1.23.17 and 2.5.3), then through the real sync worker."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, webhook_secret
from nova_bridge.api.deps import ApiDeps
from tests.conftest import Api
from tests.integration.test_kuma_sync import CALLER, MemoryPublisher, create, row_of, run_worker, transitions
from nova_bridge.workers.deps import WorkerDeps

CONTRACTS = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "kuma"
VERSIONS = ["1.23.17", "2.5.3"]


def captured(version: str) -> list[dict]:
    return json.loads((CONTRACTS / f"webhook-{version}.json").read_text())


def form_data(document: dict) -> tuple[bytes, str]:
    """Kuma's form-data mode: the same JSON document in one multipart field named `data`."""
    boundary = "----kuma" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n"
            f"{json.dumps(document)}\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def hook(settings, db):
    publisher = MemoryPublisher()
    configured = replace(settings, webhook_secret="master-secret", max_body_bytes=64 * 1024)
    api = Api(ApiDeps(settings=configured, db=db, publisher=publisher))
    api.publisher = publisher
    api.secret = webhook_secret(configured)
    return api


def post(api, body: bytes, content_type: str = "application/json", secret: str | None = "default"):
    headers = {"content-type": content_type}
    if secret is not None:
        headers[KUMA_SECRET_HEADER] = api.secret if secret == "default" else secret
    return api.call("POST", "/webhooks/uptime-kuma", body=body, headers=headers, role=None)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mode", ["json", "form-data"])
def test_captured_bodies_become_heartbeat_events(hook, version, mode):
    for delivery in captured(version):
        document = delivery["body"]
        if mode == "json":
            result = post(hook, json.dumps(document).encode(), delivery["headers"]["Content-Type"])
        else:
            result = post(hook, *form_data(document))
        assert result.status == 202, result.text
    down, up = hook.publisher.events
    assert (down.detail_type, up.detail_type) == ("monitor.down", "monitor.up")
    first = captured(version)[0]["body"]
    assert down.detail.kuma_monitor_id == first["monitor"]["id"]
    assert down.detail.msg == first["heartbeat"]["msg"]
    assert down.detail.time.utcoffset().total_seconds() == 0
    assert down.detail.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] == first["heartbeat"]["time"]  # UTC already
    assert up.detail.ping == captured(version)[1]["body"]["heartbeat"]["ping"]


def test_repeated_delivery_publishes_the_same_event_id(hook):
    body = json.dumps(captured("2.5.3")[0]["body"]).encode()
    post(hook, body)
    post(hook, body)
    first, again = hook.publisher.events
    assert first.event_id == again.event_id  # the worker's idempotency drops the second


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_missing_or_wrong_secret_is_401(hook, secret):
    result = post(hook, json.dumps(captured("2.5.3")[0]["body"]).encode(), secret=secret)
    assert result.status == 401
    assert result.headers["content-type"].startswith("application/problem+json")
    assert hook.publisher.events == []


def test_oversize_body_is_413(hook):
    document = dict(captured("2.5.3")[0]["body"], msg="x" * (70 * 1024))
    result = post(hook, json.dumps(document).encode())
    assert result.status == 413
    assert result.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("body", [b"{not json", b"[]", json.dumps({"heartbeat": {"status": 7}}).encode(),
                                  json.dumps({"heartbeat": {"status": 0, "time": "2026-12-04 19:45:02.174"},
                                              "monitor": {"id": "not-a-number"}, "msg": "x"}).encode()])
def test_malformed_bodies_are_4xx_problems(hook, body):
    result = post(hook, body)
    assert 400 <= result.status < 500
    assert result.headers["content-type"].startswith("application/problem+json")
    assert json.loads(result.text)["detail"]
    assert hook.publisher.events == []


def test_test_button_is_accepted_without_an_event(hook):
    result = post(hook, json.dumps({"heartbeat": None, "monitor": None, "msg": "Nova bridge Testing"}).encode())
    assert result.status == 202 and hook.publisher.events == []


@pytest.mark.parametrize("version", VERSIONS)
def test_ingested_heartbeats_drive_the_monitor_status(hook, settings, db, version):
    deps = WorkerDeps(settings=settings, db=db, publisher=MemoryPublisher())
    monitor = create(deps)
    kid = captured(version)[0]["body"]["monitor"]["id"]
    with deps.uow.transaction() as tx:
        tx.set_sync_state(monitor.id, {"kuma_monitor_id": kid, "kuma_sync_state": "synced"})
    for delivery in captured(version):
        post(hook, json.dumps(delivery["body"]).encode())
    down, up = hook.publisher.events
    assert run_worker(deps, down, up, down) == {"batchItemFailures": []}  # the duplicate is skipped
    row = row_of(deps, monitor.id)
    assert row["status"] == "up"
    assert transitions(deps, monitor.id) == [("unknown", "down"), ("down", "up")]
    assert CALLER.tenant_id == row["tenant_id"]
