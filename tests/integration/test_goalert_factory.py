"""The GoAlert backend factory: credentials from the bootstrap's secret or the environment,
one cached backend per execution environment, one breaker shared by GraphQL and ingest."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from bench.alert_storm import PagingPipeline
from nova_bridge.adapters.goalert import factory
from nova_bridge.adapters.goalert.documents import operations_document
from nova_bridge.adapters.secrets import InMemorySecretStore
from nova_bridge.errors import BackendRejected, IntegrationNotConfigured
from nova_bridge.settings import Settings
from nova_bridge.workers.deps import WorkerDeps
from tests.conftest import http_monitor

URL = "http://goalert.internal:8081"


@pytest.fixture(autouse=True)
def no_goalert_env(monkeypatch):
    for name in ("GOALERT_API_KEY", "GOALERT_USERNAME", "GOALERT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def test_credentials_come_from_the_bootstrap_secret():
    store = InMemorySecretStore({"arn:goalert": {"url": URL, "api_key": "ey.key", "api_key_id": "k1",
                                                 "document_sha256": operations_document().sha256}})
    settings = replace(Settings(), goalert_url=None, goalert_secret_arn="arn:goalert")
    url, credentials = factory.resolve_credentials(settings, store)
    assert (url, credentials.api_key) == (URL, "ey.key")

    store.put("arn:goalert", {"url": URL, "api_key": "ey.old", "document_sha256": "0" * 64})
    with pytest.raises(BackendRejected, match="bootstrap"):
        factory.resolve_credentials(settings, store)
    with pytest.raises(IntegrationNotConfigured):
        factory.resolve_credentials(replace(settings, goalert_secret_arn="arn:empty"), store)


def test_credentials_from_the_environment(monkeypatch):
    settings = replace(Settings(), goalert_url=URL + "/")
    with pytest.raises(IntegrationNotConfigured):
        factory.resolve_credentials(settings)
    monkeypatch.setenv("GOALERT_USERNAME", "admin")
    monkeypatch.setenv("GOALERT_PASSWORD", "pw")
    assert factory.resolve_credentials(settings)[1].username == "admin"
    monkeypatch.setenv("GOALERT_API_KEY", "ey.local")
    url, credentials = factory.resolve_credentials(settings)
    assert (url, credentials.api_key) == (URL, "ey.local")


def test_backend_is_cached_and_shares_one_breaker(monkeypatch):
    monkeypatch.setenv("GOALERT_API_KEY", f"ey.{uuid.uuid4().hex}")
    settings = replace(Settings(), goalert_url=URL)
    backend = factory.goalert_backend(settings)
    assert factory.goalert_backend(settings) is backend
    assert backend.client.breaker is backend.ingest.breaker is backend.breaker


def test_worker_without_goalert_credentials_leaves_the_monitor_pending(database_url):
    pipe = PagingPipeline(database_url)
    try:
        code, body = pipe.call("POST", "/api/v2/monitoring/monitors", json_body=http_monitor(alerting={"enabled": True}))
        assert code == 201
        pipe.worker_deps = WorkerDeps(settings=replace(pipe.settings, goalert_url=URL), db=pipe.db,
                                      publisher=pipe.bus)  # the real factory: no credentials anywhere
        assert pipe.sync_monitor(uuid.UUID(body["id"])) is False
        assert pipe.monitor_row(uuid.UUID(body["id"]))["goalert_sync_state"] == "pending"
    finally:
        pipe.close()
