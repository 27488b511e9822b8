"""One stage per environment; its stack wires the concerns together and grants each function
exactly what it uses."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack, Stage, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from nova_bridge import catalogue

from infra.api import BridgeApi
from infra.backends import Backends
from infra.compliance import acknowledge_findings
from infra.config import PROJECT, EnvironmentConfig
from infra.data import Database
from infra.events import EventRouting
from infra.functions import BridgeFunctions
from infra.network import Network
from infra.notifications import Notifications
from infra.observability import Observability
from infra.secrets import IntegrationSecrets

# What each function may touch. "db": IAM login to the RDS Proxy; "goalert"/"kuma"/"comms"/
# "webhook-secrets": read that secret; "put-events": publish to the bus; "send": SES + fallback
# SNS topic; "invoke-reconciler": start a reconciliation run. The migrations function gets the
# database admin secrets from infra.data instead.
FUNCTION_ACCESS: dict[str, frozenset[str]] = {
    "monitors": frozenset({"db"}),
    "alerts": frozenset({"db", "goalert"}),
    "oncall": frozenset({"db", "goalert"}),
    "status": frozenset({"db"}),
    "integration": frozenset({"db", "goalert", "kuma", "invoke-reconciler"}),
    "webhooks": frozenset({"webhook-secrets", "put-events"}),
    # Attaches the bridge's webhook (and its secret) to the Kuma monitors and GoAlert users it creates.
    "sync_worker": frozenset({"db", "goalert", "kuma", "webhook-secrets"}),
    "notifier": frozenset({"db", "comms", "send", "webhook-secrets"}),  # signs the alert-action links
    "reconciler": frozenset({"db", "goalert", "kuma", "webhook-secrets"}),
    "outbox_relay": frozenset({"db", "put-events"}),
    "migrations": frozenset(),
}


class NovaBridgeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig,
                 bundle_dependencies: bool = True, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.network = Network(self, "Network", config=config)
        self.secrets = IntegrationSecrets(self, "Secrets", config=config)
        self.database = Database(self, "Data", config=config, network=self.network)
        self.events = EventRouting(self, "Events", config=config)
        self.notifications = Notifications(self, "Notifications", config=config)
        self.backends = Backends(self, "Backends", config=config, network=self.network, database=self.database,
                                 secrets=self.secrets)
        self.api = BridgeApi(self, "Api", config=config)

        self.functions = BridgeFunctions(
            self, "Functions", config=config, network=self.network,
            environment=self._function_environment(), bundle_dependencies=bundle_dependencies,
        )
        self.functions["integration"].add_environment(
            "NOVA_RECONCILER_FUNCTION_NAME", self.functions["reconciler"].function_name)
        self.functions["migrations"].add_environment("NOVA_DB_ADMIN_SECRET_ARN", self.database.admin_secret.secret_arn)
        self.functions["migrations"].add_environment("NOVA_DB_WRITER_HOST", self.database.cluster.cluster_endpoint.hostname)
        for name, access in FUNCTION_ACCESS.items():
            self._grant(self.functions[name], access)

        self.api.add_catalogue_routes({name: self.functions.entry_points[name] for name in catalogue.API_FUNCTIONS})
        self.events.connect_workers(self.functions.named(catalogue.WORKER_FUNCTIONS))
        self.events.schedule(self.functions.named(tuple(catalogue.SCHEDULES)))
        self.migrations = self.database.apply_migrations_on_deploy(self.functions["migrations"])

        self.observability = Observability(self, "Observability", config=config)
        self.observability.watch_api(self.api)
        self.observability.watch_functions(self.functions.by_name)
        self.observability.watch_queues(self.events)

        CfnOutput(self, "ApiUrl", value=self.api.url)
        CfnOutput(self, "EventBusName", value=self.events.bus.event_bus_name)
        CfnOutput(self, "GoalertUrl", value=self.backends.goalert_url)
        CfnOutput(self, "KumaUrl", value=self.backends.kuma_url)
        untaggable = ["AWS::RDS::DBProxyTargetGroup"]  # CloudFormation refuses Tags there
        Tags.of(self).add("project", PROJECT, exclude_resource_types=untaggable)
        Tags.of(self).add("environment", config.name, exclude_resource_types=untaggable)
        acknowledge_findings(self)

    def _function_environment(self) -> dict[str, str]:
        config = self.config
        claims = {f"NOVA_JWT_CLAIM_{name.upper()}": claim for name, claim in config.jwt_claims.items()}
        return {
            "NOVA_ENV": config.name,
            "NOVA_EVENT_BUS_NAME": self.events.bus.event_bus_name,
            "NOVA_PUBLIC_URL": config.public_url or self.api.url.rstrip("/"),
            "NOVA_COMMS_URL": config.comms_url,
            **self.database.function_environment,
            **self.secrets.function_environment,
            **self.backends.function_environment,
            **self.notifications.function_environment,
            **claims,
        }

    def _grant(self, function: lambda_.Function, access: frozenset[str]) -> None:
        secrets = {"goalert": self.secrets.goalert, "kuma": self.secrets.kuma, "comms": self.secrets.comms,
                   "webhook-secrets": self.secrets.webhooks}
        for item in sorted(access):
            if item == "db":
                self.database.grant_connect(function)
            elif item in secrets:
                secrets[item].grant_read(function)
            elif item == "put-events":
                self.events.grant_put_events(function)
            elif item == "send":
                self.notifications.grant_send(function)
            elif item == "invoke-reconciler":
                # Only the function itself: grant_invoke would add every version and alias (ARN:*).
                function.add_to_role_policy(iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[self.functions["reconciler"].function_arn]))
            else:
                raise ValueError(f"unknown access {item!r}")


class NovaBridgeStage(Stage):
    """`<env>` stage holding the `<env>-nova-bridge` stack (physical names prefixed `nova-bridge-<env>`)."""

    def __init__(self, scope: Construct, config: EnvironmentConfig, *, bundle_dependencies: bool = True) -> None:
        env = Environment(account=config.account, region=config.region) if config.account or config.region else None
        super().__init__(scope, config.name, env=env)
        self.stack = NovaBridgeStack(
            self, "NovaBridge", stack_name=f"{config.name}-{PROJECT}", config=config,
            bundle_dependencies=bundle_dependencies,
            description=f"Nova monitoring bridge ({config.name})",
            termination_protection=config.is_prod,
        )
