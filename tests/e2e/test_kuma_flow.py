"""The local runner driving a Kuma (the fake, over real Socket.IO): a monitor created through the
API reaches Kuma with the bridge's webhook notification, Kuma's webhook comes back through HTTP
and the monitor's status follows."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from devserver.aws import wait_until
from tests.e2e.test_local_runner import request
from tests.fakes.kuma_server import FakeKuma

CONTRACTS = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "kuma"


@pytest.fixture
def bridge(tmp_path, monkeypatch):
    from devserver import tokens
    from devserver.server import Bridge
    from nova_bridge.settings import get_settings

    with FakeKuma(version="2.5.3", username="admin", password="admin-pass-1") as kuma:
        for key, value in {"KUMA_URL": kuma.url, "KUMA_USERNAME": "admin", "KUMA_PASSWORD": "admin-pass-1",
                           "KUMA_TIMEOUT_SECONDS": "3"}.items():
            monkeypatch.setenv(key, value)
        for key in ("NOVA_DATABASE_URL", "NOVA_PUBLIC_URL", "NOVA_WEBHOOK_SECRET", "GOALERT_URL"):
            monkeypatch.delenv(key, raising=False)
        runner = Bridge(port=0, state_dir=tmp_path / "state").start()
        runner.kuma = kuma
        runner.token = tokens.issue(runner.jwt_secret, role="admin", tenant="acme", user="ops")
        try:
            yield runner
        finally:
            runner.stop()
            from functions.reconciler import handler as reconciler
            from functions.sync_worker.handler import lambda_handler as worker
            from nova_bridge.adapters.kuma.factory import forget_clients

            worker._deps, reconciler._deps = None, None
            forget_clients()
            get_settings.cache_clear()


def test_monitor_flows_out_and_heartbeats_flow_in(bridge):
    base = bridge.url + "/api/v2/monitoring/monitors"
    status, created = request("POST", base, bridge.token, {"name": "shop", "type": "http", "url": "https://shop.test"})
    assert status == 201
    assert wait_until(lambda: any(m["name"] == "shop" for m in bridge.kuma.monitors.values()), timeout=20)
    assert wait_until(lambda: request("GET", f"{base}/{created['id']}", bridge.token)[1]["kuma"]["state"] == "synced",
                      timeout=10)
    monitor = request("GET", f"{base}/{created['id']}", bridge.token)[1]
    kid = int(monitor["kuma"]["remote_id"])
    [notification] = [n for n in bridge.kuma.notifications.values() if n["name"] == "Nova bridge"]
    config = json.loads(notification["config"])
    assert config["webhookURL"] == bridge.url + "/webhooks/uptime-kuma"  # NOVA_PUBLIC_URL defaults to the runner
    assert bridge.kuma.monitors[kid]["notificationIDList"] == {str(notification["id"]): True}

    # Kuma posts its webhook with the headers it was told to send
    headers = json.loads(config["webhookAdditionalHeaders"])
    down = json.loads((CONTRACTS / "webhook-2.5.3.json").read_text())[0]["body"]
    down = {**down, "monitor": {**down["monitor"], "id": kid}, "heartbeat": {**down["heartbeat"], "monitorID": kid}}
    post = urllib.request.Request(bridge.url + "/webhooks/uptime-kuma", data=json.dumps(down).encode(), method="POST",
                                  headers={"content-type": "application/json", **headers})
    with urllib.request.urlopen(post, timeout=10) as answer:
        assert answer.status == 202
    assert wait_until(lambda: request("GET", f"{base}/{created['id']}", bridge.token)[1]["status"] == "down",
                      timeout=10)

    health = request("GET", bridge.url + "/api/v2/integration/health", bridge.token)[1]
    [kuma] = [b for b in health["backends"] if b["name"] == "uptime_kuma"]
    assert kuma["status"] == "healthy" and kuma["version"] == "2.5.3" and kuma["last_successful_sync"]
