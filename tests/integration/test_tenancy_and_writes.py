"""Tenant isolation, idempotent POSTs, pagination, audit and outbox written atomically."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.conftest import http_monitor

MONITORS = "/api/v2/monitoring/monitors"


def test_other_tenants_monitor_is_404(api):
    mid = api.call("POST", MONITORS, json_body=http_monitor(), tenant="tenant-a").json["id"]
    for method, path, body in (("GET", f"{MONITORS}/{mid}", None), ("PUT", f"{MONITORS}/{mid}", http_monitor("x")),
                               ("DELETE", f"{MONITORS}/{mid}", None), ("POST", f"{MONITORS}/{mid}/pause", None)):
        assert api.call(method, path, json_body=body, tenant="tenant-b").status == 404
    assert api.call("GET", MONITORS, tenant="tenant-b").json["items"] == []
    assert api.call("GET", f"{MONITORS}/{mid}", tenant="tenant-a").json["version"] == 1  # untouched


def test_cursor_pagination_walks_every_item_once(api):
    created = {api.call("POST", MONITORS, json_body=http_monitor(f"m{i}")).json["id"] for i in range(7)}
    api.call("POST", MONITORS, json_body=http_monitor("other tenant"), tenant="tenant-z")
    seen, cursor, pages = [], None, 0
    while True:
        page = api.call("GET", MONITORS, query="limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [m["id"] for m in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == created


def test_filters(api):
    api.call("POST", MONITORS, json_body=http_monitor("Alpha api", tags=["api"]))
    beta = api.call("POST", MONITORS, json_body={"name": "Beta db", "type": "port", "hostname": "db", "port": 5432}).json
    api.call("POST", f"{MONITORS}/{beta['id']}/pause")
    names = lambda q: sorted(m["name"] for m in api.call("GET", MONITORS, query=q).json["items"])  # noqa: E731
    assert names("type=port") == ["Beta db"]
    assert names("paused=true") == ["Beta db"] and names("status=paused") == ["Beta db"]
    assert names("search=ALP") == ["Alpha api"] and names("tag=api") == ["Alpha api"]
    assert names("search=%25") == []  # LIKE wildcards are literal


def test_idempotent_post_same_key_same_body(api, db):
    headers = {"Idempotency-Key": "create-1"}
    first = api.call("POST", MONITORS, json_body=http_monitor(), headers=headers)
    second = api.call("POST", MONITORS, json_body=http_monitor(), headers=headers)
    assert first.status == second.status == 201
    assert first.json == second.json and second.headers.get("idempotent-replayed") == "true"
    assert db.fetchall("SELECT count(*) AS n FROM monitors")[0]["n"] == 1
    assert db.fetchall("SELECT count(*) AS n FROM outbox")[0]["n"] == 1


def test_idempotency_key_reused_with_other_body_is_refused(api, db):
    headers = {"Idempotency-Key": "create-2"}
    assert api.call("POST", MONITORS, json_body=http_monitor("a"), headers=headers).status == 201
    reused = api.call("POST", MONITORS, json_body=http_monitor("b"), headers=headers)
    assert reused.status == 422 and "Idempotency-Key" in reused.json["detail"]
    assert [r["name"] for r in db.fetchall("SELECT name FROM monitors")] == ["a"]


def test_idempotency_keys_are_per_caller(api, db):
    headers = {"Idempotency-Key": "same"}
    api.call("POST", MONITORS, json_body=http_monitor(), headers=headers, user="alice")
    api.call("POST", MONITORS, json_body=http_monitor(), headers=headers, user="bob")
    assert db.fetchall("SELECT count(*) AS n FROM monitors")[0]["n"] == 2


def test_concurrent_requests_with_one_key_write_once(settings, db):
    from nova_bridge.adapters.db import Database
    from nova_bridge.api.deps import ApiDeps
    from tests.conftest import Api

    results = []

    def worker():
        database = Database(settings.database_url)  # one connection per "Lambda"
        results.append(Api(ApiDeps(settings=settings, db=database)).call(
            "POST", MONITORS, json_body=http_monitor(), headers={"Idempotency-Key": "race"}))
        database.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status for r in results} == {201}
    assert len({r.json["id"] for r in results}) == 1
    assert db.fetchall("SELECT count(*) AS n FROM monitors")[0]["n"] == 1


def test_each_write_is_audited_with_an_outbox_event(api, db):
    mid = api.call("POST", MONITORS, json_body=http_monitor(), user="alice").json["id"]
    api.call("PUT", f"{MONITORS}/{mid}", json_body=http_monitor("Renamed"), user="bob")
    api.call("DELETE", f"{MONITORS}/{mid}", user="carol")
    audit = db.fetchall("SELECT actor, action, before, after FROM audit_log ORDER BY id")
    assert [(a["actor"], a["action"]) for a in audit] == [
        ("alice", "monitor.created"), ("bob", "monitor.updated"), ("carol", "monitor.deleted")]
    assert audit[0]["before"] is None and audit[1]["before"]["name"] == "Website"
    assert audit[1]["after"]["name"] == "Renamed" and audit[2]["after"]["deleted_at"]
    outbox = db.fetchall("SELECT detail_type, detail FROM outbox ORDER BY created_at")
    assert [o["detail_type"] for o in outbox] == ["monitor.created", "monitor.updated", "monitor.deleted"]
    assert {o["detail"]["monitor_id"] for o in outbox} == {mid}
    assert [o["detail"]["monitor_version"] for o in outbox] == [1, 2, 3]


def test_secrets_never_reach_the_api_or_the_audit(api, db):
    mid = api.call("POST", MONITORS, json_body=http_monitor()).json["id"]
    db.fetchall("UPDATE monitors SET goalert_integration_key = 'ik-secret-123' WHERE id = %s RETURNING id", (mid,))
    api.call("PUT", f"{MONITORS}/{mid}", json_body=http_monitor("x"))
    assert "ik-secret-123" not in api.call("GET", f"{MONITORS}/{mid}").text
    assert "ik-secret-123" not in str(db.fetchall("SELECT before, after FROM audit_log"))


@pytest.mark.parametrize("failing", ["audit", "emit"])
def test_failure_between_writes_leaves_nothing(api, db, monkeypatch, failing):
    from nova_bridge.adapters.store import PgTx

    def broken(self, *a, **k):
        raise RuntimeError(f"{failing} failed")

    monkeypatch.setattr(PgTx, failing, broken)
    assert api.call("POST", MONITORS, json_body=http_monitor()).status == 500
    for table in ("monitors", "audit_log", "outbox", "idempotency_keys"):
        assert db.fetchall(f"SELECT count(*) AS n FROM {table}")[0]["n"] == 0, table


def test_failed_update_keeps_the_stored_monitor(api, db, monkeypatch):
    from nova_bridge.adapters.store import PgTx

    mid = api.call("POST", MONITORS, json_body=http_monitor()).json["id"]
    monkeypatch.setattr(PgTx, "emit", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bus down")))
    assert api.call("PUT", f"{MONITORS}/{mid}", json_body=http_monitor("Changed")).status == 500
    monkeypatch.undo()
    after = api.call("GET", f"{MONITORS}/{mid}").json
    assert after["name"] == "Website" and after["version"] == 1
    assert len(db.fetchall("SELECT 1 FROM audit_log")) == 1


def test_unknown_monitor_is_404(api):
    assert api.call("GET", f"{MONITORS}/{uuid.uuid4()}").status == 404
