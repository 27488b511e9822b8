"""Bad input gets a 4xx application/problem+json naming the problem; nothing is stored."""

from __future__ import annotations

import base64
import json

import pytest

from devserver import gateway
from tests.conftest import claims_for, http_monitor

MONITORS = "/api/v2/monitoring/monitors"


def count_monitors(db) -> int:
    return db.fetchall("SELECT count(*) AS n FROM monitors")[0]["n"]


def assert_problem(result, status: int, field: str | None = None):
    assert result.status == status, result.text
    assert result.headers["content-type"] == "application/problem+json"
    body = result.json
    assert body["status"] == status and body["title"] and body["type"].startswith("urn:nova:problem:")
    if field:
        assert field in {e["field"] for e in body.get("errors", [])} | {body.get("field")}, body
    return body


@pytest.mark.parametrize("payload, field", [
    ({"type": "http", "url": "https://x.test"}, "body.name"),
    ({"name": "a", "type": "carrier-pigeon"}, "body.type"),
    (http_monitor(interval_seconds="often"), "body.interval_seconds"),
    (http_monitor(interval_seconds=5), "body.interval_seconds"),
    (http_monitor(colour="blue"), "body.colour"),
    (http_monitor(url="ftp://nope"), "body.url"),
    ({"name": "p", "type": "port", "hostname": "db.internal"}, "body"),
    (http_monitor(alerting={"enabled": True, "escalation_policy": {"steps": [{"delay_minutes": 5}]}}),
     "body.alerting.escalation_policy.steps.0"),
])
def test_validation_errors_name_the_field(api, db, payload, field):
    body = assert_problem(api.call("POST", MONITORS, json_body=payload), 422, field)
    assert body["detail"]
    assert count_monitors(db) == 0


def test_malformed_json(api, db):
    assert_problem(api.call("POST", MONITORS, body=b'{"name": ', headers={"content-type": "application/json"}), 400)
    assert_problem(api.call("POST", MONITORS, body=b"\xff\xfe", headers={"content-type": "application/json"}), 400)
    assert count_monitors(db) == 0


def test_json_that_is_not_an_object(api):
    assert_problem(api.call("POST", MONITORS, json_body=[1, 2, 3]), 422)


def test_wrong_content_type(api):
    assert_problem(api.call("POST", MONITORS, body=b"name=x", headers={"content-type": "text/plain"}), 415)


def test_oversize_body(api, db, deps):
    big = http_monitor(description="x" * (deps.settings.max_body_bytes + 1))
    assert_problem(api.call("POST", MONITORS, json_body=big), 413)
    assert count_monitors(db) == 0


def test_base64_body_is_decoded_and_limited(deps):
    route, params, _ = gateway.match_route("POST", MONITORS)
    event = gateway.build_event(route, MONITORS, params, headers={"content-type": "application/json"},
                                body=json.dumps(http_monitor()).encode(), claims=claims_for("admin"))
    event["body"], event["isBase64Encoded"] = base64.b64encode(event["body"].encode()).decode(), True
    assert gateway.invoke(route, event, deps)["statusCode"] == 201


@pytest.mark.parametrize("path", [f"{MONITORS}/not-a-uuid", f"{MONITORS}/123", f"{MONITORS}/%27%20OR%201=1"])
def test_bad_ids_are_404(api, path):
    assert_problem(api.call("GET", path), 404)


@pytest.mark.parametrize("query, field", [("limit=0", "query.limit"), ("limit=abc", "query.limit"),
                                          ("cursor=!!!", "query.cursor"), ("status=sideways", "query.status"),
                                          ("unknown=1", "query.unknown")])
def test_bad_query(api, query, field):
    assert_problem(api.call("GET", MONITORS, query=query), 422, field)


def test_unconfigured_backend_is_503_naming_it(api):
    body = assert_problem(api.call("GET", "/api/v2/oncall/current"), 503)
    assert body["integration"] == "goalert" and "goalert" in body["detail"]
    assert api.call("GET", "/api/v2/oncall/current").headers.get("Retry-After")


def test_unexpected_errors_are_500_problems_without_internals(api, deps, monkeypatch):
    from nova_bridge.domain import monitors

    def boom(*a, **k):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(monitors, "list_monitors", boom)
    body = assert_problem(api.call("GET", MONITORS), 500)
    assert "hunter2" not in json.dumps(body)


def test_health_without_backends_is_degraded_and_names_them(api):
    body = api.call("GET", "/api/v2/integration/health").json
    states = {b["name"]: b["status"] for b in body["backends"]}
    assert states["database"] == "healthy"
    assert states["uptime_kuma"] == states["goalert"] == "not_configured"
    assert body["status"] == "degraded" and body["queues"]["outbox_pending"] == 0
