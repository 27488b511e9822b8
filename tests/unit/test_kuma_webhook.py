"""Webhook body parsing against the bodies real Kuma 1.23.17 and 2.5.3 POSTed (captures unchanged)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timezone

import pytest

from nova_bridge.adapters.kuma.webhook import KumaHeartbeat, KumaMessage, parse_kuma_webhook
from nova_bridge.errors import InvalidRequest, UnsupportedMediaType
from tests.contracts import KUMA

CONTRACTS = KUMA
VERSIONS = ["1.23.17", "2.5.3"]


def captured(version: str) -> list[dict]:
    return json.loads((CONTRACTS / f"webhook-{version}.json").read_text())


def as_json(body: dict) -> tuple[bytes, str]:
    return json.dumps(body).encode(), "application/json"


def as_form_data(body: dict) -> tuple[bytes, str]:
    """What Kuma's form-data mode sends: the same JSON in one multipart field named `data`."""
    boundary = "--------------------------" + uuid.uuid4().hex[:24]
    raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n"
           f"{json.dumps(body, ensure_ascii=False)}\r\n--{boundary}--\r\n").encode()
    return raw, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("encode", [as_json, as_form_data], ids=["json", "form-data"])
@pytest.mark.parametrize("version", VERSIONS)
def test_down_then_up_bodies_parse(version, encode):
    down, up = (entry["body"] for entry in captured(version))
    first = parse_kuma_webhook(*encode(down))
    second = parse_kuma_webhook(*encode(up))
    assert isinstance(first, KumaHeartbeat) and isinstance(second, KumaHeartbeat)
    assert (first.status, second.status) == ("down", "up")
    assert first.kuma_monitor_id == second.kuma_monitor_id == down["monitor"]["id"]
    assert first.monitor_name == "local-http" and first.monitor_type == "http"
    assert first.msg == down["heartbeat"]["msg"] and first.summary == down["msg"]
    assert first.ping is None and second.ping == float(up["heartbeat"]["ping"])
    assert first.important is True
    assert first.time.tzinfo is not None and first.time.utcoffset().total_seconds() == 0
    expected = datetime.strptime(down["heartbeat"]["time"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    assert first.time == expected
    assert second.time > first.time


def test_time_is_utc_even_when_the_server_zone_is_not():
    # Kuma writes heartbeat.time in UTC and adds localDateTime in the server's zone.
    body = copy.deepcopy(captured("2.5.3")[0]["body"])
    body["heartbeat"].update(timezone="America/Los_Angeles", timezoneOffset="-08:00",
                             time="2026-12-04 19:45:02.174", localDateTime="2026-12-04 11:45:02")
    beat = parse_kuma_webhook(*as_json(body))
    assert beat.time == datetime(2026, 12, 4, 19, 45, 2, 174000, tzinfo=timezone.utc)


def test_time_given_in_server_zone_is_converted_with_the_offset():
    body = copy.deepcopy(captured("1.23.17")[0]["body"])
    body["heartbeat"].update(timezone="Asia/Kolkata", timezoneOffset="+05:30",
                             time="2026-12-05 01:18:21.209", localDateTime="2026-12-05 01:18:21")
    beat = parse_kuma_webhook(*as_json(body))
    assert beat.time == datetime(2026, 12, 4, 19, 48, 21, 209000, tzinfo=timezone.utc)


@pytest.mark.parametrize("encode", [as_json, as_form_data], ids=["json", "form-data"])
def test_test_notification_is_a_message_not_a_heartbeat(encode):
    result = parse_kuma_webhook(*encode({"heartbeat": None, "monitor": None, "msg": "nova-bridge Testing"}))
    assert isinstance(result, KumaMessage)
    assert result.is_test and result.kuma_monitor_id is None


def test_certificate_notice_is_a_message_that_is_not_a_test():
    result = parse_kuma_webhook(*as_json({"heartbeat": None, "monitor": None,
                                          "msg": "[web][https://x] server certificate x will be expired in 7 days"}))
    assert isinstance(result, KumaMessage) and not result.is_test


def _broken(mutate) -> dict:
    body = copy.deepcopy(captured("2.5.3")[0]["body"])
    mutate(body)
    return body


@pytest.mark.parametrize("body, fragment", [
    (_broken(lambda b: b.pop("heartbeat")), "no 'heartbeat'"),
    (_broken(lambda b: b.pop("monitor")), "no 'monitor'"),
    (_broken(lambda b: b.update(monitor=None)), "no monitor"),
    (_broken(lambda b: b["heartbeat"].update(status=7)), "status 7"),
    (_broken(lambda b: b["heartbeat"].update(status="down")), "status 'down'"),
    (_broken(lambda b: b["heartbeat"].pop("status")), "status None"),
    (_broken(lambda b: (b["monitor"].pop("id"), b["heartbeat"].pop("monitorID"))), "no monitor id"),
    (_broken(lambda b: b["heartbeat"].update(monitorID=99)), "disagree"),
    (_broken(lambda b: b["heartbeat"].update(time="yesterday")), "not a date-time"),
    ({"heartbeat": None, "monitor": None, "msg": None}, "neither"),
    ([1, 2], "JSON object"),
], ids=["no-heartbeat", "no-monitor-key", "null-monitor", "bad-status", "text-status", "no-status",
        "no-id", "ids-disagree", "bad-time", "empty", "array"])
def test_malformed_bodies_are_refused_with_a_reason(body, fragment):
    with pytest.raises(InvalidRequest) as caught:
        parse_kuma_webhook(*as_json(body))
    assert fragment in caught.value.detail


def test_invalid_json_and_missing_form_field_are_refused():
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        parse_kuma_webhook(b"{not json", "application/json")
    raw, content_type = as_form_data({"x": 1})
    with pytest.raises(InvalidRequest, match="no 'data' field"):
        parse_kuma_webhook(raw.replace(b'name="data"', b'name="other"'), content_type)
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        parse_kuma_webhook(raw.replace(b'{"x": 1}', b"oops"), content_type)


def test_other_media_types_are_unsupported():
    with pytest.raises(UnsupportedMediaType):
        parse_kuma_webhook(b"<xml/>", "application/xml")
