"""Against a real GoAlert: set GOALERT_URL and GOALERT_API_KEY (a key made by the bootstrap for
the current document) or GOALERT_USERNAME/GOALERT_PASSWORD (admin; a session, and a temporary API
key is created and deleted). Skipped otherwise. Everything created is named nova-live-* and
deleted afterwards."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from nova_bridge.adapters.goalert.client import (STATUS_CLOSED, GoAlertClient, GoAlertCredentials,
                                                 user_destination)
from nova_bridge.adapters.goalert.ingest import GenericIngest
from nova_bridge.adapters.resilience import CircuitBreaker

URL = os.environ.get("GOALERT_URL")
API_KEY = os.environ.get("GOALERT_API_KEY")
USERNAME, PASSWORD = os.environ.get("GOALERT_USERNAME"), os.environ.get("GOALERT_PASSWORD")

pytestmark = [pytest.mark.live, pytest.mark.skipif(
    not URL or not (API_KEY or (USERNAME and PASSWORD)),
    reason="set GOALERT_URL and GOALERT_API_KEY or GOALERT_USERNAME/GOALERT_PASSWORD")]


@pytest.fixture(scope="module")
def client():
    if API_KEY:
        with GoAlertClient(URL, credentials=GoAlertCredentials(api_key=API_KEY),
                           breaker=CircuitBreaker("goalert-live")) as api:
            yield api
        return
    with GoAlertClient(URL, credentials=GoAlertCredentials(username=USERNAME, password=PASSWORD),
                       breaker=CircuitBreaker("goalert-live")) as admin:
        key = admin.create_gql_api_key(f"nova-live-{uuid.uuid4().hex[:8]}", description="live test",
                                       expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
        try:
            with GoAlertClient(URL, credentials=GoAlertCredentials(api_key=key.token),
                               breaker=CircuitBreaker("goalert-live")) as api:
                yield api  # proves one key covers every operation of the document
        finally:
            admin.delete_gql_api_key(key.id)


def test_ping(client):
    assert client.ping().ok


def test_paging_path_with_dedup(client):
    suffix = uuid.uuid4().hex[:8]
    cleanup: list[tuple[str, str]] = []
    try:
        user = client.create_user(f"nova-live-{suffix}", f"pw-{uuid.uuid4().hex}", name=f"nova-live-{suffix}")
        cleanup.append(("user", user["id"]))
        policy = client.create_escalation_policy(f"nova-live-{suffix}", repeat=0, steps=[
            {"delay_minutes": 5, "actions": [user_destination(user["id"])]}])
        service = client.create_service(f"nova-live-{suffix}", escalation_policy_id=policy["id"])
        cleanup[:0] = [("service", service["id"])]
        cleanup.append(("escalationPolicy", policy["id"]))
        key = client.create_integration_key(service["id"], "nova-live")

        assert client.get_service(service["id"])["onCallUsers"][0]["userID"] == user["id"]
        ingest = GenericIngest(URL, breaker=CircuitBreaker("goalert-live-ingest"))
        down = ingest.trigger(key["id"], "nova live test", dedup=f"live-{suffix}")
        again = ingest.trigger(key["id"], "nova live test", dedup=f"live-{suffix}")
        assert again.alert_id == down.alert_id and not again.is_new
        ingest.close(key["id"], dedup=f"live-{suffix}")
        assert client.get_alert(down.alert_id)["status"] == STATUS_CLOSED
    finally:
        for target in cleanup:
            client.delete_targets([target])
