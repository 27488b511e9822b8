"""Fallback delivery when Nova Comms fails: SNS for SMS/push, SES for email."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import EnvironmentConfig


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.key = kms.Key(self, "Key", description=f"{config.prefix} notification topics", enable_key_rotation=True)
        self.fallback_topic = sns.Topic(
            self, "FallbackTopic", topic_name=f"{config.prefix}-notify-fallback",
            display_name="Nova alert", master_key=self.key, enforce_ssl=True,
        )
        self.configuration_set = ses.ConfigurationSet(
            self, "ConfigurationSet", configuration_set_name=f"{config.prefix}-alerts",
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            reputation_metrics=True,
        )
        identity = (
            ses.Identity.email(config.ses_identity) if "@" in config.ses_identity
            else ses.Identity.domain(config.ses_identity)
        )
        self.email_identity = ses.EmailIdentity(
            self, "EmailIdentity", identity=identity, configuration_set=self.configuration_set,
        )

    @property
    def function_environment(self) -> dict[str, str]:
        return {
            "NOVA_SNS_FALLBACK_TOPIC_ARN": self.fallback_topic.topic_arn,
            "NOVA_SES_CONFIGURATION_SET": self.configuration_set.configuration_set_name,
            "NOVA_SES_SENDER": self.config.sender_address,
        }

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """Publish to the fallback topic and send email from this identity with this configuration set."""
        self.fallback_topic.grant_publish(grantee)
        stack = Stack.of(self)
        identity_arn = stack.format_arn(service="ses", resource="identity", resource_name=self.email_identity.email_identity_name)
        configuration_set_arn = stack.format_arn(
            service="ses", resource="configuration-set", resource_name=self.configuration_set.configuration_set_name,
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[identity_arn, configuration_set_arn],
                conditions={"StringEquals": {"ses:FromAddress": self.config.sender_address}},
            )
        )
