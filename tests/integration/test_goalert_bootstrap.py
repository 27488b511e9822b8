"""The API-key bootstrap stores a working key in Secrets Manager (moto) and rotates it when the
operations document changes."""

from __future__ import annotations

import hashlib
import json

import boto3
import pytest
from moto import mock_aws

from nova_bridge.adapters.goalert import bootstrap as bootstrap_module
from nova_bridge.adapters.goalert import client as client_module
from nova_bridge.adapters.goalert.bootstrap import bootstrap_api_key, credentials_from_secret, main
from nova_bridge.adapters.goalert.client import GoAlertClient
from nova_bridge.adapters.goalert.documents import OperationsDocument, operations_document
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.adapters.secrets import InMemorySecretStore, SecretsManagerStore
from nova_bridge.errors import BackendRejected, IntegrationNotConfigured
from tests.fakes.goalert_server import FakeGoAlert

SECRET_ID = "nova/test/goalert"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")


@pytest.fixture
def fake() -> FakeGoAlert:
    return FakeGoAlert()


def run(fake: FakeGoAlert, store, **kw):
    return bootstrap_api_key(fake.public_url, "admin", "admin-password", store, secret_id=SECRET_ID,
                             transport=fake.transport(), **kw)


def client_from(fake: FakeGoAlert, secret: dict) -> GoAlertClient:
    return GoAlertClient(secret["url"], credentials=credentials_from_secret(secret), transport=fake.transport(),
                         breaker=CircuitBreaker("goalert-bootstrap-test"))


def test_bootstrap_stores_a_working_key_in_secrets_manager(aws, fake):
    result = run(fake, SecretsManagerStore(region_name="eu-west-1"))
    secret = json.loads(aws.get_secret_value(SecretId=SECRET_ID)["SecretString"])
    assert result.action == "created"
    assert set(secret) >= {"url", "api_key", "document_sha256", "created_at"}
    assert secret["document_sha256"] == operations_document().sha256 == result.document_sha256
    assert secret["api_key_id"] == result.api_key_id
    key = fake.store.api_keys[result.api_key_id]
    assert key["query"] == operations_document().text and key["role"] == "admin"
    assert key["name"] == f"nova-bridge-{operations_document().sha256[:12]}"
    assert client_from(fake, secret).ping().ok


def test_second_run_keeps_a_working_key(aws, fake):
    store = SecretsManagerStore(region_name="eu-west-1")
    first = run(fake, store)
    second = run(fake, store)
    assert second.action == "unchanged" and second.api_key_id == first.api_key_id
    assert len(fake.store.api_keys) == 1


def test_document_change_rotates_the_key(aws, fake, monkeypatch):
    store = SecretsManagerStore(region_name="eu-west-1")
    first = run(fake, store)
    old_secret = store.get(SECRET_ID)

    text = operations_document().text + "\n# v2: a new operation would go here\n"
    changed = OperationsDocument(text, hashlib.sha256(text.encode()).hexdigest(),
                                 operations_document().operation_names)
    for module in (bootstrap_module, client_module):
        monkeypatch.setattr(module, "operations_document", lambda: changed)

    with pytest.raises(BackendRejected, match="another operations document"):
        credentials_from_secret(old_secret)
    second = run(fake, store)
    secret = store.get(SECRET_ID)
    assert second.action == "rotated" and second.api_key_id != first.api_key_id
    assert secret["document_sha256"] == changed.sha256
    assert list(fake.store.api_keys) == [second.api_key_id]  # the old key is deleted
    assert client_from(fake, secret).ping().ok


def test_a_revoked_key_is_replaced(fake):
    store = InMemorySecretStore()
    first = run(fake, store)
    del fake.store.api_keys[first.api_key_id]
    second = run(fake, store)
    assert second.action == "rotated" and second.api_key_id != first.api_key_id
    assert client_from(fake, store.get(SECRET_ID)).ping().ok


def test_bootstrap_can_enable_webhooks(fake):
    run(fake, InMemorySecretStore(), webhook_allowed_urls=["https://bridge.example/webhooks/goalert/"])
    assert fake.store.config["Webhook.Enable"] == "true"
    assert fake.store.config["Webhook.AllowedURLs"] == "https://bridge.example/webhooks/goalert/"


def test_wrong_admin_password_stores_nothing(fake):
    store = InMemorySecretStore()
    with pytest.raises(BackendRejected):
        bootstrap_api_key(fake.public_url, "admin", "nope", store, secret_id=SECRET_ID, transport=fake.transport())
    assert store.get(SECRET_ID) is None


def test_cli_never_prints_the_token(aws, fake, capsys, caplog):
    with fake.serve() as base_url:
        code = main(["--url", base_url, "--username", "admin", "--password", "admin-password",
                     "--secret-id", SECRET_ID, "--region", "eu-west-1"])
    assert code == 0
    token = json.loads(aws.get_secret_value(SecretId=SECRET_ID)["SecretString"])["api_key"]
    captured = capsys.readouterr()
    assert json.loads(captured.out)["action"] == "created"
    assert token not in captured.out + captured.err + caplog.text


def test_secrets_manager_store_round_trip(aws):
    store = SecretsManagerStore(region_name="eu-west-1")
    assert store.get("missing") is None
    store.put("s", {"a": 1})
    store.put("s", {"a": 2})
    assert store.get("s") == {"a": 2}


def test_bootstrap_keeps_what_the_deployed_secret_already_holds():
    with mock_aws():
        store = SecretsManagerStore(region_name="eu-west-1")
        store.put("nova/goalert", {"username": "admin", "password": "admin-password"})
        with pytest.raises(IntegrationNotConfigured):
            credentials_from_secret(store.get("nova/goalert"))  # before the bootstrap: a 503, not a crash
        fake = FakeGoAlert()
        bootstrap_api_key(fake.public_url, "admin", "admin-password", store, secret_id="nova/goalert",
                          transport=fake.transport())
        secret = store.get("nova/goalert")
        assert secret["username"] == "admin" and secret["password"] == "admin-password" and secret["api_key"]
        assert credentials_from_secret(secret).api_key == secret["api_key"]
