"""Status pages, the dashboard and incidents, from the state the bridge keeps."""

from __future__ import annotations

import uuid

from tests.conftest import http_monitor

MONITORS = "/api/v2/monitoring/monitors"


def set_status(db, monitor_id: str, status: str) -> None:
    db.fetchall("UPDATE monitors SET status = %s, status_changed_at = now() WHERE id = %s RETURNING id",
                (status, monitor_id))


def make_monitors(api, db) -> dict[str, str]:
    ids = {}
    for name, state in (("API", "up"), ("Database <primary>", "down"), ("Queue", "pending"),
                        ("Never checked", "unknown"), ("Paused one", "up")):
        ids[name] = api.call("POST", MONITORS, json_body=http_monitor(name)).json["id"]
        set_status(db, ids[name], state)
    api.call("POST", f"{MONITORS}/{ids['Paused one']}/pause")
    return ids


def test_public_summary_is_statuspage_shaped(api, db):
    ids = make_monitors(api, db)
    result = api.call("GET", "/api/v2/status/public/tenant-a", role=None)
    assert result.status == 200 and "max-age" in result.headers["cache-control"]
    body = result.json
    assert set(body) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    components = {c["name"]: c["status"] for c in body["components"]}
    # Paused and never-checked monitors say nothing true about the service.
    assert components == {"API": "operational", "Database <primary>": "major_outage",
                          "Queue": "degraded_performance"}
    assert body["status"] == {"indicator": "critical", "description": "Major System Outage"}
    set_status(db, ids["Database <primary>"], "up")
    set_status(db, ids["Queue"], "up")
    assert api.call("GET", "/api/v2/status/public/tenant-a", role=None).json["status"]["indicator"] == "none"


def test_unknown_tenant_has_no_status_page(api):
    for suffix in ("", "/page", "/widget"):
        result = api.call("GET", f"/api/v2/status/public/nobody{suffix}", role=None)
        assert result.status == 404 and result.headers["content-type"] == "application/problem+json"


def test_incidents_are_validated_audited_and_published(api, db):
    ids = make_monitors(api, db)
    bad = api.call("POST", "/api/v2/status/incidents",
                   json_body={"name": "x", "body": "y", "monitor_ids": [str(uuid.uuid4())]})
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "body.monitor_ids"
    other_tenant = api.call("POST", "/api/v2/status/incidents", tenant="tenant-b",
                            json_body={"name": "x", "body": "y", "monitor_ids": [ids["API"]]})
    assert other_tenant.status == 422  # another tenant's monitor is unknown here
    created = api.call("POST", "/api/v2/status/incidents", json_body={
        "name": "Database failover", "impact": "major", "body": "We are failing over.",
        "monitor_ids": [ids["Database <primary>"]]})
    assert created.status == 201 and created.json["incident_updates"][0]["body"] == "We are failing over."
    public = api.call("GET", "/api/v2/status/public/tenant-a", role=None).json
    assert [i["name"] for i in public["incidents"]] == ["Database failover"]
    assert public["incidents"][0]["component_ids"] == [ids["Database <primary>"]]
    assert [a["action"] for a in db.fetchall("SELECT action FROM audit_log WHERE entity_type = 'incident'")] == [
        "incident.created"]


def test_dashboard_counts_the_callers_tenant_only(api, db):
    make_monitors(api, db)
    api.call("POST", MONITORS, json_body=http_monitor("elsewhere"), tenant="tenant-b")
    body = api.call("GET", "/api/v2/status/internal/dashboard", role="user").json
    assert body["tenant_id"] == "tenant-a"
    assert body["monitors"] == {"up": 1, "down": 1, "pending": 1, "maintenance": 0, "paused": 1, "unknown": 1}
    assert body["open_alerts"] == 0 and body["open_incidents"] == 0 and body["sync_failures"] == 0


def test_html_page_and_widget_escape_what_tenants_wrote(api, db):
    make_monitors(api, db)
    api.call("POST", "/api/v2/status/incidents", json_body={
        "name": "<script>alert(1)</script>", "body": "<img src=x onerror=alert(2)>", "monitor_ids": []})
    page = api.call("GET", "/api/v2/status/public/tenant-a/page", role=None)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "Database &lt;primary&gt;" in page.text and "Major outage" in page.text
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text and "<img" not in page.text
    widget = api.call("GET", "/api/v2/status/public/tenant-a/widget", role=None)
    assert widget.status == 200 and "Major System Outage" in widget.text and "<h2>" not in widget.text
    assert "Paused one" not in widget.text and "API" in widget.text
