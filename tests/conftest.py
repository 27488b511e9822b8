"""Shared fixtures: a real PostgreSQL (embedded, or NOVA_TEST_DATABASE_URL), a fresh migrated
database per test cloned from a template, and API helpers that call the real handlers through
the same API Gateway emulation the local runner uses."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from devserver import gateway, pg
from nova_bridge.adapters import migrations
from nova_bridge.adapters.db import Database
from nova_bridge.api.deps import ApiDeps
from nova_bridge.settings import Settings

TEMPLATE_DB = "nova_test_template"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    # Not under pytest's tmp_path: pytest prunes old base dirs, which may belong to a concurrent run.
    data_dir = Path(tempfile.mkdtemp(prefix="nova-test-pg-")) / "data"
    url, server = pg.server_url(data_dir, os.environ.get("NOVA_TEST_DATABASE_URL"))
    if server is not None:  # a throwaway server: durability buys nothing here, speed does
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("ALTER SYSTEM SET full_page_writes = off")
            conn.execute("SELECT pg_reload_conf()")
    yield url
    if server is not None:
        server.cleanup()
        shutil.rmtree(data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def template_url(pg_server_url) -> str:
    url = pg.create_database(pg_server_url, TEMPLATE_DB, replace=True)
    migrations.apply(url)
    return url


@pytest.fixture
def database_url(pg_server_url, template_url) -> str:
    name = f"nova_test_{uuid.uuid4().hex[:12]}"
    url = pg.create_database(pg_server_url, name, template=TEMPLATE_DB)
    yield url
    pg.drop_database(pg_server_url, name)


@pytest.fixture
def settings(database_url) -> Settings:
    return replace(Settings(), database_url=database_url)


@pytest.fixture
def db(settings):
    database = Database(settings.database_url)
    yield database
    database.close()


@pytest.fixture
def deps(settings, db) -> ApiDeps:
    return ApiDeps(settings=settings, db=db)


@dataclass
class ApiResult:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def claims_for(role: str, tenant: str = "tenant-a", user: str | None = None) -> dict[str, str]:
    user = user or f"user-{role}"
    return {"sub": user, "tenant_id": tenant, "role": role, "email": f"{user}@example.test", "name": user}


class Api:
    """Calls handlers exactly as API Gateway would for a request."""

    def __init__(self, deps: Any) -> None:
        self.deps = deps

    def call(self, method: str, path: str, *, role: str | None = "admin", tenant: str = "tenant-a",
             user: str | None = None, json_body: Any = None, body: bytes | None = None, query: str = "",
             headers: dict[str, str] | None = None) -> ApiResult:
        route, params, exists = gateway.match_route(method, path)
        assert route is not None, f"no route for {method} {path}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {"content-type": "application/json", **(headers or {})}
        claims = claims_for(role, tenant, user) if role and route.auth == "jwt" else None
        event = gateway.build_event(route, path, params, query=query, headers=headers, body=body, claims=claims)
        out = gateway.invoke(route, event, self.deps)
        return ApiResult(out["statusCode"], out.get("headers", {}), out.get("body", ""))


@pytest.fixture
def api(deps) -> Api:
    return Api(deps)


def http_monitor(name: str = "Website", **overrides: Any) -> dict[str, Any]:
    return {"name": name, "type": "http", "url": "https://example.com/health", **overrides}


def sqs_event(*events) -> dict:
    """The SQS batch Lambda receives when EventBridge delivered `events` to a queue."""
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "attributes": {},
                         "body": json.dumps({"detail-type": e.detail_type, "source": e.source,
                                             "detail": e.detail.model_dump(mode="json")})}
                        for i, e in enumerate(events)]}
