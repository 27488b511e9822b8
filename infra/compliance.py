"""cdk-nag acknowledgements: each names the finding, the narrowest construct it applies to and why.

Called at the end of NovaBridgeStack; the infra tests fail on any finding not acknowledged here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct
from nova_bridge import catalogue

from infra.packaging import RUNTIME

if TYPE_CHECKING:
    from infra.stack import NovaBridgeStack

ROUTE_WITHOUT_AUTHORIZER = {
    catalogue.PUBLIC: "Public by design (catalogue auth=public): anonymous status pages and the API's own docs.",
    catalogue.WEBHOOK: "Webhook from Uptime Kuma/GoAlert (catalogue auth=webhook), which cannot send a Nova Helix "
                       "token; the function checks the shared secret from Secrets Manager before doing anything.",
}


def acknowledge(construct: IConstruct, finding: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=finding, reason=reason))


def _default_policy(construct: IConstruct) -> IConstruct:
    return construct.node.find_child("DefaultPolicy").node.default_child


def acknowledge_findings(stack: NovaBridgeStack) -> None:
    config = stack.config
    for name, role in stack.functions.roles.items():
        acknowledge(
            _default_policy(role), "AwsSolutions-IAM5[Resource::*]",
            "Only X-Ray trace upload and Lambda's VPC network-interface actions use '*': neither service offers "
            "resource-level permissions for them (every other statement is scoped to an ARN).",
        )
        acknowledge(
            stack.functions[name].node.default_child, "AwsSolutions-L1",
            f"Runtime pinned to {RUNTIME.name} on purpose: the dependency layer is built for exactly this "
            "CPython version (pip --python-version), so both move together.",
        )
    acknowledge(
        _default_policy(stack.functions.roles["notifier"]), "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
        "Publishing to an SSE-KMS SNS topic needs kms:GenerateDataKey* (AWS SNS docs); scoped to the topic's key.",
    )

    migrations_id = stack.get_logical_id(stack.functions["migrations"].node.default_child)
    provider_role = stack.database.node.find_child("MigrationsProvider").node.find_child("framework-onEvent").role
    acknowledge(
        _default_policy(provider_role), f"AwsSolutions-IAM5[Resource::<{migrations_id}.Arn>:*]",
        "CDK's custom-resource Provider framework may invoke any version of the migrations function only.",
    )
    acknowledge(
        provider_role.node.default_child,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's custom-resource Provider framework function; it only logs and invokes the migrations function.",
    )
    log_retention = next(c for c in stack.node.children if c.node.id.startswith("LogRetention"))
    acknowledge(
        log_retention.node.find_child("ServiceRole").node.default_child,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's LogRetention function, which sets retention on the RDS log groups (created by RDS, not by CDK).",
    )
    acknowledge(
        _default_policy(log_retention.node.find_child("ServiceRole")), "AwsSolutions-IAM5[Resource::*]",
        "CDK's LogRetention function must set retention on log groups RDS names at runtime.",
    )

    for key, secret in (("Comms", stack.secrets.comms), ("GoAlert API", stack.secrets.goalert),
                        ("Kuma login", stack.secrets.kuma), ("Webhook", stack.secrets.webhooks),
                        ("GoAlert data encryption", stack.secrets.goalert_encryption_key)):
        acknowledge(
            secret.node.default_child, "AwsSolutions-SMG4",
            f"{key} secret is a credential held by a third-party system (Nova Comms, GoAlert, Kuma or the "
            "webhook senders): rotating it must change both sides, which is an operator runbook, not a rotation "
            "Lambda. Database credentials do rotate automatically.",
        )

    acknowledge(
        stack.events.undeliverable.node.default_child, "AwsSolutions-SQS3",
        "This queue is itself the dead-letter queue of the EventBridge rule targets.",
    )
    acknowledge(
        stack.backends.access_log_bucket.node.default_child, "AwsSolutions-S1",
        "This bucket receives the load balancers' access logs; logging access to the log bucket would recurse.",
    )
    for service in (stack.backends.goalert, stack.backends.kuma):
        acknowledge(
            service.task_definition.node.default_child, "AwsSolutions-ECS2",
            "Only non-secret settings (ports, hostnames, database type) are environment variables; passwords and "
            "keys come from Secrets Manager through the task definition's secrets.",
        )

    for route in catalogue.ROUTES:
        if route.auth != catalogue.JWT:
            acknowledge(stack.api.routes[route.route_key].node.default_child, "AwsSolutions-APIG4",
                        ROUTE_WITHOUT_AUTHORIZER[route.auth])

    if not config.deletion_protection:
        for database in (stack.database.cluster, stack.backends.kuma_db):
            acknowledge(database.node.default_child, "AwsSolutions-RDS10",
                        f"{config.name} is disposable; deletion protection is on in prod (cdk.json).")
    if not config.kuma_db_multi_az:
        acknowledge(stack.backends.kuma_db.node.default_child, "AwsSolutions-RDS3",
                    f"{config.name}: a single-AZ Kuma database is enough outside prod (Multi-AZ in prod).")
