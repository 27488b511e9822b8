"""Kuma scenarios for `make bench`:

- webhook ingest: the real webhooks handler (API Gateway event in, 202 out) on Kuma's captured
  body, publisher in memory: p50/p95 latency and events/s, in-process, one thread;
- create -> Kuma: a monitor created through the monitors API handler, its outbox event run through
  the real sync worker, until the fake Kuma (2.5.3, loopback Socket.IO) holds the monitor.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT.parent / "shared" / "contracts" / "kuma" / "webhook-2.5.3.json"


class _MemoryPublisher:
    def __init__(self) -> None:
        self.count = 0

    def publish(self, events):
        self.count += len(events)
        return []


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)


def _ingest(deps, samples: int) -> dict:
    from devserver import gateway
    from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, webhook_secret

    route, params, _ = gateway.match_route("POST", "/webhooks/uptime-kuma")
    bodies = [json.dumps(d["body"]).encode() for d in json.loads(CAPTURE.read_text())]
    headers = {"content-type": "application/json", KUMA_SECRET_HEADER: webhook_secret(deps.settings)}
    times = []
    started = time.perf_counter()
    for i in range(samples):
        event = gateway.build_event(route, "/webhooks/uptime-kuma", params, headers=headers, body=bodies[i % 2])
        t0 = time.perf_counter()
        out = gateway.invoke(route, event, deps)
        times.append((time.perf_counter() - t0) * 1000)
        assert out["statusCode"] == 202, out
    elapsed = time.perf_counter() - started
    return {"samples": samples, "p50_ms": _pct(times, 50), "p95_ms": _pct(times, 95),
            "events_per_s": round(deps.publisher.count / elapsed, 1)}


def _create_to_kuma(api_deps, worker_deps, fake, count: int) -> dict:
    from devserver import gateway
    from functions.sync_worker.handler import lambda_handler as worker
    from nova_bridge.events import parse_event
    from tests.conftest import claims_for

    route, params, _ = gateway.match_route("POST", "/api/v2/monitoring/monitors")
    times = []
    for n in range(count):
        body = json.dumps({"name": f"bench-{n}", "type": "http", "url": f"https://b{n}.test/"}).encode()
        event = gateway.build_event(route, "/api/v2/monitoring/monitors", params, body=body,
                                    headers={"content-type": "application/json"}, claims=claims_for("admin", "bench"))
        t0 = time.perf_counter()
        assert gateway.invoke(route, event, api_deps)["statusCode"] == 201
        with api_deps.db.transaction() as conn:
            rows = conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL"
                                " RETURNING id, detail_type, detail").fetchall()
        events = [parse_event(r["detail_type"], r["detail"]) for r in rows]
        records = [{"messageId": str(e.event_id), "receiptHandle": "r", "eventSource": "aws:sqs", "attributes": {},
                    "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q",
                    "body": json.dumps({"detail-type": e.detail_type, "detail": e.detail.model_dump(mode="json")})}
                   for e in events]
        assert worker({"Records": records}, None, worker_deps) == {"batchItemFailures": []}
        times.append((time.perf_counter() - t0) * 1000)
        assert any(m["name"] == f"bench-{n}" for m in fake.monitors.values())
    return {"monitors": count, "p50_ms": _pct(times, 50), "p95_ms": _pct(times, 95),
            "mean_ms": round(statistics.fmean(times), 3)}


def run(quick: bool = False) -> dict:
    import contextlib
    import io

    from devserver import pg
    from nova_bridge.adapters import migrations
    from nova_bridge.adapters.db import Database
    from nova_bridge.adapters.kuma.client import InMemoryTokenCache, KumaClient
    from nova_bridge.api.deps import ApiDeps
    from nova_bridge.settings import Settings
    from nova_bridge.workers.deps import WorkerDeps
    from tests.fakes.kuma_server import FakeKuma

    with tempfile.TemporaryDirectory(prefix="nova-bench-kuma-") as tmp:
        base, server = pg.server_url(Path(tmp) / "pgdata", None)
        url = pg.create_database(base, "nova_bench_kuma", replace=True)
        migrations.apply(url)
        db = Database(url)
        try:
            with FakeKuma(version="2.5.3", username="admin", password="admin-pass-1") as fake:
                settings = replace(Settings(), database_url=url, webhook_secret="bench-secret", kuma_url=fake.url,
                                   kuma_username="admin", kuma_password="admin-pass-1")
                client = KumaClient(fake.url, "admin", "admin-pass-1", timeout=5, token_cache=InMemoryTokenCache())
                api_deps = ApiDeps(settings=settings, db=db, publisher=_MemoryPublisher())
                worker_deps = WorkerDeps(settings=settings, db=db, publisher=_MemoryPublisher(),
                                         kuma_factory=lambda s: client)
                ingest = _ingest(api_deps, 300 if quick else 3000)
                with contextlib.redirect_stdout(io.StringIO()):  # the worker prints its metrics
                    client.connect()  # the login is paid once per execution environment, not per monitor
                    create = _create_to_kuma(api_deps, worker_deps, fake, 10 if quick else 50)
                client.close()
        finally:
            db.close()
            if server is not None:
                server.cleanup()
    return {"webhook_ingest": ingest, "create_to_kuma": create}
