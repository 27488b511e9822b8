"""The outbox relay: moves committed events from the outbox table to the bus, oldest first.

Rows are claimed with SKIP LOCKED so concurrent relays never publish the same batch twice, and
marked published only after EventBridge accepted them. A crash between the two publishes again:
consumers are idempotent on event_id, so at-least-once is enough."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from nova_bridge.adapters.db import Database
from nova_bridge.errors import BackendError
from nova_bridge.events import Event, parse_event


@dataclass
class RelayResult:
    published: int = 0
    failed: int = 0


def store_events(db: Database, events: list[Event]) -> None:
    """Park events in the outbox when the bus cannot take them now; the relay retries them."""
    with db.transaction() as conn:
        for event in events:
            conn.execute(
                "INSERT INTO outbox (id, tenant_id, detail_type, detail) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING",
                (event.event_id, event.detail.tenant_id, event.detail_type, Jsonb(event.detail.model_dump(mode="json"))))


def relay_once(db: Database, publisher: Any, batch: int = 100) -> RelayResult:
    result = RelayResult()
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, detail_type, detail FROM outbox WHERE published_at IS NULL"
            " ORDER BY created_at, id LIMIT %s FOR UPDATE SKIP LOCKED", (batch,)).fetchall()
        if not rows:
            return result
        events = [parse_event(r["detail_type"], r["detail"]) for r in rows]
        try:
            failed = {e.event_id for e in publisher.publish(events)}
        except BackendError as exc:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = %s WHERE id = ANY(%s)",
                         (exc.detail, [r["id"] for r in rows]))
            result.failed = len(rows)
            return result
        done = [r["id"] for r in rows if r["id"] not in failed]
        conn.execute("UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY(%s)", (done,))
        if failed:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = 'rejected by EventBridge'"
                         " WHERE id = ANY(%s)", (list(failed),))
        result.published, result.failed = len(done), len(failed)
    return result


def relay_all(db: Database, publisher: Any, batch: int = 100, max_batches: int = 50) -> RelayResult:
    total = RelayResult()
    for _ in range(max_batches):
        r = relay_once(db, publisher, batch)
        total.published += r.published
        total.failed += r.failed
        if r.published == 0:
            break
    return total
