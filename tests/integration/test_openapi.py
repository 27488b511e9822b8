"""The served OpenAPI document is valid OpenAPI 3.1 and mirrors the catalogue."""

from __future__ import annotations

from openapi_spec_validator import validate

from nova_bridge import catalogue


def test_served_document_is_valid_and_complete(api):
    result = api.call("GET", "/api/v2/openapi.json", role=None)
    assert result.status == 200
    doc = result.json
    validate(doc)
    ops = {(m.upper(), p): op for p, item in doc["paths"].items() for m, op in item.items()}
    assert set(ops) == {(r.method, r.path) for r in catalogue.ROUTES}
    create = ops[("POST", "/api/v2/monitoring/monitors")]
    schema_name = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    props = doc["components"]["schemas"][schema_name]["properties"]
    assert props["interval_seconds"]["description"] and props["interval_seconds"]["minimum"] == 20
    assert "422" in create["responses"] and "401" in create["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert ops[("GET", "/api/v2/status/public/{tenant_id}")]["security"] == []


def test_swagger_ui_is_served(api):
    result = api.call("GET", "/api/v2/docs", role=None)
    assert result.status == 200 and result.headers["content-type"].startswith("text/html")
    assert "openapi.json" in result.text
