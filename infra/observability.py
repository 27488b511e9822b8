"""Alarms to an SNS topic (mailed to the environment's alarm address) and one dashboard."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.api import BridgeApi
from infra.config import EnvironmentConfig
from infra.events import EventRouting, construct_name

API_P95_LATENCY_MS = 200
FIVE_MINUTES = Duration.minutes(5)


class Observability(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        key = kms.Key(self, "AlarmKey", description=f"{config.prefix} alarm topic", enable_key_rotation=True)
        # CloudWatch publishes alarm notifications to the encrypted topic.
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.alarm_topic = sns.Topic(
            self, "AlarmTopic", topic_name=f"{config.prefix}-alarms", master_key=key, enforce_ssl=True,
        )
        self.alarm_topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: list[cw.Alarm] = []
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=config.prefix)

    def _alarm(self, construct_id: str, metric: cw.IMetric, *, threshold: float, description: str,
               periods: int = 1) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            alarm_name=f"{self.config.prefix}-{construct_id}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.alarm_topic))
        self.alarms.append(alarm)
        return alarm

    def watch_api(self, api: BridgeApi) -> None:
        errors = api.stage.metric_server_error(period=FIVE_MINUTES, statistic="Sum")
        latency = api.stage.metric_latency(period=FIVE_MINUTES, statistic="p95")
        self._alarm("api-5xx", errors, threshold=0, description="The API answered 5xx")
        self._alarm("api-p95-latency", latency, threshold=API_P95_LATENCY_MS, periods=3,
                    description=f"API p95 latency above {API_P95_LATENCY_MS} ms for 15 minutes")
        self.dashboard.add_widgets(
            cw.GraphWidget(title="API requests and 5xx", left=[api.stage.metric_count(period=FIVE_MINUTES), errors]),
            cw.GraphWidget(title="API p95 latency (ms)", left=[latency],
                           left_annotations=[cw.HorizontalAnnotation(value=API_P95_LATENCY_MS, label="SLO")]),
        )

    def watch_functions(self, functions: dict[str, lambda_.Function]) -> None:
        for name, function in functions.items():
            self._alarm(f"{name.replace('_', '-')}-errors", function.metric_errors(period=FIVE_MINUTES),
                        threshold=0, description=f"{name} raised errors")
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Function errors", width=12,
                           left=[f.metric_errors(period=FIVE_MINUTES, label=n) for n, f in functions.items()]),
            cw.GraphWidget(title="Function p95 duration (ms)", width=12,
                           left=[f.metric_duration(period=FIVE_MINUTES, statistic="p95", label=n)
                                 for n, f in functions.items()]),
        )

    def watch_queues(self, routing: EventRouting) -> None:
        ages, depths = [], []
        for routed in routing.routed:
            name = routed.route.queue
            depth = routed.dlq.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum")
            age = routed.queue.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic="Maximum")
            self._alarm(f"{name}-dlq-depth", depth, threshold=0, description=f"Messages in the {name} DLQ")
            self._alarm(f"{name}-message-age", age, threshold=self.config.queue_age_alarm_seconds,
                        description=f"{name} messages wait over {self.config.queue_age_alarm_seconds} s")
            depths.append(depth.with_(label=construct_name(name)))
            ages.append(age.with_(label=construct_name(name)))
        undeliverable = routing.undeliverable.metric_approximate_number_of_messages_visible(
            period=FIVE_MINUTES, statistic="Maximum")
        self._alarm("undeliverable-events", undeliverable, threshold=0,
                    description="EventBridge could not deliver events to a queue")
        self.dashboard.add_widgets(
            cw.GraphWidget(title="DLQ depth", width=12, left=[*depths, undeliverable]),
            cw.GraphWidget(title="Oldest message age (s)", width=12, left=ages),
        )
