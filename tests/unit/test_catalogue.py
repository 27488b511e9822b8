"""The catalogue is the one contract: its routes, models and event routing must be consistent."""

from __future__ import annotations

from collections import Counter

from nova_bridge import catalogue, events
from nova_bridge.api.runtime import resolve_model


def test_route_keys_and_operations_are_unique():
    assert not [k for k, n in Counter(r.route_key for r in catalogue.ROUTES).items() if n > 1]
    assert not [k for k, n in Counter(r.operation for r in catalogue.ROUTES).items() if n > 1]


def test_every_model_reference_resolves():
    for route in catalogue.ROUTES:
        for ref in (route.body, route.query, route.response):
            if ref:
                assert resolve_model(ref) is not None, ref


def test_plan_paths_are_all_served():
    keys = {r.route_key for r in catalogue.ROUTES}
    for key in ("GET /api/v2/monitoring/monitors", "POST /api/v2/monitoring/monitors",
                "PUT /api/v2/monitoring/monitors/{monitor_id}", "DELETE /api/v2/monitoring/monitors/{monitor_id}",
                "GET /api/v2/alerts", "POST /api/v2/alerts", "PUT /api/v2/alerts/{alert_id}/acknowledge",
                "PUT /api/v2/alerts/{alert_id}/resolve", "GET /api/v2/oncall/schedules",
                "POST /api/v2/oncall/schedules", "GET /api/v2/oncall/current", "POST /api/v2/oncall/override",
                "GET /api/v2/status/public/{tenant_id}", "GET /api/v2/status/internal/dashboard",
                "POST /api/v2/status/incidents", "GET /api/v2/integration/health", "POST /api/v2/integration/sync",
                "GET /api/v2/integration/config", "POST /webhooks/uptime-kuma"):
        assert key in keys, key


def test_every_routed_detail_type_has_a_schema_and_one_queue():
    routed = [dt for er in catalogue.EVENT_ROUTES for dt in er.detail_types]
    assert len(routed) == len(set(routed)), "a detail-type routed to two queues would be handled twice"
    assert set(routed) <= set(events.DETAIL_MODELS)
    for er in catalogue.EVENT_ROUTES:
        assert er.worker in catalogue.ALL_FUNCTIONS


def test_only_public_and_webhook_routes_lack_a_permission():
    for route in catalogue.ROUTES:
        if route.permission is None:
            assert route.auth in (catalogue.PUBLIC, catalogue.WEBHOOK), route.route_key
