"""Fallback delivery when Nova Comms fails: SES for email, SNS for SMS (by phone number) and push
(by platform endpoint ARN). boto3 is imported only when a fallback is actually used, so the
notifier's cold start does not pay for it on the normal path through Comms.

Configuration comes from the environment the infrastructure sets on the notifier
(`NOVA_SES_SENDER`, `NOVA_SES_CONFIGURATION_SET`); SMS and push go straight to the user's number or
endpoint, so the infrastructure's fallback topic is not used for them.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any

from nova_bridge.errors import BackendRejected, BackendUnavailable

# Error codes that mean "this request will never be accepted" rather than "try again later".
_REJECTIONS = {
    "MessageRejected", "MailFromDomainNotVerifiedException", "ConfigurationSetDoesNotExistException",
    "InvalidParameter", "InvalidParameterValue", "InvalidParameterException", "ValidationError",
    "EndpointDisabled", "EndpointDisabledException", "NotFound", "NotFoundException", "AuthorizationError",
    "OptedOut", "AccessDenied", "AccessDeniedException",
}


@dataclass(frozen=True)
class FallbackConfig:
    ses_sender: str | None = None
    ses_configuration_set: str | None = None
    region_name: str | None = None

    @classmethod
    def from_env(cls) -> "FallbackConfig":
        def env(name: str) -> str | None:
            return os.environ.get(name) or None

        return cls(env("NOVA_SES_SENDER"), env("NOVA_SES_CONFIGURATION_SET"))


def _botocore_config() -> Any:
    from botocore.config import Config

    # A page should not hang on a slow AWS call; one standard retry for throttling.
    return Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard", "max_attempts": 2})


class _LazyClient:
    """A boto3 client made on first use (boto3 costs ~200 ms of cold start)."""

    def __init__(self, service: str, client: Any, region_name: str | None) -> None:
        self._service, self._client, self._region = service, client, region_name
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3

                self._client = boto3.client(self._service, region_name=self._region, config=_botocore_config())
            return self._client

    def call(self, backend: str, operation: str, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = f"{operation} failed: {code}: {exc.response.get('Error', {}).get('Message', '')}"
            if code in _REJECTIONS:
                raise BackendRejected(backend, message, code=code) from exc
            raise BackendUnavailable(backend, message, code=code) from exc
        except BotoCoreError as exc:  # connection errors, timeouts, missing credentials
            raise BackendUnavailable(backend, f"{operation} failed: {type(exc).__name__}: {exc}") from exc


class SesEmailSender:
    BACKEND = "ses"

    def __init__(self, config: FallbackConfig, client: Any = None) -> None:
        self.config = config
        self._ses = _LazyClient("ses", client, config.region_name)

    def send(self, to: str, subject: str, text: str, html: str) -> str:
        if not self.config.ses_sender:
            raise BackendRejected(self.BACKEND, "No SES sender is configured (NOVA_SES_SENDER).")
        params: dict[str, Any] = {
            "Source": self.config.ses_sender,
            "Destination": {"ToAddresses": [to]},
            "Message": {"Subject": {"Data": subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": text, "Charset": "UTF-8"},
                                 "Html": {"Data": html, "Charset": "UTF-8"}}},
        }
        if self.config.ses_configuration_set:
            params["ConfigurationSetName"] = self.config.ses_configuration_set
        return self._ses.call(self.BACKEND, "send_email", **params)["MessageId"]


class SnsSender:
    BACKEND = "sns"

    def __init__(self, config: FallbackConfig, client: Any = None) -> None:
        self.config = config
        self._sns = _LazyClient("sns", client, config.region_name)

    def send_sms(self, phone: str, text: str, *, urgent: bool) -> str:
        # Transactional SMS are delivered with the higher reliability an alert needs.
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String",
                                              "StringValue": "Transactional" if urgent else "Promotional"}}
        return self._sns.call(self.BACKEND, "publish", PhoneNumber=phone, Message=text,
                              MessageAttributes=attributes)["MessageId"]

    def send_push(self, endpoint_arn: str, title: str, text: str) -> str:
        # The "default" entry is what every platform gets unless it has its own entry.
        message = json.dumps({"default": text, "GCM": json.dumps({"notification": {"title": title, "body": text}}),
                              "APNS": json.dumps({"aps": {"alert": {"title": title, "body": text}}})})
        return self._sns.call(self.BACKEND, "publish", TargetArn=endpoint_arn, Message=message,
                              MessageStructure="json")["MessageId"]
