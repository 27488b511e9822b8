"""API Gateway emulation: match a request to a catalogue route and build the HTTP API (payload
format 2.0) event the deployed gateway would send, then invoke the route's function handler.

Used by the local runner and by tests, so both exercise the exact handlers Lambda runs."""

from __future__ import annotations

import base64
import importlib
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from nova_bridge import catalogue
from nova_bridge.catalogue import Route


def _template_regex(path: str) -> re.Pattern:
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(path))
    return re.compile(f"^{pattern}$")


_MATCHERS: dict[tuple[Route, ...], list[tuple[Route, re.Pattern]]] = {}


def _matchers() -> list[tuple[Route, re.Pattern]]:
    # Keyed by the catalogue's current routes, so the runner always serves exactly the catalogue.
    routes = catalogue.ROUTES
    if routes not in _MATCHERS:
        _MATCHERS[routes] = [(r, _template_regex(r.path)) for r in routes]
    return _MATCHERS[routes]


def match_route(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """Return (route, path parameters, path_exists). path_exists with no route means 405."""
    path_exists = False
    for route, regex in _matchers():
        m = regex.match(path)
        if m:
            path_exists = True
            if route.method == method.upper():
                return route, {k: unquote(v) for k, v in m.groupdict().items()}, True
    return None, {}, path_exists


def build_event(route: Route, path: str, params: Mapping[str, str], *, query: str = "",
                headers: Mapping[str, str] | None = None, body: bytes | None = None,
                claims: Mapping[str, Any] | None = None, source_ip: str = "127.0.0.1") -> dict[str, Any]:
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    qs: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        qs[k] = f"{qs[k]},{v}" if k in qs else v  # API Gateway joins repeated keys with commas
    is_binary = body is not None and not _is_text(headers.get("content-type", ""))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "http": {"method": route.method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": headers.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if qs:
        event["queryStringParameters"] = qs
    if params:
        event["pathParameters"] = dict(params)
    if claims is not None:
        # The JWT authorizer passes claims as strings.
        event["requestContext"]["authorizer"] = {"jwt": {"claims": {k: str(v) for k, v in claims.items()},
                                                         "scopes": None}}
    if body:
        if is_binary:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            event["body"] = body.decode("utf-8", errors="replace")
    return event


def _is_text(content_type: str) -> bool:
    ct = content_type.split(";")[0].strip().lower()
    return ct == "" or ct.startswith("text/") or ct.endswith("json") or ct == "application/x-www-form-urlencoded"


_HANDLERS: dict[str, Any] = {}


def function_handler(function: str):
    """Import functions/<function>/handler.py as Lambda would and return its lambda_handler."""
    if function not in _HANDLERS:
        _HANDLERS[function] = importlib.import_module(f"functions.{function}.handler").lambda_handler
    return _HANDLERS[function]


def invoke(route: Route, event: dict[str, Any], deps: Any = None) -> dict[str, Any]:
    handler = function_handler(route.function)
    return handler(event, None, deps) if deps is not None else handler(event, None)
