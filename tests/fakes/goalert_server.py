"""A protocol-faithful fake GoAlert v0.34.1 for tests.

GraphQL requests are really executed by graphql-core against the contract schema
(shared/contracts/goalert/schema-v0.34.1.graphql), so a query GoAlert would refuse is refused the
same way: parse/validation errors answer HTTP 422 with `errors` (gqlgen's status for protocol
errors), resolver errors HTTP 200 with `errors` and partial `data`. Auth follows GoAlert: API keys
(tokens starting "ey") bound to one exact query text ("wrong query for API key"), session tokens
from the basic login provider, admin-only mutations. The generic ingest API keeps GoAlert's dedup
semantics. Outgoing webhooks (Verification, Alert, AlertStatus, Test) are POSTed to their URLs.

Use it in-process through `fake.transport()` (an httpx transport, no socket) or over HTTP with
`with fake.serve() as base_url:`. Faults: `fake.fail(kind, times=None)` with kind in
refuse | delay | 5xx | malformed | graphql_error.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from graphql import (GraphQLError, GraphQLSchema, build_schema, execute, get_operation_ast, parse,
                     validate)
from graphql.execution.values import get_variable_values

from tests.contracts import GOALERT_SCHEMA
from tests.fakes.goalert_store import (OPEN_STATUSES, PUBLIC_CONFIG, Actor, FakeGoAlertError, SentWebhook,
                                       Store, auto_dedup, fmt_ts, parse_ts, zone)

SCHEMA_PATH = GOALERT_SCHEMA

ADMIN_ONLY = {"createUser", "createGQLAPIKey", "updateGQLAPIKey", "deleteGQLAPIKey", "gqlAPIKeys",
              "setConfig", "setSystemLimits", "configHints"}


@lru_cache(maxsize=1)
def contract_schema() -> GraphQLSchema:
    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def _parsed(query: str) -> tuple[Any, tuple[GraphQLError, ...]]:
    """Parse and validate once per query text (GoAlert caches parsed queries too)."""
    document = parse(query)
    return document, tuple(validate(contract_schema(), document))


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


@dataclass
class Fault:
    kind: str
    remaining: int | None  # None: until cleared
    status: int = 503
    delay: float = 10.0
    message: str = "internal server error"


@dataclass
class Call:
    path: str
    operation: str | None
    status: int


class FakeGoAlert:
    def __init__(self, *, public_url: str = "http://goalert.test", admin_username: str = "admin",
                 admin_password: str = "admin-password", clock: Callable[[], datetime] | None = None,
                 webhook_sender: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.store = Store(public_url=public_url.rstrip("/"), **({"clock": clock} if clock else {}))
        self.admin = self.store.add_user(admin_username, admin_password, name="Admin", role="admin")
        self.calls: list[Call] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._webhook_sender = webhook_sender or _post_webhook
        self._resolvers = _Resolvers(self)

    # --- test controls ----------------------------------------------------------------------

    @property
    def public_url(self) -> str:
        return self.store.public_url

    @property
    def sent_webhooks(self) -> list[SentWebhook]:
        return self.store.sent_webhooks

    def fail(self, kind: str, *, times: int | None = None, status: int = 503, delay: float = 10.0,
             message: str = "internal server error") -> None:
        if kind not in ("refuse", "delay", "5xx", "malformed", "graphql_error"):
            raise ValueError(kind)
        with self._lock:
            self._faults.append(Fault(kind, times, status, delay, message))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def count(self, *, path: str | None = None, operation: str | None = None) -> int:
        return sum(1 for c in self.calls if (path is None or c.path == path)
                   and (operation is None or c.operation == operation))

    def operation_counts(self) -> Counter[str]:
        return Counter(c.operation or c.path for c in self.calls)

    def reset_counts(self) -> None:
        self.calls.clear()

    def _next_fault(self) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining is None or fault.remaining > 0:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
            return None

    # --- HTTP surface -----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes,
               fault: Fault | None = None) -> Response:
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in headers.items()}
        operation = None
        if url.path == "/api/graphql":
            with contextlib.suppress(ValueError, AttributeError):
                operation = json.loads(body or b"{}").get("operationName")
        if fault is not None and fault.kind in ("5xx", "malformed", "graphql_error"):
            response = _fault_response(fault)
        elif url.path == "/api/graphql":
            response = self._graphql(method, headers, body) if method == "POST" else Response(404, b"404 page not found\n")
        elif url.path == "/api/v2/identity/providers/basic":
            response = self._login(method, query, headers, body)
        elif url.path == "/api/v2/generic/incoming":
            response = self._generic_incoming(method, query, headers, body)
        else:
            response = Response(404, b"404 page not found\n")
        self.calls.append(Call(url.path, operation, response.status))
        return response

    def transport(self) -> httpx.MockTransport:
        """An in-process transport honouring the faults (refuse -> ConnectError, a delay longer
        than the request's read timeout -> ReadTimeout)."""

        def handler(request: httpx.Request) -> httpx.Response:
            fault = self._next_fault()
            if fault is not None and fault.kind == "refuse":
                raise httpx.ConnectError("connection refused", request=request)
            if fault is not None and fault.kind == "delay":
                read_timeout = (request.extensions.get("timeout") or {}).get("read")
                if read_timeout is not None and fault.delay >= read_timeout:
                    self.calls.append(Call(request.url.path, None, 0))
                    raise httpx.ReadTimeout("timed out", request=request)
                time.sleep(fault.delay)
            target = request.url.raw_path.decode()
            response = self.handle(request.method, target, dict(request.headers), request.read(), fault)
            self.flush_webhooks()
            return httpx.Response(response.status, content=response.body,
                                  headers={"Content-Type": response.content_type})

        return httpx.MockTransport(handler)

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on 127.0.0.1 (a free port) in a background thread; yields the base URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = fake._next_fault()
                if fault is not None and fault.kind == "refuse":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.delay)
                response = fake.handle(self.command, self.path, dict(self.headers.items()), body, fault)
                try:
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.content_type)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up (timeout): as with GoAlert, the work is done anyway
                fake.flush_webhooks()

            do_GET = do_POST = do_PUT = do_DELETE = _any

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def flush_webhooks(self) -> None:
        """Deliver queued outgoing webhooks (after the answer, outside the state lock)."""
        with self.store.lock:
            pending, self.store.outbox[:] = list(self.store.outbox), []
            self.store.sent_webhooks.extend(pending)
        for hook in pending:
            self._webhook_sender(hook.url, hook.body)

    # --- login ------------------------------------------------------------------------------

    def _login(self, method: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        if method != "POST":
            return Response(405, b"Method Not Allowed\n")
        form = dict(urllib.parse.parse_qsl(body.decode(errors="replace")))
        referer = urllib.parse.urlsplit(headers.get("referer", ""))
        if not referer.scheme or not referer.netloc:
            return Response(307, b"")  # GoAlert redirects a login without a Referer
        try:
            with self.store.lock:
                token = self.store.login(form.get("username", ""), form.get("password", ""))
        except FakeGoAlertError as exc:
            if query.get("noRedirect") == "1":
                return Response(400, str(exc).encode())
            return Response(302, b"")
        if query.get("noRedirect") != "1":
            return Response(302, b"")  # a browser login: cookie + redirect, no token in the body
        return Response(200, token.encode())

    # --- GraphQL ----------------------------------------------------------------------------

    def _authenticate(self, headers: dict[str, str]) -> tuple[Actor | None, dict[str, Any] | None]:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return None, None
        with self.store.lock:
            if token.startswith("ey"):
                key = next((k for k in self.store.api_keys.values() if k["token"] == token), None)
                if key is None or parse_ts(key["expiresAt"]) <= self.store.clock():
                    return None, None
                return Actor(key["role"], f"{key['name']} (GraphQL API)", api_key_id=key["id"]), key
            user_id = self.store.sessions.get(token)
            if user_id is None or user_id not in self.store.users:
                return None, None
            user = self.store.users[user_id]
            return Actor(user["role"], user["name"], user_id=user_id), None

    def _graphql(self, method: str, headers: dict[str, str], body: bytes) -> Response:
        actor, key = self._authenticate(headers)
        if actor is None:
            return Response(401, b"unauthorized\n")
        try:
            params = json.loads(body)
            if not isinstance(params, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            return _json(400, {"errors": [{"message": f"json request body could not be decoded: {exc}"}],
                               "data": None})
        query = params.get("query") or (key["query"] if key else "")
        if key is not None and key["query"] != query:  # GoAlert checks this before parsing anything
            return _json(200, {"errors": [{"message": "wrong query for API key",
                                           "extensions": {"code": "invalid_query"}}], "data": None})
        if not query:
            return _json(422, _protocol_error("no operation provided", "GRAPHQL_VALIDATION_FAILED"))
        schema = contract_schema()
        try:
            document, errors = _parsed(query)
        except GraphQLError as exc:
            return _json(422, _protocol_error(exc.message, "GRAPHQL_PARSE_FAILED", exc))
        if errors:
            return _json(422, {"errors": [_error(e, "GRAPHQL_VALIDATION_FAILED") for e in errors], "data": None})
        op_name = params.get("operationName") or None
        op = get_operation_ast(document, op_name)
        if op is None:
            return _json(422, _protocol_error(f"operation {op_name or ''} not found".replace("  ", " "),
                                              "GRAPHQL_VALIDATION_FAILED"))
        coerced = get_variable_values(schema, op.variable_definitions or (), params.get("variables") or {})
        if isinstance(coerced, list):
            return _json(422, {"errors": [_error(e, "GRAPHQL_VALIDATION_FAILED") for e in coerced], "data": None})
        with self.store.lock:
            result = execute(schema, document, root_value=self._resolvers, context_value=actor,
                             variable_values=params.get("variables") or {}, operation_name=op_name,
                             field_resolver=self._resolvers.field)
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        payload["data"] = result.data
        return _json(200, payload)

    # --- generic incoming -------------------------------------------------------------------

    def _generic_incoming(self, method: str, query: dict[str, str], headers: dict[str, str],
                          body: bytes) -> Response:
        if method != "POST":
            return Response(405, b"Method Not Allowed\n")
        token = query.get("token") or headers.get("authorization", "")[7:].strip()
        with self.store.lock:
            if not _is_uuid(token):
                return Response(400, b"invalid token header format\n")
            key = self.store.integration_keys.get(token)
            if key is None or key["type"] != "generic" or key["serviceID"] not in self.store.services:
                return Response(401, b"unauthorized\n")
            fields = {k: query.get(k, "") for k in ("summary", "details", "action", "dedup")}
            content_type = headers.get("content-type", "").split(";")[0].strip()
            if content_type == "application/json":
                try:
                    data = json.loads(body or b"null")
                    if not isinstance(data, dict):
                        raise ValueError("json: cannot unmarshal into a struct")
                except ValueError as exc:
                    return Response(400, f"{exc}\n".encode())
                fields.update({k.lower(): str(v) for k, v in data.items()
                               if k.lower() in fields and v is not None})
            elif content_type == "application/x-www-form-urlencoded":
                form = dict(urllib.parse.parse_qsl(body.decode(errors="replace")))
                fields.update({k: v for k, v in form.items() if k in fields})
            try:
                alert, is_new = self._ingest(key, fields)
            except FakeGoAlertError as exc:
                return Response(400, f"{exc}\n".encode())
        if headers.get("accept") != "application/json":
            return Response(204)
        answer = {"AlertID": alert["alertID"] if alert else 0, "ServiceID": alert["serviceID"] if alert else "",
                  "IsNew": is_new}
        return _json(200, answer)

    def _ingest(self, key: dict[str, Any], fields: dict[str, str]) -> tuple[dict[str, Any] | None, bool]:
        # GoAlert accepts an empty summary here (the alert gets an empty one) and logs
        # "<verb> via <key name> integration (Generic API)".
        summary, details, dedup = fields["summary"][:2048], fields["details"][:6 * 1024], fields["dedup"]
        source = f"{key['name']} integration (Generic API)"
        if fields["action"] != "close":
            return self.store.trigger(key["serviceID"], summary, details, dedup or None, source, allow_empty=True)
        match = dedup or auto_dedup(summary, details)
        alert = self.store.open_alert(key["serviceID"], match)
        if alert is not None:
            self.store.set_status(alert, "StatusClosed", source, via=True)
        return alert, False


class _Resolvers:
    """Root and field resolvers over the store; each returns GraphQL-shaped dicts."""

    def __init__(self, fake: FakeGoAlert) -> None:
        self.fake = fake
        self.store = fake.store

    def field(self, source: Any, info: Any, **args: Any) -> Any:
        parent = info.parent_type.name
        name = info.field_name
        actor: Actor = info.context
        if parent in ("Query", "Mutation"):
            if name in ADMIN_ONLY or (name == "config" and args.get("all")):
                if not actor.is_admin:
                    raise GraphQLError("access denied: admin role required")
            method = getattr(self, f"{parent.lower()}_{name}", None)
            if method is None:
                raise GraphQLError(f"{parent}.{name} is not implemented by the fake GoAlert")
            try:
                return method(actor, **args)
            except FakeGoAlertError as exc:
                raise GraphQLError(str(exc)) from exc
        computed = getattr(self, f"{parent}_{name}", None)
        if computed is not None:
            return computed(source, **args)
        return source.get(name) if isinstance(source, dict) else getattr(source, name, None)

    # --- computed fields --------------------------------------------------------------------

    def User_contactMethods(self, user: dict[str, Any]) -> list[dict[str, Any]]:
        return [self._cm(cm) for cm in self.store.contact_methods.values() if cm["userID"] == user["id"]]

    def Service_onCallUsers(self, service: dict[str, Any]) -> list[dict[str, Any]]:
        return self.store.on_call_users(service)

    def Service_integrationKeys(self, service: dict[str, Any]) -> list[dict[str, Any]]:
        return [self._key(k) for k in self.store.integration_keys.values() if k["serviceID"] == service["id"]]

    def Service_labels(self, service: dict[str, Any]) -> list[dict[str, str]]:
        return [{"key": k, "value": v} for k, v in sorted(service["labels"].items())]

    def Schedule_shifts(self, schedule: dict[str, Any], start: str, end: str,
                        userIDs: list[str] | None = None) -> list[dict[str, Any]]:
        shifts = self.store.shifts(schedule, parse_ts(start, "start"), parse_ts(end, "end"))
        return [dict(s, user=self._user(self.store.users.get(s["userID"]))) for s in shifts
                if not userIDs or s["userID"] in userIDs]

    def Schedule_targets(self, schedule: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"scheduleID": schedule["id"], "target": self._target(t["target"]),
                 "rules": [{"id": "", "scheduleID": schedule["id"], "start": r.get("start") or "00:00",
                            "end": r.get("end") or "00:00", "weekdayFilter": r.get("weekdayFilter") or [True] * 7,
                            "target": self._target(t["target"])} for r in t["rules"]]}
                for t in schedule["targets"]]

    def Alert_recentEvents(self, alert: dict[str, Any], input: dict[str, Any] | None = None) -> dict[str, Any]:
        limit = (input or {}).get("limit") or 15
        nodes = list(reversed(alert["log"]))[:limit]
        return {"nodes": nodes, "pageInfo": {"endCursor": None, "hasNextPage": len(alert["log"]) > limit}}

    def _target(self, target: dict[str, Any]) -> dict[str, Any]:
        table = {"user": self.store.users, "rotation": self.store.rotations,
                 "schedule": self.store.schedules}.get(target["type"], {})
        return {"id": target["id"], "type": target["type"], "name": (table.get(target["id"]) or {}).get("name", "")}

    # --- views ------------------------------------------------------------------------------

    @staticmethod
    def _user(user: dict[str, Any] | None) -> dict[str, Any] | None:
        if user is None:
            return None
        return {k: user[k] for k in ("id", "name", "email", "role")} | {"isFavorite": False}

    @staticmethod
    def _cm(cm: dict[str, Any]) -> dict[str, Any]:
        return {"id": cm["id"], "name": cm["name"], "type": "WEBHOOK", "value": cm["url"],
                "formattedValue": cm["url"], "dest": {"type": "builtin-webhook", "args": {"webhook_url": cm["url"]}},
                "disabled": cm["disabled"], "pending": cm["pending"], "statusUpdates": cm["statusUpdates"],
                "userID": cm["userID"]}

    def _key(self, key: dict[str, Any]) -> dict[str, Any]:
        return dict(key, href=f"{self.store.public_url}/api/v2/generic/incoming?token={key['id']}")

    @staticmethod
    def _policy(policy: dict[str, Any]) -> dict[str, Any]:
        return dict(policy, steps=[dict(s, stepNumber=i) for i, s in enumerate(policy["steps"])])

    @staticmethod
    def _page(items: list[Any], first: int | None, after: str | None) -> dict[str, Any]:
        offset = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        first = first or 15
        window = items[offset:offset + first]
        more = offset + first < len(items)
        cursor = base64.urlsafe_b64encode(str(offset + first).encode()).decode() if more else None
        return {"nodes": window, "pageInfo": {"endCursor": cursor, "hasNextPage": more}}

    def _may_edit_user(self, actor: Actor, user_id: str) -> None:
        if not actor.is_admin and actor.user_id != user_id:
            raise FakeGoAlertError("access denied: admin role required")

    # --- queries ----------------------------------------------------------------------------

    def query_user(self, actor: Actor, id: str | None = None) -> dict[str, Any] | None:
        if id is None:
            if actor.user_id is None:
                raise FakeGoAlertError("access denied: not a user session")
            id = actor.user_id
        return self._user(self.store.users.get(id))

    def query_users(self, actor: Actor, input: dict[str, Any] | None = None, first: int = 15,
                    after: str = "", search: str = "") -> dict[str, Any]:
        opts = input or {}
        search = (opts.get("search") or search or "").casefold()
        found = [self._user(u) for u in sorted(self.store.users.values(), key=lambda u: u["name"].casefold())
                 if search in u["name"].casefold() or search in u["email"].casefold()]
        return self._page(found, opts.get("first", first), opts.get("after", after) or None)

    def query_userContactMethod(self, actor: Actor, id: str) -> dict[str, Any] | None:
        cm = self.store.contact_methods.get(id)
        return self._cm(cm) if cm else None

    def query_service(self, actor: Actor, id: str) -> dict[str, Any] | None:
        return self.store.services.get(id)

    def query_services(self, actor: Actor, input: dict[str, Any] | None = None) -> dict[str, Any]:
        opts = input or {}
        search = (opts.get("search") or "").casefold()
        found = [s for s in sorted(self.store.services.values(), key=lambda s: s["name"].casefold())
                 if search in s["name"].casefold() and (not opts.get("only") or s["id"] in opts["only"])
                 and s["id"] not in (opts.get("omit") or [])]
        return self._page(found, opts.get("first"), opts.get("after") or None)

    def query_escalationPolicy(self, actor: Actor, id: str) -> dict[str, Any] | None:
        policy = self.store.policies.get(id)
        return self._policy(policy) if policy else None

    def query_schedule(self, actor: Actor, id: str) -> dict[str, Any] | None:
        return self.store.schedules.get(id)

    def query_schedules(self, actor: Actor, input: dict[str, Any] | None = None) -> dict[str, Any]:
        opts = input or {}
        search = (opts.get("search") or "").casefold()
        found = [s for s in sorted(self.store.schedules.values(), key=lambda s: s["name"].casefold())
                 if search in s["name"].casefold()]
        return self._page(found, opts.get("first"), opts.get("after") or None)

    def query_userOverrides(self, actor: Actor, input: dict[str, Any] | None = None) -> dict[str, Any]:
        opts = input or {}
        start = parse_ts(opts["start"]) if opts.get("start") else None
        end = parse_ts(opts["end"]) if opts.get("end") else None
        found = [self._override(o) for o in self.store.overrides.values()
                 if (not opts.get("scheduleID") or o["scheduleID"] == opts["scheduleID"])
                 and (start is None or parse_ts(o["end"]) > start) and (end is None or parse_ts(o["start"]) < end)]
        return self._page(sorted(found, key=lambda o: o["start"]), opts.get("first"), opts.get("after") or None)

    def query_alert(self, actor: Actor, id: int) -> dict[str, Any] | None:
        return self.store.alerts.get(id)

    def query_alerts(self, actor: Actor, input: dict[str, Any] | None = None) -> dict[str, Any]:
        opts = input or {}
        statuses = opts.get("filterByStatus") or []
        services = opts.get("filterByServiceID") or []
        search = (opts.get("search") or "").casefold()
        found = [a for a in self.store.alerts.values()
                 if (not statuses or a["status"] in statuses) and (not services or a["serviceID"] in services)
                 and search in a["summary"].casefold() and a["alertID"] not in (opts.get("omit") or [])]
        order = {"StatusUnacknowledged": 0, "StatusAcknowledged": 1, "StatusClosed": 2}
        found.sort(key=lambda a: (order[a["status"]], -a["alertID"]))
        return self._page(found, opts.get("first"), opts.get("after") or None)

    def query_config(self, actor: Actor, all: bool | None = None) -> list[dict[str, Any]]:
        ids = sorted(self.store.config) if all else PUBLIC_CONFIG
        kinds = {"Webhook.Enable": "boolean", "Webhook.AllowedURLs": "stringList"}
        return [{"id": i, "description": "", "value": self.store.config[i], "type": kinds.get(i, "string"),
                 "password": False, "deprecated": ""} for i in ids]

    def query_gqlAPIKeys(self, actor: Actor) -> list[dict[str, Any]]:
        return [{k: v for k, v in key.items() if k != "token"} | {"lastUsed": None, "createdBy": None,
                                                                   "updatedBy": None}
                for key in self.store.api_keys.values()]

    # --- mutations: users -------------------------------------------------------------------

    def mutation_createUser(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        user = self.store.add_user(input["username"], input["password"], name=input.get("name"),
                                   email=input.get("email"), role=input.get("role") or "user")
        return self._user(user)

    def mutation_updateUser(self, actor: Actor, input: dict[str, Any]) -> bool:
        user = self.store.require(self.store.users, input["id"], "user")
        self._may_edit_user(actor, user["id"])
        if input.get("role") is not None and not actor.is_admin:
            raise FakeGoAlertError("access denied: admin role required")
        for key in ("name", "email", "role"):
            if input.get(key) is not None:
                user[key] = input[key]
        return True

    def mutation_createUserContactMethod(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        self._may_edit_user(actor, input["userID"])
        dest = input.get("dest")
        if dest and input.get("value"):
            raise FakeGoAlertError("only one of value or dest may be set")
        if dest:
            if dest.get("type") != "builtin-webhook":
                raise FakeGoAlertError(f"destination type {dest.get('type')} is disabled")
            url = (dest.get("args") or {}).get("webhook_url") or ""
        elif input.get("type") == "WEBHOOK":
            url = input.get("value") or ""
        else:
            raise FakeGoAlertError("contact method type is disabled")
        rule = input.get("newUserNotificationRule")
        cm = self.store.add_contact_method(input["userID"], input["name"], url,
                                           status_updates=bool(input.get("enableStatusUpdates")),
                                           rule_delay=rule["delayMinutes"] if rule else None)
        return self._cm(cm)

    def mutation_sendContactMethodVerification(self, actor: Actor, input: dict[str, Any]) -> bool:
        cm = self.store.require(self.store.contact_methods, input["contactMethodID"], "contact method")
        self._may_edit_user(actor, cm["userID"])
        self.store.send_verification(cm["id"])
        return True

    def mutation_verifyContactMethod(self, actor: Actor, input: dict[str, Any]) -> bool:
        cm = self.store.require(self.store.contact_methods, input["contactMethodID"], "contact method")
        self._may_edit_user(actor, cm["userID"])
        self.store.verify(cm["id"], input["code"])
        return True

    def mutation_testContactMethod(self, actor: Actor, id: str) -> bool:
        cm = self.store.require(self.store.contact_methods, id, "contact method")
        self._may_edit_user(actor, cm["userID"])
        if cm["pending"] or cm["disabled"]:
            raise FakeGoAlertError("contact method is disabled or not verified")
        self.store.outbox.append(SentWebhook(cm["url"], {"AppName": "GoAlert", "Type": "Test"}))
        return True

    def mutation_deleteAll(self, actor: Actor, input: list[dict[str, Any]] | None = None) -> bool:
        tables = {"user": self.store.users, "service": self.store.services,
                  "escalationPolicy": self.store.policies, "schedule": self.store.schedules,
                  "rotation": self.store.rotations, "userOverride": self.store.overrides,
                  "contactMethod": self.store.contact_methods, "integrationKey": self.store.integration_keys}
        for target in input or []:
            if target["type"] not in tables:
                raise FakeGoAlertError(f"delete not supported for target type {target['type']}")
            try:
                uuid.UUID(target["id"])
            except ValueError:
                raise FakeGoAlertError("invalid value for 'id': must be a valid UUID") from None
            if target["type"] == "user" and not actor.is_admin:
                raise FakeGoAlertError("access denied: admin role required")
            if target["type"] == "escalationPolicy" and any(
                    s["escalationPolicyID"] == target["id"] for s in self.store.services.values()):
                raise FakeGoAlertError("policy is currently in use by one or more services")
        for target in input or []:
            tables[target["type"]].pop(target["id"], None)
            if target["type"] == "service":
                for key_id in [k for k, v in self.store.integration_keys.items() if v["serviceID"] == target["id"]]:
                    del self.store.integration_keys[key_id]
            if target["type"] == "user":
                for cm_id in [k for k, v in self.store.contact_methods.items() if v["userID"] == target["id"]]:
                    del self.store.contact_methods[cm_id]
        return True

    # --- mutations: services, keys, policies ------------------------------------------------

    def mutation_createService(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        self.store.unique_name(self.store.services, input["name"], "service")
        policy_id = input.get("escalationPolicyID")
        if input.get("newEscalationPolicy"):
            policy_id = self.mutation_createEscalationPolicy(actor, input["newEscalationPolicy"])["id"]
        if not policy_id:
            raise FakeGoAlertError("invalid value for 'escalationPolicyID': required")
        self.store.require(self.store.policies, policy_id, "escalation policy")
        service = {"id": str(uuid.uuid4()), "name": input["name"], "description": input.get("description") or "",
                   "escalationPolicyID": policy_id, "labels": {}, "isFavorite": False,
                   "maintenanceExpiresAt": None, "heartbeatMonitors": [], "notices": []}
        for label in input.get("labels") or []:
            service["labels"][label["key"]] = label["value"]
        self.store.services[service["id"]] = service
        for key in input.get("newIntegrationKeys") or []:
            self.mutation_createIntegrationKey(actor, dict(key, serviceID=service["id"]))
        return service

    def mutation_updateService(self, actor: Actor, input: dict[str, Any]) -> bool:
        service = self.store.require(self.store.services, input["id"], "service")
        if input.get("escalationPolicyID"):
            self.store.require(self.store.policies, input["escalationPolicyID"], "escalation policy")
        if input.get("name") and input["name"] != service["name"]:
            self.store.unique_name(self.store.services, input["name"], "service")
        for key in ("name", "description", "escalationPolicyID"):
            if input.get(key) is not None:
                service[key] = input[key]
        return True

    def mutation_setLabel(self, actor: Actor, input: dict[str, Any]) -> bool:
        target = input.get("target") or {}
        if target.get("type") != "service":
            raise FakeGoAlertError("labels are only supported on services")
        service = self.store.require(self.store.services, target["id"], "service")
        if input["value"]:
            service["labels"][input["key"]] = input["value"]
        else:
            service["labels"].pop(input["key"], None)
        return True

    def mutation_createIntegrationKey(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        self.store.require(self.store.services, input.get("serviceID"), "service")
        if input["type"] not in ("generic", "grafana", "site24x7", "prometheusAlertmanager"):
            raise FakeGoAlertError(f"integration key type {input['type']} is disabled")
        if not input["name"].strip():
            raise FakeGoAlertError("invalid value for 'name': must not be empty")
        key = {"id": str(uuid.uuid4()), "serviceID": input["serviceID"], "type": input["type"],
               "name": input["name"], "externalSystemName": input.get("externalSystemName")}
        self.store.integration_keys[key["id"]] = key
        return self._key(key)

    def mutation_createEscalationPolicy(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        self.store.unique_name(self.store.policies, input["name"], "escalation policy")
        repeat = input.get("repeat", 3)
        if repeat is None or not 0 <= repeat <= 5:
            raise FakeGoAlertError("invalid value for 'repeat': must be between 0 and 5")
        steps = [self._step(s) for s in input.get("steps") or []]
        policy = {"id": str(uuid.uuid4()), "name": input["name"], "description": input.get("description") or "",
                  "repeat": repeat, "isFavorite": False, "assignedTo": [], "notices": [], "steps": steps}
        self.store.policies[policy["id"]] = policy
        return self._policy(policy)

    def mutation_createEscalationPolicyStep(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        policy = self.store.require(self.store.policies, input.get("escalationPolicyID"), "escalation policy")
        step = self._step(input)
        policy["steps"].append(step)
        return dict(step, stepNumber=len(policy["steps"]) - 1)

    def _step(self, step: dict[str, Any]) -> dict[str, Any]:
        if step.get("targets"):
            raise FakeGoAlertError("targets are deprecated: use actions")
        if step["delayMinutes"] < 1:
            raise FakeGoAlertError("invalid value for 'delayMinutes': must be at least 1")
        return {"id": str(uuid.uuid4()), "delayMinutes": step["delayMinutes"],
                "actions": [self.store.check_action(a) for a in step.get("actions") or []]}

    # --- mutations: schedules ---------------------------------------------------------------

    def mutation_createRotation(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        self.store.unique_name(self.store.rotations, input["name"], "rotation")
        zone(input["timeZone"])
        if (input.get("shiftLength") or 1) < 1:
            raise FakeGoAlertError("invalid value for 'shiftLength': must be at least 1")
        for user_id in input.get("userIDs") or []:
            self.store.require(self.store.users, user_id, "user")
        rotation = {"id": str(uuid.uuid4()), "name": input["name"], "description": input.get("description") or "",
                    "timeZone": input["timeZone"], "start": fmt_ts(parse_ts(input["start"], "start")),
                    "type": input["type"], "shiftLength": input.get("shiftLength") or 1,
                    "userIDs": list(input.get("userIDs") or []), "isFavorite": False, "activeUserIndex": 0}
        self.store.rotations[rotation["id"]] = rotation
        return rotation

    def mutation_createSchedule(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        self.store.unique_name(self.store.schedules, input["name"], "schedule")
        zone(input["timeZone"])
        targets = []
        for item in input.get("targets") or []:
            if item.get("newRotation"):
                target = {"type": "rotation", "id": self.mutation_createRotation(actor, item["newRotation"])["id"]}
            elif item.get("target"):
                target = {"type": item["target"]["type"], "id": item["target"]["id"]}
                table = {"rotation": self.store.rotations, "user": self.store.users}.get(target["type"])
                if table is None:
                    raise FakeGoAlertError("invalid value for 'target.type': must be rotation or user")
                self.store.require(table, target["id"], target["type"])
            else:
                raise FakeGoAlertError("invalid value for 'target': required")
            for rule in item["rules"]:
                if rule.get("weekdayFilter") is not None and len(rule["weekdayFilter"]) != 7:
                    raise FakeGoAlertError("invalid value for 'weekdayFilter': must have 7 values")
            targets.append({"target": target, "rules": [dict(r) for r in item["rules"]]})
        schedule = {"id": str(uuid.uuid4()), "name": input["name"], "description": input.get("description") or "",
                    "timeZone": input["timeZone"], "targets": targets, "isFavorite": False}
        self.store.schedules[schedule["id"]] = schedule
        for override in input.get("newUserOverrides") or []:
            self.mutation_createUserOverride(actor, dict(override, scheduleID=schedule["id"]))
        return schedule

    def mutation_createUserOverride(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        if not input.get("scheduleID"):
            raise FakeGoAlertError("invalid value for 'scheduleID': required")
        self.store.require(self.store.schedules, input["scheduleID"], "schedule")
        start, end = parse_ts(input["start"], "start"), parse_ts(input["end"], "end")
        if end <= start:
            raise FakeGoAlertError("invalid value for 'end': must be after start time")
        if end <= self.store.clock():
            raise FakeGoAlertError("invalid value for 'end': must be in the future")
        add, remove = input.get("addUserID"), input.get("removeUserID")
        if not add and not remove:
            raise FakeGoAlertError("invalid value for 'addUserID': one of add or remove user is required")
        if add and add == remove:
            raise FakeGoAlertError("invalid value for 'addUserID': cannot be the same as removeUserID")
        for user_id in filter(None, (add, remove)):
            self.store.require(self.store.users, user_id, "user")
        override = {"id": str(uuid.uuid4()), "scheduleID": input["scheduleID"], "start": fmt_ts(start),
                    "end": fmt_ts(end), "addUserID": add or "", "removeUserID": remove or ""}
        self.store.overrides[override["id"]] = override
        return self._override(override)

    def _override(self, override: dict[str, Any]) -> dict[str, Any]:
        schedule = self.store.schedules.get(override["scheduleID"]) or {}
        return dict(override, addUser=self._user(self.store.users.get(override["addUserID"])),
                    removeUser=self._user(self.store.users.get(override["removeUserID"])),
                    target={"id": override["scheduleID"], "type": "schedule", "name": schedule.get("name", "")})

    # --- mutations: alerts ------------------------------------------------------------------

    def mutation_createAlert(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any] | None:
        alert, _ = self.store.trigger(input["serviceID"], input["summary"], input.get("details") or "",
                                      input.get("dedup"), "GraphQL API")
        return alert

    def mutation_closeMatchingAlert(self, actor: Actor, input: dict[str, Any]) -> bool:
        self.store.require(self.store.services, input["serviceID"], "service")
        dedup = input.get("dedup")
        if not dedup:
            if not input.get("summary"):
                raise FakeGoAlertError("invalid value for 'dedup': dedup or summary is required")
            dedup = auto_dedup(input["summary"], input.get("details") or "")
        alert = self.store.open_alert(input["serviceID"], dedup)
        if alert is not None:
            self.store.set_status(alert, "StatusClosed", _log_actor(actor))
        return True

    def mutation_updateAlerts(self, actor: Actor, input: dict[str, Any]) -> list[dict[str, Any]]:
        status = input.get("newStatus")
        if status not in ("StatusAcknowledged", "StatusClosed"):
            raise FakeGoAlertError("invalid value for 'newStatus': must be acknowledged or closed")
        updated = []
        for alert_id in input["alertIDs"]:
            alert = self.store.alerts.get(alert_id)
            if alert is not None and self.store.set_status(alert, status, _log_actor(actor)):
                updated.append(alert)
        return updated

    def mutation_escalateAlerts(self, actor: Actor, input: list[int] | None = None) -> list[dict[str, Any]]:
        escalated = []
        for alert_id in input or []:
            alert = self.store.alerts.get(alert_id)
            if alert is not None and alert["status"] in OPEN_STATUSES:
                self.store.escalate(alert, actor.name)
                escalated.append(alert)
        return escalated

    # --- mutations: administration ----------------------------------------------------------

    def mutation_createGQLAPIKey(self, actor: Actor, input: dict[str, Any]) -> dict[str, Any]:
        if not input["name"].strip():
            raise FakeGoAlertError("invalid value for 'name': must not be empty")
        if any(k["name"] == input["name"] for k in self.store.api_keys.values()):
            raise FakeGoAlertError("invalid value for 'name': already in use")
        if parse_ts(input["expiresAt"], "expiresAt") <= self.store.clock():
            raise FakeGoAlertError("invalid value for 'expiresAt': must be in the future")
        if input["role"] not in ("user", "admin"):
            raise FakeGoAlertError("invalid value for 'role': must be user or admin")
        if input["role"] == "admin" and not actor.is_admin:
            raise FakeGoAlertError("access denied: admin role required")
        try:
            query_errors = validate(contract_schema(), parse(input["query"]))
        except GraphQLError as exc:
            query_errors = [exc]
        if query_errors:
            raise FakeGoAlertError(f"invalid value for 'query': {query_errors[0].message}")
        key_id = str(uuid.uuid4())
        header = base64.urlsafe_b64encode(b'{"alg":"ES224","typ":"JWT"}').decode().rstrip("=")
        token = f"{header}.{base64.urlsafe_b64encode(json.dumps({'sub': key_id}).encode()).decode().rstrip('=')}" \
                f".{secrets.token_urlsafe(32)}"
        now = fmt_ts(self.store.clock())
        self.store.api_keys[key_id] = {"id": key_id, "name": input["name"], "description": input["description"],
                                       "token": token, "query": input["query"], "role": input["role"],
                                       "expiresAt": fmt_ts(parse_ts(input["expiresAt"])), "createdAt": now,
                                       "updatedAt": now}
        return {"id": key_id, "token": token}

    def mutation_deleteGQLAPIKey(self, actor: Actor, id: str) -> bool:
        self.store.require(self.store.api_keys, id, "API key")
        del self.store.api_keys[id]
        return True

    def mutation_setConfig(self, actor: Actor, input: list[dict[str, Any]] | None = None) -> bool:
        for item in input or []:
            if item["id"] not in self.store.config:
                raise FakeGoAlertError(f"unknown config field '{item['id']}'")
            if item["id"] == "Webhook.Enable" and item["value"] not in ("true", "false"):
                raise FakeGoAlertError("invalid value for 'Webhook.Enable': must be true or false")
        for item in input or []:
            self.store.config[item["id"]] = item["value"]
        return True


def _post_webhook(url: str, body: dict[str, Any]) -> None:
    """GoAlert: POST JSON, 3 s timeout, no auth header, status ignored, errors only logged."""
    if not url.startswith("http://127.0.0.1") and not url.startswith("http://localhost"):
        return  # tests never send traffic off this machine
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(url, json=body, timeout=3.0)


def _log_actor(actor: Actor) -> str:
    return actor.name if actor.user_id else ""


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(status, json.dumps(payload).encode(), "application/json")


def _error(error: GraphQLError, code: str) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message, "extensions": {"code": code}}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return out


def _protocol_error(message: str, code: str, error: GraphQLError | None = None) -> dict[str, Any]:
    return {"errors": [_error(error, code) if error else {"message": message, "extensions": {"code": code}}],
            "data": None}


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "5xx":
        return Response(fault.status, b"Internal Server Error\n")
    if fault.kind == "malformed":
        return Response(200, b'{"data": {"unterminated', "application/json")
    return _json(200, {"errors": [{"message": fault.message}], "data": None})


__all__ = ["FakeGoAlert", "contract_schema"]
