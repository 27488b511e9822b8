"""Migrations apply to an empty database, are re-runnable, and refuse edited history."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from devserver import pg
from nova_bridge.adapters import migrations

PLAN_TABLES = {"monitoring_user_mappings", "integration_configurations", "service_health_status",
               "integration_events"}
FLOW_TABLES = {"tenants", "monitors", "alerts", "incidents", "incident_updates", "notification_preferences",
               "notification_log", "status_subscribers", "audit_log", "outbox", "idempotency_keys"}


@pytest.fixture
def empty_db(pg_server_url):
    name = f"nova_empty_{uuid.uuid4().hex[:8]}"
    url = pg.create_database(pg_server_url, name)
    yield url
    pg.drop_database(pg_server_url, name)


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_apply_to_empty_then_rerun(empty_db):
    applied = migrations.apply(empty_db)
    assert applied == [f"{m.version:04d}_{m.name}" for m in migrations.available()]
    assert PLAN_TABLES | FLOW_TABLES | {"schema_migrations"} <= tables(empty_db)
    assert migrations.apply(empty_db) == []


def test_edited_migration_is_refused(empty_db, monkeypatch):
    migrations.apply(empty_db)
    original = migrations.available()
    edited = [migrations.Migration(m.version, m.name, m.sql + "\n-- edited") for m in original]
    monkeypatch.setattr(migrations, "available", lambda: edited)
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        migrations.apply(empty_db)


def test_failed_migration_rolls_back_whole(empty_db, monkeypatch):
    good = migrations.available()
    bad = good + [migrations.Migration(9999, "broken", "CREATE TABLE half_done (id int); SELECT * FROM nowhere;")]
    monkeypatch.setattr(migrations, "available", lambda: bad)
    with pytest.raises(psycopg.errors.UndefinedTable):
        migrations.apply(empty_db)
    assert "half_done" not in tables(empty_db)
    with psycopg.connect(empty_db) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in good]


def test_deploy_custom_resource_provisions_idempotently(pg_server_url, monkeypatch):
    from functions.migrations import handler

    suffix = uuid.uuid4().hex[:8]
    names = {"DatabaseName": f"nova_bridge_{suffix}", "AppUser": f"nova_app_{suffix}",
             "GoalertDatabase": f"goalert_{suffix}", "GoalertSecretArn": "arn:goalert"}
    monkeypatch.setenv("NOVA_DATABASE_ADMIN_URL", pg_server_url)
    monkeypatch.setattr(handler, "_secret", lambda arn: {"username": f"goalert_{suffix}", "password": "pw'; --"})
    try:
        first = handler.lambda_handler({"RequestType": "Create", "ResourceProperties": names}, None)
        again = handler.lambda_handler({"RequestType": "Update", "ResourceProperties": names}, None)
        assert first["Data"]["Applied"] != "none" and again["Data"]["Applied"] == "none"
        bridge = pg.database_url(pg_server_url, names["DatabaseName"])
        assert PLAN_TABLES <= tables(bridge)
        with psycopg.connect(bridge) as conn:
            can_write = conn.execute("SELECT has_table_privilege(%s, 'monitors', 'INSERT')",
                                     (names["AppUser"],)).fetchone()[0]
            owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                                 (names["GoalertDatabase"],)).fetchone()[0]
        assert can_write and owner == f"goalert_{suffix}"
        deleted = handler.lambda_handler({"RequestType": "Delete", "PhysicalResourceId": "nova-migrations"}, None)
        assert deleted["PhysicalResourceId"] == "nova-migrations"
        assert PLAN_TABLES <= tables(bridge)  # Delete keeps the data
    finally:
        for db in (names["DatabaseName"], names["GoalertDatabase"]):
            pg.drop_database(pg_server_url, db)
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            for role in (names["AppUser"], f"goalert_{suffix}"):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')
