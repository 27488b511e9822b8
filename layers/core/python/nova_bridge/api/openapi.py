"""The OpenAPI 3.1 document, generated from the route catalogue and the pydantic models.

Generated rather than written, so the contract the frontends build against cannot drift from
what the handlers validate. Built on first request of the docs route only: no API function pays
for it at cold start.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from nova_bridge import catalogue
from nova_bridge.api.runtime import resolve_model
from nova_bridge.schemas.common import Problem

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_STATUS_TEXT = {400: "Malformed request", 401: "Missing or invalid token", 403: "Permission denied",
                404: "Not found", 413: "Body too large", 415: "Unsupported media type",
                422: "Validation failed", 503: "Integration not configured or unavailable"}


def _problem_responses(route: catalogue.Route) -> dict[str, Any]:
    codes = [400, 413, 415, 422]
    if route.auth == catalogue.JWT:
        codes += [401, 403]
    if "{" in route.path:
        codes.append(404)
    codes.append(503)
    return {str(c): {"description": _STATUS_TEXT[c], "content": {"application/problem+json": {"schema": _PROBLEM}}}
            for c in sorted(codes)}


def _query_parameters(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": name in required,
                       "description": prop.get("description", ""), "schema": prop})
    return params


@lru_cache(maxsize=1)
def openapi_document(server_url: str = "/") -> dict[str, Any]:
    models: dict[str, Any] = {"Problem": Problem}
    for route in catalogue.ROUTES:
        for ref in (route.body, route.query, route.response):
            if ref:
                models[ref] = resolve_model(ref)
    refs = {key: model for key, model in models.items()}
    keys, top = models_json_schema([(m, "validation") for m in refs.values()],
                                   ref_template="#/components/schemas/{model}")
    schemas = top.get("$defs", {})
    by_ref = {ref: keys[(model, "validation")] for ref, model in refs.items()}

    paths: dict[str, Any] = {}
    for route in catalogue.ROUTES:
        op: dict[str, Any] = {"operationId": route.operation, "summary": route.summary, "tags": list(route.tags)}
        if route.permission:
            op["description"] = f"Requires the `{route.permission}` permission."
        op["security"] = [{"novaHelix": []}] if route.auth == catalogue.JWT else []
        params: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_names(route.path)
        ]
        if route.query:
            name = by_ref[route.query]["$ref"].rsplit("/", 1)[-1]
            params += _query_parameters(schemas[name], schemas)
        if route.idempotent_post:
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": "Repeat a POST safely: same key and body give the same answer, one write.",
                           "schema": {"type": "string", "maxLength": 255}})
        if params:
            op["parameters"] = params
        if route.body:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": by_ref[route.body]}}}
        success: dict[str, Any] = {"description": "Success"}
        if route.response:
            success["content"] = {"application/json": {"schema": by_ref[route.response]}}
        op["responses"] = {str(route.status): success, **_problem_responses(route)}
        paths.setdefault(route.path, {})[route.method.lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {"title": "Nova monitoring bridge", "version": "2.0.0",
                 "description": "GoAlert and Uptime Kuma behind one API for Nova Pulse, Orbit and Core."},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"novaHelix": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                              "description": "A Nova Helix access token."}},
        },
    }


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"\{(\w+)\}", path)


SWAGGER_UI = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nova monitoring bridge API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
<script>SwaggerUIBundle({url: "openapi.json", dom_id: "#ui"});</script>
</body></html>
"""
