"""The local runner's routes and event routing come from the catalogue, the same definition the
CDK stack reads (tests/infra checks the stack side): a route or event route added there appears
in the runner without touching it."""

from __future__ import annotations

import json
import uuid

from devserver import gateway
from devserver.aws import LocalAws
from nova_bridge import catalogue


def test_a_new_route_is_served_by_the_runner(monkeypatch):
    extra = catalogue.Route("GET", "/api/v2/monitoring/reports/{report_id}", "monitors", "getReport",
                            "Read a report", "monitor.view")
    assert gateway.match_route("GET", "/api/v2/monitoring/reports/r1")[0] is None
    monkeypatch.setattr(catalogue, "ROUTES", catalogue.ROUTES + (extra,))
    route, params, _ = gateway.match_route("GET", "/api/v2/monitoring/reports/r1")
    assert route is extra and params == {"report_id": "r1"}
    event = gateway.build_event(route, "/api/v2/monitoring/reports/r1", params)
    assert event["routeKey"] == "GET /api/v2/monitoring/reports/{report_id}"


def test_method_mismatch_is_distinguished_from_unknown_path():
    assert gateway.match_route("PATCH", "/api/v2/alerts")[:1] == (None,) and gateway.match_route(
        "PATCH", "/api/v2/alerts")[2] is True
    assert gateway.match_route("GET", "/api/v2/nowhere")[2] is False


def test_a_new_event_route_gets_its_rule_and_queue(monkeypatch):
    extra = catalogue.EventRoute("reports", ("report.ready",), "sync_worker", max_receive_count=3)
    monkeypatch.setattr(catalogue, "EVENT_ROUTES", catalogue.EVENT_ROUTES + (extra,))
    aws = LocalAws("bus-one-def", prefix=f"o{uuid.uuid4().hex[:6]}").start()
    try:
        assert [q.route.queue for q in aws.queues] == [r.queue for r in catalogue.EVENT_ROUTES]
        queue = next(q for q in aws.queues if q.route is extra)
        sqs = aws.client("sqs")
        attrs = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["RedrivePolicy"])["Attributes"]
        assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] in ("3", 3)
        aws.client("events").put_events(Entries=[{"Source": catalogue.EVENT_SOURCE, "DetailType": "report.ready",
                                                  "Detail": "{}", "EventBusName": "bus-one-def"}])
        got = sqs.receive_message(QueueUrl=queue.url).get("Messages", [])
        assert [json.loads(m["Body"])["detail-type"] for m in got] == ["report.ready"]
    finally:
        aws.stop()
