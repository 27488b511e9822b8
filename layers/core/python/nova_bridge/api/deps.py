"""The collaborators an API function needs, built once per execution environment.

Handlers receive them as an argument, so tests pass their own (a test database, fakes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nova_bridge.adapters.db import Database, default_database
from nova_bridge.adapters.store import PgUnitOfWork
from nova_bridge.errors import IntegrationNotConfigured
from nova_bridge.settings import Settings, get_settings


@dataclass
class ApiDeps:
    settings: Settings
    db: Database
    publisher: Any = None  # EventBridgePublisher, created on first use
    goalert_factory: Any = None  # Settings -> GoAlertBackend; tests pass one wired to the fake
    kuma_factory: Any = None  # Settings -> KumaClient | None; tests pass one wired to the fake
    uow: PgUnitOfWork = field(init=False)

    def __post_init__(self) -> None:
        self.uow = PgUnitOfWork(self.db)
        if self.publisher is None:
            from nova_bridge.adapters.eventbus import EventBridgePublisher

            self.publisher = EventBridgePublisher(self.settings.event_bus_name)

    def require(self, integration: str) -> None:
        """Raise a 503 problem naming the integration when it has no configuration."""
        configured = {"goalert": self.settings.goalert_configured, "uptime_kuma": self.settings.kuma_configured,
                      "nova_comms": self.settings.comms_configured}[integration]
        if not configured:
            raise IntegrationNotConfigured(integration)

    def publish(self, events: list) -> None:
        """Put events on the bus; when the bus refuses, park them in the outbox for the relay."""
        from nova_bridge.adapters.outbox import store_events
        from nova_bridge.errors import BackendError

        try:
            rejected = self.publisher.publish(events)
        except BackendError:
            rejected = events
        if rejected:
            store_events(self.db, list(rejected))

    def goalert(self) -> Any:
        """The GoAlert backend (client + ingest); a 503 problem naming goalert when unconfigured."""
        self.require("goalert")
        if self.goalert_factory is None:
            from nova_bridge.adapters.goalert.factory import goalert_backend

            self.goalert_factory = goalert_backend
        return self.goalert_factory(self.settings)

    def kuma(self) -> Any:
        """The Kuma client; a 503 problem naming uptime_kuma when unconfigured."""
        self.require("uptime_kuma")
        if self.kuma_factory is None:
            from nova_bridge.adapters.kuma.factory import kuma_client

            self.kuma_factory = kuma_client
        client = self.kuma_factory(self.settings)
        if client is None:
            raise IntegrationNotConfigured("uptime_kuma")
        return client

    def backend_probes(self) -> dict:
        """Health probes of the backends; None marks one that is not configured."""
        goalert = (lambda: self.goalert().probe()) if self.settings.goalert_configured else None
        kuma = None
        if self.settings.kuma_configured:
            def kuma() -> dict:
                from nova_bridge.adapters.kuma.probe import kuma_probe

                return kuma_probe(self.kuma(), self.uow)
        return {"uptime_kuma": kuma, "goalert": goalert, "nova_comms": None}


def default_deps() -> ApiDeps:
    settings = get_settings()
    return ApiDeps(settings=settings, db=default_database(settings))
