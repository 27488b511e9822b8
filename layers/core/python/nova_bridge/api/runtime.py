"""The API runtime every API function shares.

API Gateway (HTTP API, payload format 2.0) has already matched the route, so a function
dispatches on `routeKey` to its operation. The runtime parses and validates the request against
the catalogue's models, authorizes the caller from the JWT claims the authorizer verified,
honours Idempotency-Key, and turns every error into an RFC 9457 problem. Operations stay thin:
call one domain function, return a model.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from nova_bridge import catalogue
from nova_bridge.catalogue import Route
from nova_bridge.domain.auth import Caller, authorize, caller_from_claims
from nova_bridge.errors import (
    BridgeError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)

logger = logging.getLogger("nova_bridge.api")

PROBLEM_JSON = "application/problem+json"
# Path parameters that are Nova UUIDs; anything else is opaque text.
_UUID_PARAMS = frozenset({"monitor_id", "alert_id", "incident_id"})


@dataclass
class Request:
    route: Route
    caller: Caller | None
    path: dict[str, Any]
    headers: dict[str, str]
    raw_body: bytes
    query: Any = None  # the route's query model instance, if any
    body: Any = None  # the route's body model instance, if any
    request_id: str = ""

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class Response:
    status: int
    body: Any = None  # pydantic model, dict/list, str (with content_type), or None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


Operation = Callable[[Request, Any], Any]


def resolve_model(ref: str | None) -> type[BaseModel] | None:
    if ref is None:
        return None
    module, _, name = ref.partition(":")
    return getattr(import_module(module), name)


def problem_response(exc: BridgeError, instance: str | None = None) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:nova:problem:{exc.slug}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(exc.extra)
    headers = {"Retry-After": "30"} if exc.status == 503 else {}
    return Response(exc.status, body, headers, PROBLEM_JSON)


def validation_problem(err: ValidationError, where: str) -> ValidationFailed:
    errors = []
    for e in err.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in (where, *e["loc"]))
        errors.append({"field": loc, "message": e["msg"], "type": e["type"]})
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return ValidationFailed(summary, errors=errors)


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    return {k.lower(): v for k, v in (event.get("headers") or {}).items()}


def raw_body(event: Mapping[str, Any], max_bytes: int) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    data = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The body has {len(data)} bytes; the limit is {max_bytes}.")
    return data


def _parse_json_body(route: Route, data: bytes, headers: dict[str, str]) -> Any:
    if not data.strip():
        return {}
    content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise UnsupportedMediaType(f"Send the body as application/json, not {content_type}.")
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"The body is not valid JSON: {exc}") from None


def _path_params(route: Route, event: Mapping[str, Any]) -> dict[str, Any]:
    params = dict(event.get("pathParameters") or {})
    for name in list(params):
        if name in _UUID_PARAMS:
            try:
                params[name] = UUID(params[name])
            except (ValueError, TypeError):
                # A malformed id can never name an existing resource.
                raise NotFound(f"No {name.removesuffix('_id')} with id {params[name]!r}.", field=f"path.{name}") from None
    return params


def _query_params(event: Mapping[str, Any]) -> dict[str, str]:
    # API Gateway joins repeated keys with commas in queryStringParameters.
    return dict(event.get("queryStringParameters") or {})


class ApiFunction:
    """The Lambda entry point of one API function: `handler = ApiFunction(name, operations, deps)`."""

    def __init__(self, name: str, operations: Mapping[str, Operation], deps_factory: Callable[[], Any]) -> None:
        self.name = name
        self.routes = {r.route_key: r for r in catalogue.routes_of(name)}
        missing = {r.operation for r in self.routes.values()} - set(operations)
        extra = set(operations) - {r.operation for r in self.routes.values()}
        if missing or extra:
            raise RuntimeError(f"{name}: operations do not match the catalogue (missing {missing}, extra {extra})")
        self.operations = dict(operations)
        self._deps_factory = deps_factory
        self._deps: Any = None
        self._models: dict[str, tuple[type[BaseModel] | None, type[BaseModel] | None]] = {}

    def deps(self) -> Any:
        if self._deps is None:
            self._deps = self._deps_factory()
        return self._deps

    def _models_for(self, route: Route) -> tuple[type[BaseModel] | None, type[BaseModel] | None]:
        if route.route_key not in self._models:
            self._models[route.route_key] = (resolve_model(route.query), resolve_model(route.body))
        return self._models[route.route_key]

    def __call__(self, event: Mapping[str, Any], context: Any = None, deps: Any = None) -> dict[str, Any]:
        deps = deps if deps is not None else self.deps()
        request_id = (event.get("requestContext") or {}).get("requestId", "")
        path = event.get("rawPath") or ""
        try:
            route = self.routes.get(event.get("routeKey", ""))
            if route is None:
                raise NotFound(f"No route {event.get('routeKey')!r} in the {self.name} function.")
            response = self._handle(route, event, deps, request_id)
        except BridgeError as exc:
            response = problem_response(exc, path)
        except Exception:  # noqa: BLE001 - the last line of defence: never leak internals
            logger.exception("unhandled error", extra={"route": event.get("routeKey"), "request_id": request_id})
            response = problem_response(BridgeError("An unexpected error occurred; it has been logged."), path)
        return to_api_gateway(response, request_id)

    def _handle(self, route: Route, event: Mapping[str, Any], deps: Any, request_id: str) -> Response:
        headers = _headers(event)
        caller = None
        if route.auth == catalogue.JWT:
            claims = (((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}).get("claims")
            caller = caller_from_claims(claims, deps.settings)
            authorize(caller, route.permission)
        data = raw_body(event, deps.settings.max_body_bytes)
        request = Request(route, caller, _path_params(route, event), headers, data, request_id=request_id)
        query_model, body_model = self._models_for(route)
        if query_model is not None:
            try:
                request.query = query_model.model_validate(_query_params(event))
            except ValidationError as exc:
                raise validation_problem(exc, "query") from None
        if body_model is not None:
            payload = _parse_json_body(route, data, headers)
            try:
                request.body = body_model.model_validate(payload)
            except ValidationError as exc:
                raise validation_problem(exc, "body") from None
        operation = self.operations[route.operation]
        if route.idempotent_post and request.idempotency_key and caller is not None:
            from nova_bridge.adapters.idempotency import run_idempotent

            return run_idempotent(deps.db, request, lambda: as_response(route, operation(request, deps)))
        return as_response(route, operation(request, deps))


def as_response(route: Route, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return Response(route.status, result)


def _serialize(body: Any) -> str:
    if isinstance(body, BaseModel):
        return body.model_dump_json()
    return json.dumps(body, default=str)


def to_api_gateway(response: Response, request_id: str = "") -> dict[str, Any]:
    headers = {"content-type": response.content_type, **response.headers}
    if request_id:
        headers["x-request-id"] = request_id
    if response.body is None or response.status == 204:
        return {"statusCode": response.status, "headers": headers, "body": ""}
    body = response.body if isinstance(response.body, str) else _serialize(response.body)
    return {"statusCode": response.status, "headers": headers, "body": body}
