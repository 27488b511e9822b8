"""Outbox -> EventBridge -> SQS -> worker, on moto, provisioned from the catalogue like the stack."""

from __future__ import annotations

import json
import uuid

import pytest

from devserver.aws import LocalAws
from nova_bridge import catalogue
from nova_bridge.adapters.eventbus import EventBridgePublisher
from nova_bridge.adapters.outbox import relay_all, store_events
from nova_bridge.errors import BackendRejected, BackendUnavailable
from nova_bridge.events import make_event
from nova_bridge.workers.runtime import RetryLater, SqsWorker
from tests.conftest import http_monitor, sqs_event


@pytest.fixture
def aws():
    local = LocalAws("nova-test-bus", prefix=f"t{uuid.uuid4().hex[:6]}").start()
    yield local
    local.stop()


def queue_bodies(aws, queue_name):
    sqs = aws.client("sqs")
    queue = next(q for q in aws.queues if q.route.queue == queue_name)
    got = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def test_committed_writes_reach_their_queue(api, db, aws):
    api.call("POST", "/api/v2/monitoring/monitors", json_body=http_monitor())
    publisher = EventBridgePublisher("nova-test-bus", client=aws.client("events"))
    result = relay_all(db, publisher)
    assert result.published == 1 and result.failed == 0
    assert db.fetchall("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0]["n"] == 0
    bodies = queue_bodies(aws, "monitor-sync")
    assert [b["detail-type"] for b in bodies] == ["monitor.created"]
    assert bodies[0]["source"] == catalogue.EVENT_SOURCE
    assert relay_all(db, publisher).published == 0  # nothing is published twice


def test_every_detail_type_lands_in_its_catalogue_queue(db, aws):
    publisher = EventBridgePublisher("nova-test-bus", client=aws.client("events"))
    samples = {
        "monitor.updated": dict(monitor_id=uuid.uuid4(), monitor_version=2, actor="a"),
        "monitor.down": dict(kuma_monitor_id=1, status="down", time="2026-12-04T10:00:00Z"),
        "user.created": dict(nova_user_id="u1"),
    }
    for detail_type, fields in samples.items():
        assert publisher.publish([make_event(detail_type, **fields)]) == []
        queue = catalogue.event_route_for(detail_type).queue
        assert [b["detail-type"] for b in queue_bodies(aws, queue)] == [detail_type]


def test_relay_keeps_events_when_the_bus_fails(db):
    class DownBus:
        def publish(self, events):
            raise BackendUnavailable("eventbridge", "connection refused")

    store_events(db, [make_event("user.created", nova_user_id="u1")])
    assert relay_all(db, DownBus()).failed == 1
    row = db.fetchall("SELECT published_at, attempts, last_error FROM outbox")[0]
    assert row["published_at"] is None and row["attempts"] == 1 and "refused" in row["last_error"]



class Deps:
    def __init__(self, db):
        self.db = db


def test_worker_partial_failures_retries_and_duplicates(db):
    seen = []

    def handler(event, deps):
        seen.append(event.detail.nova_user_id)
        if event.detail.nova_user_id == "down":
            raise BackendUnavailable("goalert", "timeout")
        if event.detail.nova_user_id == "refused":
            raise BackendRejected("goalert", "invalid email")

    worker = SqsWorker("test", {"user.created": handler}, lambda: None)
    ok, down, refused = (make_event("user.created", nova_user_id=u) for u in ("ok", "down", "refused"))
    result = worker(sqs_event(ok, down, refused), None, Deps(db))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}  # only the retryable one
    rows = {r["id"]: r for r in db.fetchall("SELECT id, status, retry_count, error_message FROM integration_events")}
    assert rows[ok.event_id]["status"] == "completed"
    assert rows[down.event_id]["status"] == "failed" and rows[down.event_id]["retry_count"] == 1
    assert rows[refused.event_id]["status"] == "failed" and "invalid email" in rows[refused.event_id]["error_message"]

    # Redelivery: the completed event is skipped, the failed one is tried again.
    seen.clear()
    assert worker(sqs_event(ok, down), None, Deps(db)) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert seen == ["down"]
    assert db.fetchall("SELECT retry_count FROM integration_events WHERE id = %s", (down.event_id,))[0][
        "retry_count"] == 2


def test_unparseable_message_is_a_batch_failure(db):
    worker = SqsWorker("test", {}, lambda: None)
    event = {"Records": [{"messageId": "bad", "receiptHandle": "r", "eventSource": "aws:sqs", "attributes": {},
                          "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "body": "{not json"}]}
    assert worker(event, None, Deps(db)) == {"batchItemFailures": [{"itemIdentifier": "bad"}]}


def test_retry_later_with_a_delay_keeps_the_message_invisible_that_long(db, aws):
    """The flap guard's wait costs one redelivery: the message stays hidden until the guard ends."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"{aws.prefix}-delay", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def wait(event, deps):
        raise RetryLater("not yet", delay_seconds=int(event.detail.nova_user_id))

    worker = SqsWorker("test", {"user.created": wait}, lambda: None)
    deps = Deps(db)
    deps.sqs = sqs
    for delay, visible_again in (("0", True), ("600", False)):
        event = make_event("user.created", nova_user_id=delay)
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({
            "detail-type": event.detail_type, "source": event.source, "detail": event.detail.model_dump(mode="json")}))
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
        batch = sqs_event(event)
        batch["Records"][0].update(receiptHandle=message["ReceiptHandle"], eventSourceARN=arn)
        assert worker(batch, None, deps) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
        again = sqs.receive_message(QueueUrl=url).get("Messages", [])
        assert bool(again) is visible_again, delay
        for m in again:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
