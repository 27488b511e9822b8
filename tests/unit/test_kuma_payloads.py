"""Nova monitor -> Kuma payload mapping, per Kuma version, and drift detection."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from nova_bridge.adapters.kuma.payloads import kuma_monitor_payload, monitor_differs, shape_for_version
from nova_bridge.adapters.kuma.versions import delete_takes_children_flag, min_interval_seconds, parse_version
from nova_bridge.errors import ValidationFailed
from nova_bridge.schemas.monitors import MonitorCreate
from tests.contracts import KUMA

CONTRACTS = KUMA
REQUIRED = ("accepted_statuscodes", "notificationIDList", "interval", "retryInterval", "maxretries", "timeout")


def captured_monitors(version: str) -> dict[str, dict]:
    """The last full monitorList the real server pushed in the captured session."""
    events = json.loads((CONTRACTS / f"socket-session-{version}.json").read_text())
    return [e for e in events if e["event"] == "monitorList" and e["args"][0]][-1]["args"][0]


HTTP = {"name": "web", "type": "http", "url": "https://example.com/health", "method": "HEAD",
        "interval_seconds": 60, "retry_interval_seconds": 30, "max_retries": 2, "timeout_seconds": 20,
        "accepted_status_codes": ["200-299", "301"], "description": "front door"}


@pytest.mark.parametrize("version", ["1.23.17", "2.0.2", "2.5.3"])
def test_http_payload_has_every_required_key(version):
    payload = kuma_monitor_payload(HTTP, version=version, notification_ids=[3, 7])
    assert all(key in payload for key in REQUIRED)
    assert payload["notificationIDList"] == {"3": True, "7": True}
    assert payload["accepted_statuscodes"] == ["200-299", "301"]
    assert (payload["interval"], payload["retryInterval"], payload["maxretries"], payload["timeout"]) == (60, 30, 2, 20)
    assert (payload["url"], payload["method"], payload["description"]) == ("https://example.com/health", "HEAD",
                                                                          "front door")


def test_conditions_only_on_2x():
    assert "conditions" not in kuma_monitor_payload(HTTP, version="1.23.17", notification_ids=[])
    assert kuma_monitor_payload(HTTP, version="2.5.3", notification_ids=[])["conditions"] == []


def test_ping_fields_only_on_2x():
    ping = {"name": "gw", "type": "ping", "hostname": "10.0.0.1", "interval_seconds": 60, "timeout_seconds": 10}
    v1 = kuma_monitor_payload(ping, version="1.23.17", notification_ids=[])
    v2 = kuma_monitor_payload(ping, version="2.5.3", notification_ids=[])
    assert v1["hostname"] == v2["hostname"] == "10.0.0.1"
    assert not {"ping_count", "ping_numeric", "ping_per_request_timeout"} & set(v1)
    assert (v2["ping_count"], v2["ping_numeric"], v2["ping_per_request_timeout"]) == (1, True, 2)


def test_every_payload_key_is_a_column_of_the_captured_1_23_monitor():
    # 1.23 turns every key into a column and refuses unknown ones
    columns = set(next(iter(captured_monitors("1.23.17").values())))
    columns.add("pushToken")
    for spec in (HTTP, {"name": "k", "type": "keyword", "url": "http://x", "keyword": "ok", "invert_keyword": True},
                 {"name": "p", "type": "port", "hostname": "db", "port": 5432},
                 {"name": "i", "type": "ping", "hostname": "gw"}, {"name": "h", "type": "push"}):
        payload = kuma_monitor_payload(spec, version="1.23.17", notification_ids=[1])
        assert set(payload) - columns == set(), spec["type"]


def test_type_specific_fields_and_push_tokens():
    keyword = kuma_monitor_payload({"name": "k", "type": "keyword", "url": "http://x", "keyword": "ok",
                                    "invert_keyword": True}, version="2.5.3", notification_ids=[])
    assert (keyword["keyword"], keyword["invertKeyword"]) == ("ok", True)
    port = kuma_monitor_payload({"name": "p", "type": "port", "hostname": "db", "port": 5432},
                                version="2.5.3", notification_ids=[])
    assert (port["hostname"], port["port"], port["url"]) == ("db", 5432, None)
    first = kuma_monitor_payload({"name": "h", "type": "push"}, version="2.5.3", notification_ids=[])
    second = kuma_monitor_payload({"name": "h", "type": "push"}, version="2.5.3", notification_ids=[])
    assert len(first["pushToken"]) == 32 and first["pushToken"].isalnum()
    assert first["pushToken"] != second["pushToken"]
    kept = kuma_monitor_payload({"name": "h", "type": "push"}, version="2.5.3", notification_ids=[],
                                push_token="pushtokenABCDEFGHIJKLMNOPQRSTUVWX")
    assert kept["pushToken"] == "pushtokenABCDEFGHIJKLMNOPQRSTUVWX"


def test_accepts_the_api_model_as_well_as_a_mapping():
    model = MonitorCreate(**HTTP)
    assert kuma_monitor_payload(model, version="2.5.3", notification_ids=[1]) == \
        kuma_monitor_payload(HTTP, version="2.5.3", notification_ids=[1])
    assert kuma_monitor_payload(SimpleNamespace(**HTTP), version="1.23.17", notification_ids=[])["name"] == "web"


def test_minimum_interval_per_version():
    fast = dict(HTTP, interval_seconds=5, retry_interval_seconds=5, timeout_seconds=4)
    assert kuma_monitor_payload(fast, version="1.23.17", notification_ids=[])["interval"] == 20
    assert kuma_monitor_payload(fast, version="2.0.2", notification_ids=[])["interval"] == 20
    assert kuma_monitor_payload(fast, version="2.5.3", notification_ids=[])["interval"] == 5
    with pytest.raises(ValidationFailed, match="interval_seconds"):
        kuma_monitor_payload(fast, version="1.23.17", notification_ids=[], clamp_interval=False)


def test_missing_target_and_unknown_type_are_refused_naming_the_field():
    with pytest.raises(ValidationFailed, match="url"):
        kuma_monitor_payload({"name": "x", "type": "http"}, version="2.5.3", notification_ids=[])
    with pytest.raises(ValidationFailed, match="port"):
        kuma_monitor_payload({"name": "x", "type": "port", "hostname": "h"}, version="2.5.3", notification_ids=[])
    with pytest.raises(ValidationFailed, match="type"):
        kuma_monitor_payload({"name": "x", "type": "dns"}, version="2.5.3", notification_ids=[])


def test_shape_for_version_adds_and_strips_version_keys():
    assert "conditions" not in shape_for_version({"conditions": [], "ping_count": 1}, "1.23.17")
    assert shape_for_version({"name": "x"}, "2.5.3")["conditions"] == []


@pytest.mark.parametrize("version", ["1.23.17", "2.5.3"])
def test_no_drift_against_what_kuma_reports_for_the_same_monitor(version):
    kuma = captured_monitors(version)["2"]  # local-keyword as the real server stored it
    wanted = kuma_monitor_payload({"name": "local-keyword", "type": "keyword", "url": kuma["url"],
                                   "keyword": kuma["keyword"], "interval_seconds": kuma["interval"],
                                   "retry_interval_seconds": kuma["retryInterval"], "max_retries": 0,
                                   "timeout_seconds": kuma["timeout"]}, version=version, notification_ids=[])
    wanted["expiryNotification"] = kuma["expiryNotification"]
    assert monitor_differs(wanted, kuma) == []


def test_drift_names_the_changed_fields():
    kuma = captured_monitors("2.5.3")["1"]
    wanted = kuma_monitor_payload({"name": "renamed", "type": "http", "url": kuma["url"], "interval_seconds": 90,
                                   "retry_interval_seconds": kuma["retryInterval"], "timeout_seconds": kuma["timeout"]},
                                  version="2.5.3", notification_ids=[1, 2])
    assert monitor_differs(wanted, kuma) == ["interval", "name", "notificationIDList"]


def test_version_rules():
    assert parse_version("2.0.0-beta.2") == (2, 0, 0)
    assert min_interval_seconds("2.1.0") == 1 and min_interval_seconds("2.0.9") == 20
    assert delete_takes_children_flag("2.5.3") and not delete_takes_children_flag("1.23.17")
    with pytest.raises(ValueError):
        parse_version("latest")
