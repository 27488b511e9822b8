"""One Lambda function per catalogue function (Python 3.12, arm64), sharing two layers: the
bridge package (layers/core) and its dependencies (layers/deps, built with pip, no Docker)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from nova_bridge import catalogue

from infra import packaging
from infra.config import EnvironmentConfig, log_retention
from infra.events import WORKER_TIMEOUT, construct_name
from infra.network import Network


@dataclass(frozen=True)
class FunctionProfile:
    description: str
    timeout: Duration = Duration.seconds(15)
    in_vpc: bool = True  # needs the database or the private backends
    memory_mb: int | None = None  # None: the environment's default


# Every catalogue function must have a profile (checked below), so a new one cannot be forgotten.
PROFILES: dict[str, FunctionProfile] = {
    "monitors": FunctionProfile("Monitors API"),
    "alerts": FunctionProfile("Alerts API (acknowledge/resolve through GoAlert)", Duration.seconds(20)),
    "oncall": FunctionProfile("On-call API (GoAlert schedules and overrides)", Duration.seconds(20)),
    "status": FunctionProfile("Status API and public status pages"),
    "integration": FunctionProfile("Integration health, config, sync trigger and the OpenAPI document",
                                   Duration.seconds(20)),
    # Webhooks only check a secret and put an event: no VPC, so no cold-start ENI and no NAT hop.
    "webhooks": FunctionProfile("Kuma and GoAlert webhooks -> EventBridge", Duration.seconds(10), in_vpc=False),
    "sync_worker": FunctionProfile("Applies monitor/user/alert events to Kuma and GoAlert", WORKER_TIMEOUT),
    "notifier": FunctionProfile("Plans and delivers notifications (Comms, SES, SNS)", WORKER_TIMEOUT),
    "reconciler": FunctionProfile("Repairs drift between Nova, Kuma and GoAlert", Duration.minutes(5),
                                  memory_mb=1024),
    "outbox_relay": FunctionProfile("Publishes committed outbox rows to EventBridge", Duration.seconds(50)),
    "migrations": FunctionProfile("Applies database migrations (CloudFormation custom resource)",
                                  Duration.minutes(10)),
}
# What AWSLambdaVPCAccessExecutionRole grants, minus logging (scoped to the log group above).
VPC_NETWORK_INTERFACE_ACTIONS: tuple[str, ...] = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

# SnapStart needs published versions; API Gateway calls these through their `live` alias.
SNAPSTART: frozenset[str] = frozenset(catalogue.API_FUNCTIONS)

missing = set(catalogue.ALL_FUNCTIONS) - set(PROFILES)
if missing:
    raise RuntimeError(f"infra.functions.PROFILES lacks {sorted(missing)}")


class BridgeFunctions(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, network: Network,
                 environment: dict[str, str], bundle_dependencies: bool) -> None:
        super().__init__(scope, construct_id)
        self.core_layer = lambda_.LayerVersion(
            self, "CoreLayer", layer_version_name=f"{config.prefix}-core", code=packaging.core_layer_code(),
            compatible_runtimes=[packaging.RUNTIME], compatible_architectures=[packaging.ARCHITECTURE],
            description="nova_bridge package", removal_policy=RemovalPolicy.RETAIN,
        )
        self.deps_layer = lambda_.LayerVersion(
            self, "DepsLayer", layer_version_name=f"{config.prefix}-deps",
            code=packaging.dependency_layer_code(install=bundle_dependencies),
            compatible_runtimes=[packaging.RUNTIME], compatible_architectures=[packaging.ARCHITECTURE],
            description="layers/deps/requirements.txt (Powertools, pydantic, psycopg, httpx, socketio)",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.by_name: dict[str, lambda_.Function] = {}
        self.entry_points: dict[str, lambda_.IFunction] = {}  # what API Gateway invokes
        self.roles: dict[str, iam.Role] = {}
        for name in catalogue.ALL_FUNCTIONS:
            profile = PROFILES[name]
            function_name = f"{config.prefix}-{name.replace('_', '-')}"
            log_group = logs.LogGroup(
                self, f"{construct_name(name)}Logs", log_group_name=f"/aws/lambda/{function_name}",
                retention=log_retention(config.log_retention_days), removal_policy=RemovalPolicy.DESTROY,
            )
            role = self.roles[name] = self._role(name, log_group, in_vpc=profile.in_vpc)
            vpc_options = {}
            if profile.in_vpc:
                security_group = network.migrations_sg if name == "migrations" else network.functions_sg
                vpc_options = {"vpc": network.vpc, "vpc_subnets": network.app_subnets,
                               "security_groups": [security_group]}
            self.by_name[name] = lambda_.Function(
                self,
                construct_name(name),
                function_name=function_name,
                description=profile.description,
                runtime=packaging.RUNTIME,
                architecture=packaging.ARCHITECTURE,
                handler=packaging.HANDLER,
                code=packaging.function_code(name),
                layers=[self.core_layer, self.deps_layer],
                memory_size=profile.memory_mb or config.lambda_memory_mb,
                timeout=profile.timeout,
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group,
                role=role,
                logging_format=lambda_.LoggingFormat.JSON,
                environment={
                    **environment,
                    "POWERTOOLS_SERVICE_NAME": name,
                    "POWERTOOLS_METRICS_NAMESPACE": "NovaBridge",
                },
                **vpc_options,
                # API functions: SnapStart restores an initialized environment (imports done) instead of
                # paying ~0.5 s of imports per cold start; connections are opened lazily after restore.
                **({"snap_start": lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS} if name in SNAPSTART else {}),
            )
            function = self.by_name[name]
            self.entry_points[name] = function.add_alias("live") if name in SNAPSTART else function

    def _role(self, name: str, log_group: logs.LogGroup, *, in_vpc: bool) -> iam.Role:
        """Execution role without AWS managed policies: logs only to the function's own log group."""
        role = iam.Role(self, f"{construct_name(name)}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"Execution role of {name}")
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]))
        if in_vpc:
            # Lambda manages the function's network interfaces; these EC2 actions take no resource ARN.
            role.add_to_policy(iam.PolicyStatement(actions=list(VPC_NETWORK_INTERFACE_ACTIONS), resources=["*"]))
        return role

    def __getitem__(self, name: str) -> lambda_.Function:
        return self.by_name[name]

    def named(self, names: tuple[str, ...] | list[str]) -> dict[str, lambda_.Function]:
        return {name: self.by_name[name] for name in names}
