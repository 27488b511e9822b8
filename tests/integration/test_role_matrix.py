"""Every route x every role, generated from the catalogue: anonymous 401, missing permission 403,
allowed never 401/403. Routes whose backend is not configured answer 503, never 500."""

from __future__ import annotations

import re
import uuid

import pytest

from nova_bridge import catalogue

PLACEHOLDER = {"monitor_id": str(uuid.uuid4()), "alert_id": str(uuid.uuid4()), "tenant_id": "tenant-a",
               "secret": "not-the-secret"}
JWT_ROUTES = [r for r in catalogue.ROUTES if r.auth == catalogue.JWT]


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDER[m.group(1)], path)


@pytest.mark.parametrize("route", JWT_ROUTES, ids=lambda r: r.route_key)
def test_anonymous_is_401(api, route):
    result = api.call(route.method, concrete(route.path), role=None)
    assert result.status == 401
    assert result.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("role", catalogue.ROLES)
@pytest.mark.parametrize("route", JWT_ROUTES, ids=lambda r: r.route_key)
def test_role_matrix(api, route, role):
    result = api.call(route.method, concrete(route.path), role=role)
    allowed = route.permission in catalogue.ROLE_PERMISSIONS[role]
    if allowed:
        assert result.status not in (401, 403), result.text
        assert result.status < 500 or result.status == 503, result.text
    else:
        assert result.status == 403, result.text
        assert result.json["permission"] == route.permission


def test_matrix_matches_the_plan():
    perms = catalogue.ROLE_PERMISSIONS
    assert len(catalogue.PERMISSIONS) == 12 and perms["admin"] == frozenset(catalogue.PERMISSIONS)
    assert perms["technician"] == perms["admin"] - {"monitor.delete", "oncall.manage", "status.admin.manage",
                                                    "integration.admin"}
    assert perms["user"] == {"monitor.view", "alert.view", "oncall.view", "status.public.view"}


def test_unknown_role_and_missing_tenant_are_refused(api, deps):
    from devserver import gateway

    route, params, _ = gateway.match_route("GET", "/api/v2/monitoring/monitors")
    for claims, status in (({"sub": "u1", "tenant_id": "t", "role": "superuser"}, 403),
                           ({"sub": "u1", "role": "admin"}, 403),
                           ({"tenant_id": "t", "role": "admin"}, 401)):
        event = gateway.build_event(route, route.path, params, claims=claims)
        assert gateway.invoke(route, event, deps)["statusCode"] == status


def test_every_route_has_a_handler_operation():
    from devserver.gateway import function_handler

    for route in catalogue.ROUTES:
        assert route.operation in function_handler(route.function).operations
        assert route.auth != catalogue.JWT or route.permission in catalogue.PERMISSIONS
