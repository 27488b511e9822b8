"""Versioned SQL migrations: files `migrations/NNNN_name.sql`, each applied once, in order, in its
own transaction, under an advisory lock so concurrent runners (deploy custom resource, local
runner, tests) never apply one twice. Editing an applied file is refused (checksum)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

_LOCK_ID = 0x4E6F7661  # "Nova"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    found = []
    for entry in resources.files("nova_bridge.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return found


def apply(conninfo: str) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0]: row[1] for row in conn.execute("SELECT version, checksum FROM schema_migrations")}
            for migration in available():
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise RuntimeError(f"migration {migration.version}_{migration.name} changed after it was "
                                           "applied; add a new migration instead")
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute("INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                                 (migration.version, migration.name, migration.checksum))
                applied_now.append(f"{migration.version:04d}_{migration.name}")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now


def provision(admin_conninfo: str, *, database: str, app_user: str, goalert_database: str | None = None,
              goalert_user: str | None = None, goalert_password: str | None = None) -> list[str]:
    """Deploy-time setup with the cluster's admin login, idempotent: the bridge's database and its
    IAM-authenticated application role, GoAlert's own database with pgcrypto (GoAlert cannot
    create the extension itself), then the bridge's migrations and the role's privileges.
    Returns the migrations applied."""
    from psycopg import sql

    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        def role_exists(name: str) -> bool:
            return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None

        def database_exists(name: str) -> bool:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

        if not role_exists(app_user):
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(app_user)))
        if role_exists("rds_iam"):  # Aurora: the role logs in with IAM tokens only
            conn.execute(sql.SQL("GRANT rds_iam TO {}").format(sql.Identifier(app_user)))
        if not database_exists(database):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        if goalert_database and goalert_user:
            verb = "ALTER" if role_exists(goalert_user) else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(goalert_user), sql.Literal(goalert_password or "")))
            if not database_exists(goalert_database):
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(goalert_database), sql.Identifier(goalert_user)))
    if goalert_database and goalert_user:
        goalert_conninfo = psycopg.conninfo.make_conninfo(admin_conninfo, dbname=goalert_database)
        with psycopg.connect(goalert_conninfo, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto'").fetchone():
                conn.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")

    bridge_conninfo = psycopg.conninfo.make_conninfo(admin_conninfo, dbname=database)
    applied = apply(bridge_conninfo)
    with psycopg.connect(bridge_conninfo, autocommit=True) as conn:
        role = sql.Identifier(app_user)
        for statement in (
            "GRANT USAGE ON SCHEMA public TO {}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}",
        ):
            conn.execute(sql.SQL(statement).format(role))
    return applied
