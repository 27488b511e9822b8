"""Collaborators of the workers, built once per execution environment; tests pass their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from nova_bridge.adapters.db import Database, default_database
from nova_bridge.adapters.store import PgUnitOfWork
from nova_bridge.settings import Settings, get_settings


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class WorkerDeps:
    settings: Settings
    db: Database
    publisher: Any = None  # EventBridgePublisher unless a test passes another
    kuma_factory: Callable[[Settings], Any] | None = None  # returns a connected-on-demand KumaClient
    goalert_factory: Callable[[Settings], Any] | None = None  # returns a GoAlert facade (client + ingest)
    clock: Callable[[], datetime] = _utcnow
    uow: PgUnitOfWork = field(init=False)
    _kuma: Any = field(default=None, init=False, repr=False)
    _goalert: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.uow = PgUnitOfWork(self.db)
        if self.publisher is None:
            from nova_bridge.adapters.eventbus import EventBridgePublisher

            self.publisher = EventBridgePublisher(self.settings.event_bus_name)

    def kuma(self) -> Any:
        """The Kuma client, or None when Kuma is not configured (its work then waits as `pending`)."""
        if self._kuma is None and self.settings.kuma_configured:
            if self.kuma_factory is None:
                from nova_bridge.adapters.kuma.factory import kuma_client as factory
            else:
                factory = self.kuma_factory
            self._kuma = factory(self.settings)
        return self._kuma

    def goalert(self) -> Any:
        """The GoAlert facade, or None when GoAlert is not configured."""
        if self._goalert is None and self.settings.goalert_configured:
            if self.goalert_factory is None:
                from nova_bridge.adapters.goalert.factory import goalert_backend as factory
            else:
                factory = self.goalert_factory
            self._goalert = factory(self.settings)
        return self._goalert


def default_worker_deps() -> WorkerDeps:
    settings = get_settings()
    return WorkerDeps(settings=settings, db=default_database(settings))
