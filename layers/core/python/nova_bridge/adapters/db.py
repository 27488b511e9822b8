"""PostgreSQL access (psycopg 3): one connection per execution environment, explicit transactions.

Lambda runs one request at a time per environment, so a single connection kept across
invocations (through RDS Proxy when deployed) is the right pool size. A broken connection is
replaced on the next use.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from nova_bridge.errors import BackendUnavailable
from nova_bridge.settings import Settings


def _iam_conninfo(settings: Settings) -> str:
    """Deployed: build a conninfo from the RDS Proxy endpoint with a short-lived IAM token."""
    import os

    import boto3  # only deployed functions with IAM auth pay for boto3

    host, port = os.environ["NOVA_DB_HOST"], int(os.environ.get("NOVA_DB_PORT", "5432"))
    user, name = os.environ["NOVA_DB_USER"], os.environ.get("NOVA_DB_NAME", "nova")
    token = boto3.client("rds").generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user)
    return psycopg.conninfo.make_conninfo(host=host, port=port, user=user, dbname=name, password=token,
                                          sslmode="require")


class Database:
    """A lazily opened connection with transaction helpers."""

    def __init__(self, conninfo: str | None = None, settings: Settings | None = None) -> None:
        self._conninfo = conninfo
        self._settings = settings
        self._conn: psycopg.Connection | None = None
        self._lock = threading.RLock()  # the local runner serves requests on threads

    def _open(self) -> psycopg.Connection:
        conninfo = self._conninfo
        if conninfo is None and self._settings is not None:
            conninfo = _iam_conninfo(self._settings) if self._settings.db_iam_auth else self._settings.database_url
        if not conninfo:
            raise BackendUnavailable("database", "No database is configured (NOVA_DATABASE_URL).")
        try:
            return psycopg.connect(conninfo, row_factory=dict_row, connect_timeout=5,
                                   options="-c statement_timeout=10000")
        except psycopg.OperationalError as exc:
            raise BackendUnavailable("database", f"Cannot connect to the database: {exc}") from exc

    @property
    def connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._open()
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """Yield the connection inside one transaction; commit on success, roll back on error."""
        with self._lock:
            conn = self.connection
            try:
                with conn.transaction():
                    yield conn
            except psycopg.OperationalError as exc:
                raise BackendUnavailable("database", f"Database error: {exc}") from exc

    def fetchall(self, sql: str, params: Any = None) -> list[dict]:
        with self.transaction() as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_default: Database | None = None


def default_database(settings: Settings) -> Database:
    """The execution environment's shared database handle."""
    global _default
    if _default is None:
        _default = Database(settings=settings)
    return _default
