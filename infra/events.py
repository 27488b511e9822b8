"""EventBridge bus (with an archive for replay), and per catalogue EventRoute: a rule on its
detail-types, an SQS queue with a DLQ, and the worker's event source mapping."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from nova_bridge import catalogue

from infra.config import EnvironmentConfig

DLQ_RETENTION = Duration.days(14)
# SQS wants the visibility timeout to cover six function timeouts (Lambda's guidance).
WORKER_TIMEOUT = Duration.seconds(60)
WORKER_VISIBILITY_TIMEOUT = Duration.seconds(WORKER_TIMEOUT.to_seconds() * 6)


def construct_name(name: str) -> str:
    """"monitor-sync" / "sync_worker" -> "MonitorSync" / "SyncWorker"."""
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


@dataclass(frozen=True)
class RoutedQueue:
    route: catalogue.EventRoute
    queue: sqs.Queue
    dlq: sqs.Queue
    rule: events.Rule


class EventRouting(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.bus = events.EventBus(self, "Bus", event_bus_name=config.prefix)
        self.archive = self.bus.archive(
            "Archive",
            archive_name=f"{config.prefix}-all",
            description="Every bridge event, for replay",
            event_pattern=events.EventPattern(source=[catalogue.EVENT_SOURCE]),
            retention=Duration.days(config.event_archive_retention_days),
        )
        # Events EventBridge could not deliver to a queue land here instead of being dropped.
        self.undeliverable = self._queue("Undeliverable", f"{config.prefix}-undeliverable", dlq=None)
        self.routed: list[RoutedQueue] = [self._route(route) for route in catalogue.EVENT_ROUTES]

    def _queue(self, construct_id: str, name: str, *, dlq: sqs.IQueue | None, fifo: bool = False,
               visibility: Duration | None = None, max_receive_count: int = 5) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            queue_name=f"{name}.fifo" if fifo else name,
            fifo=fifo or None,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION if dlq is None else Duration.days(4),
            visibility_timeout=visibility,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=max_receive_count) if dlq else None,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _route(self, route: catalogue.EventRoute) -> RoutedQueue:
        name = construct_name(route.queue)
        physical = f"{self.config.prefix}-{route.queue}"
        dlq = self._queue(f"{name}Dlq", f"{physical}-dlq", dlq=None, fifo=route.fifo)
        queue = self._queue(
            f"{name}Queue", physical, dlq=dlq, fifo=route.fifo,
            visibility=WORKER_VISIBILITY_TIMEOUT, max_receive_count=route.max_receive_count,
        )
        rule = events.Rule(
            self,
            f"{name}Rule",
            rule_name=physical,
            event_bus=self.bus,
            description=f"{', '.join(route.detail_types)} -> {route.queue} -> {route.worker}",
            event_pattern=events.EventPattern(source=[catalogue.EVENT_SOURCE], detail_type=list(route.detail_types)),
            targets=[targets.SqsQueue(queue, dead_letter_queue=self.undeliverable, retry_attempts=8,
                                      max_event_age=Duration.hours(24))],
        )
        return RoutedQueue(route, queue, dlq, rule)

    def connect_workers(self, workers: dict[str, lambda_.Function]) -> None:
        """Each worker consumes its queues and reports per-message failures."""
        for routed in self.routed:
            workers[routed.route.worker].add_event_source(
                sources.SqsEventSource(
                    routed.queue,
                    batch_size=routed.route.batch_size,
                    report_batch_item_failures=True,
                    max_batching_window=None if routed.route.fifo else Duration.seconds(1),
                )
            )

    def schedule(self, functions: dict[str, lambda_.Function]) -> list[events.Rule]:
        """Scheduled functions (reconciler, outbox relay) on the default bus, per the catalogue."""
        return [
            events.Rule(
                self,
                f"{construct_name(name)}Schedule",
                rule_name=f"{self.config.prefix}-{name.replace('_', '-')}",
                description=f"Runs {name} {expression}",
                schedule=events.Schedule.expression(expression),
                targets=[targets.LambdaFunction(functions[name], retry_attempts=0)],
            )
            for name, expression in catalogue.SCHEDULES.items()
        ]

    def grant_put_events(self, function: lambda_.IFunction) -> None:
        self.bus.grant_put_events_to(function)
