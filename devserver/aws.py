"""AWS emulated in-process with moto, provisioned from the same catalogue as the deployed stack:
the bus, one rule per event route, SQS queues with DLQs and redrive, and a pump that plays the
outbox-relay schedule and the SQS event source mappings (partial batch failures included)."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from nova_bridge import catalogue

logger = logging.getLogger("devserver.aws")
REGION = "us-east-1"


@dataclass
class LocalQueue:
    route: catalogue.EventRoute
    url: str
    arn: str
    dlq_url: str


@dataclass
class LocalAws:
    bus_name: str
    prefix: str = "nova-local"
    queues: list[LocalQueue] = field(default_factory=list)
    _mock: Any = None

    def start(self) -> "LocalAws":
        import os

        from moto import mock_aws

        for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                           ("AWS_DEFAULT_REGION", REGION)):
            os.environ.setdefault(key, value)
        self._mock = mock_aws()
        self._mock.start()
        self.provision()
        return self

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=REGION)

    def provision(self) -> None:
        events, sqs = self.client("events"), self.client("sqs")
        events.create_event_bus(Name=self.bus_name)
        for route in catalogue.EVENT_ROUTES:
            dlq_url = sqs.create_queue(QueueName=f"{self.prefix}-{route.queue}-dlq")["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            url = sqs.create_queue(QueueName=f"{self.prefix}-{route.queue}", Attributes={
                "VisibilityTimeout": "2",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                             "maxReceiveCount": str(route.max_receive_count)}),
            })["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            rule = f"{self.prefix}-{route.queue}"
            events.put_rule(Name=rule, EventBusName=self.bus_name, EventPattern=json.dumps(
                {"source": [catalogue.EVENT_SOURCE], "detail-type": list(route.detail_types)}))
            events.put_targets(Rule=rule, EventBusName=self.bus_name, Targets=[{"Id": "queue", "Arn": arn}])
            self.queues.append(LocalQueue(route, url, arn, dlq_url))

    # --- the event source mappings ----------------------------------------------------------
    def poll_queue(self, queue: LocalQueue, handler: Any, wait: bool = False) -> int:
        """Receive one batch, invoke the worker with an SQS event, delete what succeeded."""
        sqs = self.client("sqs")
        got = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=min(queue.route.batch_size, 10),
                                  WaitTimeSeconds=1 if wait else 0, AttributeNames=["All"])
        messages = got.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs", "eventSourceARN": queue.arn, "awsRegion": REGION,
        } for m in messages]}
        try:
            result = handler(event, None)
            failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - a crashed invocation fails the whole batch, as in Lambda
            logger.exception("worker %s crashed", queue.route.worker)
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)


class EventPump(threading.Thread):
    """Runs the outbox relay and drains the queues into their workers until stopped."""

    def __init__(self, aws: LocalAws, relay: Any, worker_for: Any, interval: float = 0.2) -> None:
        super().__init__(name="event-pump", daemon=True)
        self.aws, self.relay, self.worker_for, self.interval = aws, relay, worker_for, interval
        self._stop_event = threading.Event()
        self._reported: set[str] = set()  # log a repeating failure once, not five times a second

    def _failed(self, what: str) -> None:
        import sys

        key = f"{what}:{sys.exc_info()[1]!r}"
        if key not in self._reported:
            self._reported.add(key)
            logger.exception("%s failed", what)

    def run_once(self) -> int:
        moved = 0
        try:
            self.relay()
        except Exception:  # noqa: BLE001 - keep pumping; the outbox keeps what failed
            self._failed("outbox relay")
        for queue in self.aws.queues:
            try:
                moved += self.aws.poll_queue(queue, self.worker_for(queue.route.worker))
            except Exception:  # noqa: BLE001
                self._failed(f"polling {queue.route.queue}")
        return moved

    def drain(self, max_rounds: int = 50) -> None:
        """Run until nothing moves (tests and the smoke check use this)."""
        for _ in range(max_rounds):
            if self.run_once() == 0:
                return

    def run(self) -> None:
        while not self._stop_event.is_set():
            if self.run_once() == 0:
                self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


def wait_until(predicate: Any, timeout: float = 5.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
