"""EventBridge publisher: puts validated events on the bridge's custom bus."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nova_bridge.errors import BackendUnavailable
from nova_bridge.events import Event

MAX_ENTRIES = 10  # PutEvents accepts at most 10 entries per call


class EventBridgePublisher:
    def __init__(self, bus_name: str, client: Any = None) -> None:
        self.bus_name = bus_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # created lazily: only functions that publish pay for it

            self._client = boto3.client("events")
        return self._client

    def publish(self, events: Sequence[Event]) -> list[Event]:
        """Publish; return the events EventBridge did not accept (the caller retries them)."""
        failed: list[Event] = []
        for start in range(0, len(events), MAX_ENTRIES):
            chunk = list(events[start:start + MAX_ENTRIES])
            entries = [{"Source": e.source, "DetailType": e.detail_type, "EventBusName": self.bus_name,
                        "Detail": json.dumps(e.detail.model_dump(mode="json"))} for e in chunk]
            try:
                result = self.client.put_events(Entries=entries)
            except Exception as exc:  # botocore raises many types; all mean "not published"
                raise BackendUnavailable("eventbridge", f"PutEvents failed: {type(exc).__name__}: {exc}") from exc
            entries_out = result.get("Entries") or []
            for index, event in enumerate(chunk):
                # An entry EventBridge did not answer for is not known to be published: retry it.
                if index >= len(entries_out) or entries_out[index].get("ErrorCode"):
                    failed.append(event)
        return failed
