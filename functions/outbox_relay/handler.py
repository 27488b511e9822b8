"""Outbox relay (scheduled): moves committed events from PostgreSQL to the EventBridge bus."""

from dataclasses import asdict

from nova_bridge.adapters.db import default_database
from nova_bridge.adapters.eventbus import EventBridgePublisher
from nova_bridge.adapters.outbox import relay_all
from nova_bridge.settings import get_settings

_publisher = None


def lambda_handler(event, context, db=None, publisher=None):
    global _publisher
    settings = get_settings()
    if publisher is None:
        _publisher = _publisher or EventBridgePublisher(settings.event_bus_name)
        publisher = _publisher
    return asdict(relay_all(db or default_database(settings), publisher))
