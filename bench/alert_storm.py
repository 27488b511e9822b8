"""Alert storm: heartbeat webhooks over many monitors (repeats and flaps) driven through the
real handlers -> events -> sync worker -> the fake GoAlert (in-process transport), on a real
PostgreSQL. `run(quick=False) -> dict`.

Reports: alerts created (must equal the distinct DOWN episodes, computed independently from the
generated sequence), GoAlert calls per alert transition, events/s, end-to-end p95 from the
webhook to the GoAlert call. `PagingPipeline` is also what the paging tests drive.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
import uuid
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

WEBHOOK_SECRET = "storm-webhook-secret"


class Bus:
    """An in-memory event bus: the API side publishes, the pipeline feeds the worker."""

    def __init__(self) -> None:
        self.queue: deque = deque()
        self.published: list = []

    def publish(self, events: list) -> list:
        self.queue.extend(events)
        self.published.extend(events)
        return []


class PagingPipeline:
    """Handlers, worker and a fake GoAlert wired together in one process."""

    def __init__(self, database_url: str, *, fake: Any = None, settings: Any = None) -> None:
        from nova_bridge.adapters.db import Database
        from nova_bridge.adapters.goalert.client import GoAlertCredentials
        from nova_bridge.adapters.goalert.factory import build_backend
        from nova_bridge.adapters.resilience import CircuitBreaker
        from nova_bridge.api.deps import ApiDeps
        from nova_bridge.settings import Settings
        from nova_bridge.workers.deps import WorkerDeps
        from tests.fakes.goalert_server import FakeGoAlert

        self.hooks: list[tuple[str, dict]] = []
        self.fake = fake or FakeGoAlert(webhook_sender=lambda url, body: self.hooks.append((url, body)))
        admin = build_backend(self.fake.public_url, GoAlertCredentials(username="admin", password="admin-password"),
                              transport=self.fake.transport(), breaker=CircuitBreaker("admin"), sleep=lambda _: None)
        # GoAlert matches the allow-list on scheme, host:port and a path prefix, as the real server does.
        public_url = (settings or Settings()).public_url
        admin.client.enable_webhooks([f"{public_url}/webhooks/goalert/"])
        token = admin.client.create_gql_api_key(
            "bridge", description="tests", expires_at=datetime.now(timezone.utc) + timedelta(days=1)).token
        self.backend = build_backend(self.fake.public_url, GoAlertCredentials(api_key=token),
                                     transport=self.fake.transport(), sleep=lambda _: None,
                                     breaker=CircuitBreaker("goalert-pipeline", failure_threshold=1000))
        self.settings = settings or replace(Settings(), database_url=database_url, goalert_url=self.fake.public_url,
                                            webhook_secret=WEBHOOK_SECRET)
        self.db = Database(database_url)
        self.bus = Bus()
        self.api_deps = ApiDeps(settings=self.settings, db=self.db, publisher=self.bus,
                                goalert_factory=lambda _s: self.backend)
        self.worker_deps = WorkerDeps(settings=self.settings, db=self.db, publisher=self.bus,
                                      goalert_factory=lambda _s: self.backend)
        self.outcomes: list[tuple[str, str]] = []

    def close(self) -> None:
        self.db.close()

    # --- API -----------------------------------------------------------------------------------
    def call(self, method: str, path: str, *, role: str | None = "admin", tenant: str = "tenant-a",
             user: str | None = None, json_body: Any = None, query: str = "",
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        from devserver import gateway

        route, params, _ = gateway.match_route(method, path)
        assert route is not None, f"no route for {method} {path}"
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {"content-type": "application/json", **(headers or {})}
        from tests.conftest import claims_for

        claims = claims_for(role, tenant, user) if role and route.auth == "jwt" else None
        event = gateway.build_event(route, path, params, query=query, headers=headers, body=body, claims=claims)
        out = gateway.invoke(route, event, self.api_deps)
        return out["statusCode"], (json.loads(out["body"]) if out.get("body") else None)

    def kuma_webhook(self, kuma_monitor_id: int, status: int, at: datetime, msg: str = "") -> int:
        body = {"heartbeat": {"monitorID": kuma_monitor_id, "status": status, "time": at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                              "msg": msg, "important": True, "duration": 0},
                "monitor": {"id": kuma_monitor_id, "name": f"m{kuma_monitor_id}"}, "msg": msg}
        from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, webhook_secret

        code, _ = self.call("POST", "/webhooks/uptime-kuma", role=None, json_body=body,
                            headers={KUMA_SECRET_HEADER: webhook_secret(self.settings)})
        return code

    def deliver_goalert_webhooks(self) -> list[int]:
        """POST what the fake GoAlert sent to the bridge's webhook handler, as GoAlert would."""
        codes = []
        while self.hooks:
            url, body = self.hooks.pop(0)
            parts = urlsplit(url)
            codes.append(self.call("POST", parts.path, role=None, json_body=body, query=parts.query)[0])
        return codes

    # --- worker --------------------------------------------------------------------------------
    def handlers(self) -> dict[str, Any]:
        from nova_bridge.workers import alert_events, heartbeat_events, user_events

        return {**heartbeat_events.HANDLERS, **user_events.HANDLERS, **alert_events.HANDLERS}

    def drain(self, max_rounds: int = 10) -> list[tuple[str, str]]:
        """Feed every queued event to the worker; retried events go round again (an SQS redrive)."""
        from nova_bridge.workers.runtime import process_event

        handlers = self.handlers()
        done: list[tuple[str, str]] = []
        for _ in range(max_rounds):
            if not self.bus.queue:
                break
            retry: deque = deque()
            while self.bus.queue:
                event = self.bus.queue.popleft()
                handler = handlers.get(event.detail_type)
                if handler is None:
                    continue  # e.g. alert.notified: the notifier's queue
                outcome = process_event(self.db, event, handler, self.worker_deps, ["goalert"])
                done.append((event.detail_type, outcome.status))
                if outcome.status == "retry":
                    retry.append(event)
            self.bus.queue.extend(retry)
        self.outcomes.extend(done)
        return done

    def sync_monitor(self, monitor_id: Any) -> bool:
        from nova_bridge.workers import goalert_sync

        with self.worker_deps.uow.transaction() as tx:
            row = tx.get_monitor_for_sync(monitor_id)
        return goalert_sync.sync_monitor(self.worker_deps, row)

    def monitor_row(self, monitor_id: Any) -> dict[str, Any]:
        with self.worker_deps.uow.transaction() as tx:
            return tx.get_monitor_for_sync(monitor_id)

    def alerts(self, tenant: str = "tenant-a") -> list[dict[str, Any]]:
        with self.db.transaction() as conn:
            return conn.execute("SELECT * FROM alerts WHERE tenant_id = %s ORDER BY created_at", (tenant,)).fetchall()


# --- the storm ---------------------------------------------------------------------------------

def storm_sequence(monitors: int, webhooks: int, seed: int = 7) -> list[tuple[int, int]]:
    """(monitor index, Kuma status) in delivery order: runs of repeats, flaps, some maintenance."""
    rng = random.Random(seed)
    sequence = []
    for _ in range(webhooks):
        m = rng.randrange(monitors)
        status = rng.choices((0, 1, 3), weights=(45, 50, 5))[0]  # DOWN, UP, MAINTENANCE
        sequence.append((m, status))
    return sequence


def down_episodes(sequence: list[tuple[int, int]]) -> int:
    """Distinct DOWN episodes, from the sequence alone: a DOWN starts one unless the monitor is in
    one already; only an UP ends it (maintenance pages nobody but does not end an outage)."""
    in_episode: set[int] = set()
    episodes = 0
    for m, status in sequence:
        if status == 0 and m not in in_episode:
            episodes += 1
            in_episode.add(m)
        elif status == 1:
            in_episode.discard(m)
    return episodes


def run(quick: bool = False) -> dict[str, Any]:
    from devserver import pg
    from nova_bridge.adapters import migrations

    monitors, webhooks = (50, 500) if quick else (1000, 10_000)
    workdir = Path(tempfile.mkdtemp(prefix="alert-storm-"))
    workdir.chmod(0o777)
    base_url, server = pg.server_url(workdir / "pgdata")
    try:
        import psycopg

        with psycopg.connect(base_url, autocommit=True) as conn:  # a throwaway server, as in the tests
            conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("SELECT pg_reload_conf()")
        url = pg.create_database(base_url, "storm", replace=True)
        migrations.apply(url)
        return storm(url, monitors, webhooks)
    finally:
        if server is not None:
            server.cleanup()


def storm(database_url: str, monitors: int, webhooks: int) -> dict[str, Any]:
    pipe = PagingPipeline(database_url)
    try:
        kuma_ids = _create_monitors(pipe, monitors)
        sequence = storm_sequence(monitors, webhooks)
        expected = down_episodes(sequence)
        calls_before = pipe.fake.count(path="/api/v2/generic/incoming")
        latencies: list[float] = []
        start_time = datetime.now(timezone.utc) - timedelta(hours=1)
        started = time.perf_counter()
        for i, (m, status) in enumerate(sequence):
            sent = time.perf_counter()
            pipe.kuma_webhook(kuma_ids[m], status, start_time + timedelta(milliseconds=10 * i), msg="storm")
            before = pipe.fake.count(path="/api/v2/generic/incoming")
            pipe.drain()
            if pipe.fake.count(path="/api/v2/generic/incoming") > before:
                latencies.append(time.perf_counter() - sent)
        elapsed = time.perf_counter() - started
        ingest_calls = pipe.fake.count(path="/api/v2/generic/incoming") - calls_before
        alerts = pipe.alerts()
        transitions = len(alerts) + sum(1 for a in alerts if a["status"] == "resolved")
        events = len(pipe.outcomes)
        latencies.sort()
        return {
            "monitors": monitors,
            "webhooks": webhooks,
            "down_episodes": expected,
            "alerts_created": len(alerts),
            "alerts_in_goalert": len(pipe.fake.store.alerts),
            "alerts_match_episodes": len(alerts) == expected == len(pipe.fake.store.alerts),
            "alert_transitions": transitions,
            "goalert_ingest_calls": ingest_calls,
            "goalert_calls_per_transition": round(ingest_calls / transitions, 3) if transitions else None,
            "events_processed": events,
            "events_per_second": round(events / elapsed, 1) if elapsed else None,
            "webhook_to_goalert_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 2)
            if latencies else None,
            "elapsed_seconds": round(elapsed, 2),
            "retried_or_failed": sum(1 for _, s in pipe.outcomes if s in ("retry", "failed")),
        }
    finally:
        pipe.close()


def _create_monitors(pipe: PagingPipeline, count: int) -> list[int]:
    """Monitors with alerting on, synced to the fake GoAlert, with Kuma ids assigned."""
    kuma_ids = []
    for i in range(count):
        code, body = pipe.call("POST", "/api/v2/monitoring/monitors", json_body={
            "name": f"storm-{i}", "type": "http", "url": f"https://example.com/{i}",
            "alerting": {"enabled": True}})
        assert code == 201, body
        monitor_id = uuid.UUID(body["id"])
        with pipe.db.transaction() as conn:
            conn.execute("UPDATE monitors SET kuma_monitor_id = %s, status = 'up' WHERE id = %s", (i + 1, monitor_id))
        assert pipe.sync_monitor(monitor_id)
        kuma_ids.append(i + 1)
    return kuma_ids
