"""On-call: schedules with rotations, who is on call now, overrides. GoAlert holds all of it;
the bridge records which schedules and services belong to which tenant (GoAlert has no tenants)
and translates between Nova and GoAlert user ids."""

from __future__ import annotations

import hashlib

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nova_bridge.domain.auth import Caller
from nova_bridge.domain.pagination import decode_cursor, page_of
from nova_bridge.errors import NotFound, ValidationFailed
from nova_bridge.schemas.oncall import (CurrentOnCall, OnCallPerson, Override, OverrideCreate, Schedule,
                                        ScheduleCreate, ScheduleListQuery, ScheduleOnCall, SchedulePage,
                                        ServiceOnCall)


def _records(tx: Any):
    from nova_bridge.adapters.goalert.records import Records

    return Records(tx.conn)


def _schedule(row: dict[str, Any]) -> Schedule:
    details = row["details"] or {}
    return Schedule(id=row["goalert_id"], name=row["name"], description=details.get("description", ""),
                    time_zone=details.get("time_zone", "UTC"), rotation_ids=details.get("rotation_ids", []))


def list_schedules(uow: Any, caller: Caller, query: ScheduleListQuery) -> SchedulePage:
    after = decode_cursor(query.cursor) if query.cursor else None
    with uow.transaction() as tx:
        rows = _records(tx).owned_page(caller.tenant_id, "schedule", search=query.search, after=after,
                                       limit=query.limit + 1)
    items, cursor = page_of(rows, query.limit, _schedule)
    return SchedulePage(items=items, next_cursor=cursor)


def _goalert_users(tx: Any, caller: Caller, nova_ids: list[str], field: str) -> dict[str, str]:
    mapped = _records(tx).goalert_ids(caller.tenant_id, nova_ids)
    missing = [u for u in nova_ids if u not in mapped]
    if missing:
        raise ValidationFailed(f"Users without a GoAlert user in this tenant: {', '.join(missing)}.",
                               errors=[{"field": field, "message": f"unknown user {u}"} for u in missing])
    return mapped


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"Unknown time zone {name!r}.",
                               errors=[{"field": "body.time_zone", "message": "an IANA time zone"}]) from None


def create_schedule(uow: Any, goalert: Any, caller: Caller, body: ScheduleCreate) -> Schedule:
    from nova_bridge.adapters.goalert.client import always_on_target

    _check_zone(body.time_zone)
    with uow.transaction() as tx:
        mapped = _goalert_users(tx, caller, sorted({u for r in body.rotations for u in r.user_ids}),
                                "body.rotations.user_ids")
    from nova_bridge.adapters.goalert.names import goalert_name

    client = goalert.client
    # GoAlert names are global: a short hash of the tenant keeps tenants' schedule names apart.
    tenant_tag = "t" + hashlib.sha256(caller.tenant_id.encode()).hexdigest()[:10]
    prefix = goalert_name(body.name, tenant_tag)
    rotations = [client.create_rotation(goalert_name(f"{body.name} {r.name}", tenant_tag), body.time_zone,
                                        start=r.start, rotation_type=r.type,
                                        shift_length=r.shift_length, user_ids=[mapped[u] for u in r.user_ids],
                                        description=f"Nova tenant {caller.tenant_id}")
                 for r in body.rotations]
    created = client.create_schedule(prefix, body.time_zone, description=body.description,
                                     targets=[always_on_target("rotation", r["id"]) for r in rotations])
    details = {"description": body.description, "time_zone": body.time_zone,
               "rotation_ids": [r["id"] for r in rotations]}
    with uow.transaction() as tx:
        _records(tx).own("schedule", created["id"], caller.tenant_id, body.name, details=details,
                         created_by=caller.user_id)
        tx.audit(caller.tenant_id, caller.user_id, "schedule.created", "schedule", created["id"], None,
                 {"name": body.name, **details})
        row = _records(tx).owned(caller.tenant_id, "schedule", created["id"])
    return _schedule(row)


def current_on_call(uow: Any, goalert: Any, caller: Caller, now: datetime | None = None) -> CurrentOnCall:
    now = now or datetime.now(timezone.utc)
    with uow.transaction() as tx:
        schedules = _records(tx).owned_all(caller.tenant_id, "schedule")
        services = _records(tx).owned_all(caller.tenant_id, "service")
    client = goalert.client
    raw_schedules = []
    for row in schedules:
        found = client.get_schedule(row["goalert_id"], start=now, end=now + timedelta(minutes=1))
        if found is None:
            continue
        users = {(s["userID"], (s.get("user") or {}).get("name") or s["userID"]) for s in found["shifts"]
                 if _ts(s["start"]) <= now < _ts(s["end"])}
        raw_schedules.append((row, sorted(users)))
    raw_services = []
    for row in services:
        found = client.get_service(row["goalert_id"])
        if found is not None:
            raw_services.append((row, found["onCallUsers"] or []))
    goalert_ids = {u for _, users in raw_schedules for u, _ in users} | \
                  {u["userID"] for _, users in raw_services for u in users}
    with uow.transaction() as tx:
        nova = _records(tx).nova_ids(caller.tenant_id, goalert_ids)
    return CurrentOnCall(
        at=now,
        schedules=[ScheduleOnCall(schedule_id=row["goalert_id"], schedule_name=row["name"],
                                  on_call=[OnCallPerson(goalert_user_id=u, name=name, nova_user_id=nova.get(u))
                                           for u, name in users])
                   for row, users in raw_schedules],
        services=[ServiceOnCall(service_id=row["goalert_id"], service_name=row["name"],
                                on_call=[OnCallPerson(goalert_user_id=u["userID"], name=u["userName"],
                                                      nova_user_id=nova.get(u["userID"]), step=u["stepNumber"])
                                         for u in users])
                  for row, users in raw_services])


def create_override(uow: Any, goalert: Any, caller: Caller, body: OverrideCreate) -> Override:
    with uow.transaction() as tx:
        if _records(tx).owned(caller.tenant_id, "schedule", body.schedule_id) is None:
            raise NotFound(f"No schedule {body.schedule_id} in this tenant.", field="body.schedule_id")
        wanted = [u for u in (body.add_user_id, body.remove_user_id) if u]
        mapped = _goalert_users(tx, caller, wanted, "body.add_user_id")
    created = goalert.client.create_user_override(
        body.schedule_id, start=body.start, end=body.end,
        add_user_id=mapped.get(body.add_user_id) if body.add_user_id else None,
        remove_user_id=mapped.get(body.remove_user_id) if body.remove_user_id else None)
    kind = "replace" if body.add_user_id and body.remove_user_id else ("add" if body.add_user_id else "remove")
    result = Override(id=created["id"], schedule_id=body.schedule_id, start=_ts(created["start"]),
                      end=_ts(created["end"]), add_user_id=body.add_user_id, remove_user_id=body.remove_user_id,
                      kind=kind)
    with uow.transaction() as tx:
        tx.audit(caller.tenant_id, caller.user_id, "override.created", "schedule", body.schedule_id, None,
                 result.model_dump(mode="json"))
    return result


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
