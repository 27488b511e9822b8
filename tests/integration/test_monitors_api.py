"""Monitors through the real handlers and a real PostgreSQL."""

from __future__ import annotations

from tests.conftest import http_monitor


def test_create_read_list_update_pause_resume_delete(api):
    created = api.call("POST", "/api/v2/monitoring/monitors", json_body=http_monitor(tags=["web"]))
    assert created.status == 201, created.text
    monitor = created.json
    assert monitor["kuma"]["state"] == "pending"
    assert monitor["goalert"]["state"] == "disabled"
    assert monitor["status"] == "unknown" and monitor["version"] == 1
    mid = monitor["id"]

    got = api.call("GET", f"/api/v2/monitoring/monitors/{mid}", role="user")
    assert got.status == 200 and got.json["name"] == "Website"

    listed = api.call("GET", "/api/v2/monitoring/monitors", role="technician", query="tag=web")
    assert [m["id"] for m in listed.json["items"]] == [mid]

    updated = api.call("PUT", f"/api/v2/monitoring/monitors/{mid}", role="technician",
                       json_body=http_monitor("Website v2", interval_seconds=120))
    assert updated.status == 200 and updated.json["version"] == 2
    assert updated.json["interval_seconds"] == 120 and updated.json["name"] == "Website v2"

    paused = api.call("POST", f"/api/v2/monitoring/monitors/{mid}/pause", role="technician")
    assert paused.json["paused"] is True and paused.json["status"] == "paused"
    resumed = api.call("POST", f"/api/v2/monitoring/monitors/{mid}/resume", role="technician")
    assert resumed.json["paused"] is False

    deleted = api.call("DELETE", f"/api/v2/monitoring/monitors/{mid}")
    assert deleted.status == 204 and deleted.text == ""
    assert api.call("GET", f"/api/v2/monitoring/monitors/{mid}").status == 404
