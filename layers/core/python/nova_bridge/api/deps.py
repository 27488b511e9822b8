"""The collaborators an API function needs, built once per execution environment.

Handlers receive them as an argument, so tests pass their own (a test database, fakes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nova_bridge.adapters.db import Database, default_database
from nova_bridge.adapters.store import PgUnitOfWork
from nova_bridge.settings import Settings, get_settings


@dataclass
class ApiDeps:
    settings: Settings
    db: Database
    uow: PgUnitOfWork = field(init=False)

    def __post_init__(self) -> None:
        self.uow = PgUnitOfWork(self.db)


def default_deps() -> ApiDeps:
    settings = get_settings()
    return ApiDeps(settings=settings, db=default_database(settings))
