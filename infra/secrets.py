"""Secrets Manager entries for the integrations: Nova Comms, GoAlert, Uptime Kuma, webhooks.

Values that the bridge can generate are generated; values issued by someone else (the Comms API
key, GoAlert API keys after bootstrap) start as placeholders an operator fills in.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from infra.config import EnvironmentConfig

PLACEHOLDER = "set-me"


class IntegrationSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.prefix = config.prefix
        self.removal = RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY
        # {"api_key": ...} issued by Nova Comms.
        self.comms = self._secret("Comms", "comms", "Nova Comms API key", template={"api_key": PLACEHOLDER})
        # GoAlert: the admin login the bootstrap uses; the bootstrap adds the API key (api_key, ...).
        self.goalert = self._secret(
            "Goalert", "goalert", "GoAlert admin login and API key",
            template={"username": "nova-bridge"}, generate="password",
        )
        # Kept apart from the API credentials: only the GoAlert task ever reads it.
        self.goalert_encryption_key = self._secret(
            "GoalertEncryptionKey", "goalert/data-encryption-key", "GoAlert --data-encryption-key",
        )
        self.kuma = self._secret(
            "Kuma", "kuma", "Uptime Kuma login of the bridge", template={"username": "nova-bridge"}, generate="password",
        )
        # The master secret of the webhooks: the Kuma header value, GoAlert's path token and the
        # alert-action link key are each derived from it (nova_bridge.adapters.webhook_auth).
        self.webhooks = self._secret(
            "Webhooks", "webhooks", "Master secret of the webhooks (Kuma header, GoAlert path, action links)",
            template={}, generate="webhook_secret",
        )

    def _secret(self, construct_id: str, name: str, description: str, *, template: dict | None = None,
                generate: str | None = None) -> sm.Secret:
        """A JSON secret: `template` fields plus a generated `generate` field; or a bare generated
        string when there is no template; or only the placeholder template when nothing is generated."""
        common = {"secret_name": f"{self.prefix}/{name}", "description": description, "removal_policy": self.removal}
        if template is not None and generate is None:
            values = {key: SecretValue.unsafe_plain_text(value) for key, value in template.items()}
            return sm.Secret(self, construct_id, secret_object_value=values, **common)
        generation = sm.SecretStringGenerator(
            password_length=48,
            exclude_punctuation=True,
            secret_string_template=json.dumps(template) if template is not None else None,
            generate_string_key=generate,
        )
        return sm.Secret(self, construct_id, generate_secret_string=generation, **common)

    @property
    def function_environment(self) -> dict[str, str]:
        return {
            "NOVA_COMMS_SECRET_ARN": self.comms.secret_arn,
            "GOALERT_SECRET_ARN": self.goalert.secret_arn,
            "KUMA_SECRET_ARN": self.kuma.secret_arn,
            "NOVA_WEBHOOK_SECRET_ARN": self.webhooks.secret_arn,
        }
