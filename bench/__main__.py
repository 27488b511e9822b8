"""`make bench`: figures, printed and written to bench/results.json. Nothing here passes or fails.

- cold_start_ms: per function, a fresh interpreter importing its handler and serving one
  representative request (median of several runs; the import alone beside it);
- api_ms: p50/p95 of GET /api/v2/monitoring/monitors (first page) and of a monitor create,
  in-process against the embedded PostgreSQL holding 10,000 monitors;
- plus the figures of each scenario module (webhook ingest, sync latency, alert storm).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
SCENARIOS = ("bench.webhook_ingest", "bench.alert_storm")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


BENCH_WEBHOOK_MASTER = "bench-secret"


def api_event(method: str, path: str, body: dict | None = None, query: str = "", tenant: str = "bench") -> dict:
    from dataclasses import replace

    from devserver import gateway
    from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, webhook_secret
    from nova_bridge.settings import Settings
    from tests.conftest import claims_for

    route, params, _ = gateway.match_route(method, path)
    kuma_secret = webhook_secret(replace(Settings(), webhook_secret=BENCH_WEBHOOK_MASTER))
    return gateway.build_event(route, path, params, query=query,
                               headers={"content-type": "application/json", KUMA_SECRET_HEADER: kuma_secret},
                               body=json.dumps(body).encode() if body is not None else None,
                               claims=claims_for("admin", tenant) if route.auth == "jwt" else None)


def representative_requests() -> dict[str, dict]:
    from tests.conftest import http_monitor

    kuma_down = json.loads((ROOT.parent / "shared/contracts/kuma/webhook-2.5.3.json").read_text())
    body = kuma_down[0]["body"] if isinstance(kuma_down, list) else next(iter(kuma_down.values()))
    detail = {"event_id": str(uuid.uuid4()), "tenant_id": "bench", "monitor_id": str(uuid.uuid4()),
              "monitor_version": 1, "actor": "bench"}
    from nova_bridge.events import make_event
    from tests.conftest import sqs_event

    sqs = sqs_event(make_event("monitor.created", **detail))
    notified = sqs_event(make_event("alert.notified", tenant_id="bench", nova_user_id="nobody", goalert_alert_id=1,
                                    summary="bench"))
    return {
        "monitors": api_event("GET", "/api/v2/monitoring/monitors", query="limit=50"),
        "alerts": api_event("GET", "/api/v2/alerts"),
        "oncall": api_event("GET", "/api/v2/oncall/current"),
        "status": api_event("GET", "/api/v2/status/public/bench"),
        "integration": api_event("GET", "/api/v2/integration/config"),
        "webhooks": api_event("POST", "/webhooks/uptime-kuma", body=body),
        "sync_worker": sqs,
        "notifier": notified,
        "reconciler": {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
        "outbox_relay": {},
        "migrations": {"RequestType": "Update", "ResourceProperties": {"DatabaseName": "nova_bench",
                                                                       "AppUser": "nova_bench_app"}},
        "_create": api_event("POST", "/api/v2/monitoring/monitors", body=http_monitor("bench")),
    }


def cold_starts(env: dict, runs: int) -> dict:
    requests = representative_requests()
    out = {}
    for name, request in requests.items():
        if name.startswith("_") or not (ROOT / "functions" / name / "handler.py").exists():
            continue
        samples, imports, status = [], [], None
        # One untimed run first: Lambda ships warm files, a page cache emptied by other work does not.
        subprocess.run([sys.executable, "-m", "bench.coldstart_child", name, json.dumps(request)], cwd=ROOT, env=env,
                       capture_output=True)
        for _ in range(runs):
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "bench.coldstart_child", name, json.dumps(request)],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = proc.stdout.readline()
            while line and not line.startswith("BENCH-RESULT "):  # EMF metrics lines come first
                line = proc.stdout.readline()
            # Spawn to answer: interpreter start-up, imports, first request; not the exit, which
            # a Lambda request does not wait for.
            elapsed = (time.perf_counter() - started) * 1000
            _, err = proc.communicate()
            if proc.returncode != 0 or not line:
                out[name] = {"error": err.strip().splitlines()[-1] if err.strip() else "failed"}
                break
            result = json.loads(line.removeprefix("BENCH-RESULT "))
            samples.append(elapsed)
            imports.append(result["import_ms"])
            status = result["status"]
        else:
            out[name] = {"median": round(statistics.median(samples), 1),
                         "import_median": round(statistics.median(imports), 1), "runs": runs, "status": status}
        print(f"  cold start {name:13s} {out[name]}", flush=True)
    return out


def api_latency(database_url: str, monitors: int, samples: int) -> dict:
    from dataclasses import replace

    from devserver import gateway
    from nova_bridge.adapters.db import Database
    from nova_bridge.api.deps import ApiDeps
    from nova_bridge.settings import Settings

    deps = ApiDeps(settings=replace(Settings(), database_url=database_url), db=Database(database_url))
    _seed_monitors(database_url, monitors)
    requests = representative_requests()
    handler = gateway.function_handler("monitors")
    figures = {}
    for label, event in (("GET /api/v2/monitoring/monitors", requests["monitors"]),
                         ("POST /api/v2/monitoring/monitors", requests["_create"])):
        handler(event, None, deps)  # warm: this is the steady state, cold starts are measured above
        times = []
        for _ in range(samples):
            t = time.perf_counter()
            out = handler(event, None, deps)
            times.append((time.perf_counter() - t) * 1000)
            assert out["statusCode"] in (200, 201), out
        figures[label] = {"p50": pct(times, 50), "p95": pct(times, 95), "samples": samples}
        print(f"  api {label:36s} {figures[label]}", flush=True)
    deps.db.close()
    return figures


def _seed_monitors(database_url: str, count: int) -> None:
    import psycopg

    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO tenants (id) VALUES ('bench') ON CONFLICT DO NOTHING")
        have = conn.execute("SELECT count(*) FROM monitors WHERE tenant_id = 'bench'").fetchone()[0]
        if have >= count:
            return
        conn.execute(
            "INSERT INTO monitors (tenant_id, name, type, config, tags, status, created_at)"
            " SELECT 'bench', 'monitor ' || g, 'http', jsonb_build_object('name', 'monitor ' || g, 'type', 'http',"
            "  'url', 'https://example.com/' || g), ARRAY['bench'], (ARRAY['up','down','pending','unknown'])[1 + g %% 4],"
            "  now() - (g || ' seconds')::interval FROM generate_series(1, %s) g", (count - have,))
        conn.execute("ANALYZE monitors")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="cold starts per function")
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="smaller scenarios")
    args = parser.parse_args(argv)

    from devserver import pg
    from nova_bridge.adapters import migrations

    results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    with tempfile.TemporaryDirectory(prefix="nova-bench-") as tmp:
        base, server = pg.server_url(Path(tmp) / "pgdata", os.environ.get("NOVA_BENCH_DATABASE_URL"))
        url = pg.create_database(base, "nova_bench", replace=True)
        migrations.apply(url)
        from moto.server import ThreadedMotoServer

        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
        moto.start()
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        import boto3

        boto3.client("events", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="x",
                     aws_secret_access_key="x").create_event_bus(Name="nova-bench")
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers/core/python'}:{ROOT}", "NOVA_DATABASE_URL": url,
               "NOVA_EVENT_BUS_NAME": "nova-bench", "NOVA_WEBHOOK_SECRET": BENCH_WEBHOOK_MASTER,
               "NOVA_DATABASE_ADMIN_URL": base,
               "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
               "AWS_DEFAULT_REGION": "us-east-1"}
        try:
            print("Cold starts (fresh interpreter -> import -> first response):", flush=True)
            _seed_monitors(url, 100)
            results["cold_start_ms"] = cold_starts(env, args.runs)
            print(f"API latency, in-process, {args.monitors} monitors in PostgreSQL:", flush=True)
            results["api_ms"] = api_latency(url, args.monitors, args.samples)
            for name in SCENARIOS:
                try:
                    scenario = importlib.import_module(name)
                except ModuleNotFoundError:
                    continue
                print(f"Scenario {name}:", flush=True)
                results[name.split(".")[-1]] = scenario.run(quick=args.quick)
                print(f"  {results[name.split('.')[-1]]}", flush=True)
        finally:
            moto.stop()
            if server is not None:
                server.cleanup()
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"Wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
