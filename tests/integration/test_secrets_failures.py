"""Secrets Manager failures become the bridge's backend errors, so callers answer 503/502 problems
or retry, never crash with a botocore exception."""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from nova_bridge.adapters.secrets import SecretsManagerStore
from nova_bridge.errors import BackendProtocolError, BackendRejected, BackendUnavailable


def client(endpoint: str | None = None):
    return boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                        endpoint_url=endpoint, config=Config(connect_timeout=0.5, read_timeout=0.5,
                                                             retries={"max_attempts": 1}))


def test_unreachable_endpoint_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BackendUnavailable):
        SecretsManagerStore(client(f"http://127.0.0.1:{port}")).get("nova/webhooks")


@pytest.mark.parametrize("code, status, error", [
    ("InternalServiceError", 500, BackendUnavailable),
    ("ThrottlingException", 400, BackendUnavailable),
    ("AccessDeniedException", 400, BackendRejected),
    ("DecryptionFailure", 400, BackendRejected),
])
def test_service_errors_are_mapped(code, status, error):
    sm = client()
    with Stubber(sm) as stub:
        stub.add_client_error("get_secret_value", service_error_code=code, http_status_code=status)
        with pytest.raises(error) as info:
            SecretsManagerStore(sm).get("nova/webhooks")
    assert info.value.backend == "secretsmanager"


def test_missing_secret_is_none_and_malformed_is_a_protocol_error():
    sm = client()
    with Stubber(sm) as stub:
        stub.add_client_error("get_secret_value", service_error_code="ResourceNotFoundException",
                              http_status_code=400)
        stub.add_response("get_secret_value", {"Name": "nova/webhooks", "SecretString": "not json"})
        stub.add_response("get_secret_value", {"Name": "nova/webhooks", "SecretString": "[1, 2]"})
        store = SecretsManagerStore(sm)
        assert store.get("nova/webhooks") is None
        for _ in range(2):
            with pytest.raises(BackendProtocolError):
                store.get("nova/webhooks")
