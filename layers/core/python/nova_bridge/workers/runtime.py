"""The worker runtime: SQS batches of EventBridge events, processed with partial batch failures.

Each event is recorded in `integration_events` (pending -> processing -> completed/failed, with
retries), keyed by its own event_id, so a redelivered or duplicated event is skipped once it has
completed. Retryable failures (a backend down) go back to the queue and, after the queue's
maxReceiveCount, to its DLQ; a rejection that no retry can fix is recorded as failed and
consumed, so it does not block the queue.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from nova_bridge.errors import BackendError, BridgeError
from nova_bridge.events import Event, parse_event

logger = logging.getLogger("nova_bridge.workers")

EventHandler = Callable[[Event, Any], None]

# What an integration_events row says about a delivery.
PROCESS, SKIP_DONE = "process", "skip"


class RetryLater(Exception):
    """Raised by a handler when the event must be retried (e.g. a dependency is not ready).
    `delay_seconds` asks for the retry no earlier than that (the message stays invisible that
    long), so a wait costs one delivery instead of many."""

    def __init__(self, message: str = "retry", delay_seconds: int | None = None) -> None:
        super().__init__(message)
        self.delay_seconds = delay_seconds


@dataclass
class Outcome:
    status: str  # completed | failed | skipped | retry
    error: str | None = None
    delay_seconds: int | None = None

# SQS keeps a message invisible for at most 12 hours.
MAX_VISIBILITY_SECONDS = 12 * 3600


def event_from_envelope(body: str | Mapping[str, Any]) -> Event:
    """An SQS body carries the EventBridge envelope ({"detail-type", "detail", ...})."""
    envelope = json.loads(body) if isinstance(body, str) else body
    return parse_event(envelope["detail-type"], envelope["detail"])


def _source_of(detail_type: str) -> str:
    if detail_type.startswith("monitor.") and detail_type.split(".")[1] in ("down", "up", "pending", "maintenance"):
        return "uptime_kuma"
    if detail_type.startswith(("alert.", "goalert.")):
        return "goalert"
    if detail_type.startswith("user."):
        return "nova_helix"
    return "nova"


def claim(db: Any, event: Event, targets: list[str], max_retries: int = 5) -> str:
    """Record the event and mark it processing; SKIP_DONE when it already completed."""
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO integration_events (id, tenant_id, event_type, source_service, target_services, payload,"
            " status, max_retries) VALUES (%s, %s, %s, %s, %s, %s, 'processing', %s)"
            " ON CONFLICT (id) DO UPDATE SET status = 'processing'"
            "   WHERE integration_events.status <> 'completed'"
            " RETURNING retry_count",
            (event.event_id, event.detail.tenant_id, event.detail_type, _source_of(event.detail_type), targets,
             Jsonb(event.detail.model_dump(mode="json")), max_retries)).fetchone()
    return PROCESS if row is not None else SKIP_DONE


def finish(db: Any, event: Event, error: str | None) -> None:
    with db.transaction() as conn:
        if error is None:
            conn.execute("UPDATE integration_events SET status = 'completed', processed_at = now(),"
                         " error_message = NULL WHERE id = %s", (event.event_id,))
        else:
            conn.execute("UPDATE integration_events SET status = 'failed', processed_at = now(),"
                         " retry_count = retry_count + 1, error_message = %s WHERE id = %s",
                         (error[:2000], event.event_id))


def process_event(db: Any, event: Event, handler: EventHandler, deps: Any, targets: list[str]) -> Outcome:
    if claim(db, event, targets) == SKIP_DONE:
        return Outcome("skipped")
    try:
        handler(event, deps)
    except (RetryLater, BackendError) as exc:
        retryable = isinstance(exc, RetryLater) or exc.retryable
        finish(db, event, f"{type(exc).__name__}: {exc}")
        return Outcome("retry" if retryable else "failed", str(exc), getattr(exc, "delay_seconds", None))
    except BridgeError as exc:
        finish(db, event, f"{type(exc).__name__}: {exc}")
        return Outcome("failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - unknown errors are retried, then land in the DLQ
        logger.exception("event handler crashed", extra={"event_id": str(event.event_id)})
        finish(db, event, f"{type(exc).__name__}: {exc}")
        return Outcome("retry", str(exc))
    finish(db, event, None)
    return Outcome("completed")


class SqsWorker:
    """Lambda entry point of a worker: `lambda_handler = SqsWorker(name, handlers, deps_factory)`."""

    def __init__(self, name: str, handlers: Mapping[str, EventHandler], deps_factory: Callable[[], Any],
                 targets: list[str] | None = None) -> None:
        self.name = name
        self.handlers = dict(handlers)
        self.targets = targets or []
        self._deps_factory = deps_factory
        self._deps: Any = None

    def deps(self) -> Any:
        if self._deps is None:
            self._deps = self._deps_factory()
        return self._deps

    def handle_event(self, event: Event, deps: Any) -> Outcome:
        handler = self.handlers.get(event.detail_type)
        if handler is None:
            raise ValueError(f"{self.name} has no handler for {event.detail_type}")
        return process_event(deps.db, event, handler, deps, self.targets)

    def __call__(self, event: Mapping[str, Any], context: Any = None, deps: Any = None) -> dict[str, Any]:
        deps = deps if deps is not None else self.deps()
        counts: dict[str, int] = {}

        def record_handler(record: Any) -> None:
            outcome = self.handle_event(event_from_envelope(record.body), deps)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            if outcome.status == "retry":
                if outcome.delay_seconds:
                    postpone(record, outcome.delay_seconds, deps)
                raise RetryLater(outcome.error or "retry")

        try:
            return self._process(event, record_handler, context)
        finally:
            _emit_metrics(self.name, counts)

    def _process(self, event: Mapping[str, Any], record_handler: Callable, context: Any) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

        return process_partial_response(event=dict(event), record_handler=record_handler,
                                        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
                                        context=context)


def _emit_metrics(worker: str, counts: dict[str, int]) -> None:
    """CloudWatch metrics (embedded metric format) per outcome; the alarms watch EventsFailed."""
    if not counts:
        return
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="NovaMonitoring", service=worker)
    for status, n in counts.items():
        metrics.add_metric(name=f"Events{status.capitalize()}", unit=MetricUnit.Count, value=n)
    metrics.flush_metrics()


def postpone(record: Any, seconds: int, deps: Any) -> None:
    """Keep a failed message invisible for `seconds` before SQS delivers it again. Best effort: if
    this fails, the queue's own visibility timeout applies and the event is simply retried sooner."""
    try:
        _, _, _, region, account, name = record.event_source_arn.split(":", 5)
        client = getattr(deps, "sqs", None)
        if client is None:
            import boto3

            client = boto3.client("sqs", region_name=region)
        url = client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        client.change_message_visibility(QueueUrl=url, ReceiptHandle=record.receipt_handle,
                                         VisibilityTimeout=max(0, min(int(seconds), MAX_VISIBILITY_SECONDS)))
    except Exception:  # noqa: BLE001 - see the docstring
        logger.warning("could not postpone message %s", getattr(record, "message_id", "?"), exc_info=True)

