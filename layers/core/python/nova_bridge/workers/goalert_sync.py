"""Set up (or tear down) a monitor's paging path in GoAlert: service, escalation policy and a
generic integration key, recorded on the monitor row.

Idempotent and crash-safe: the service the bridge creates carries the label
`nova-bridge/monitor-id=<monitor id>` and the monitor id in its name, and is created together
with its new policy and integration key in one GoAlert mutation; a retry after a crash finds it
by that label before creating anything. A joined service (alerting.service_id) gets only an
integration key of ours, found again by its name. Teardown removes only what the bridge created.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from typing import Any

from nova_bridge.adapters.goalert.client import rotation_destination, schedule_destination, user_destination
from nova_bridge.adapters.goalert.factory import backend_or_none
from nova_bridge.adapters.goalert.names import goalert_name
from nova_bridge.adapters.goalert.records import Records
from nova_bridge.errors import BackendRejected
from nova_bridge.workers.runtime import RetryLater

logger = logging.getLogger("nova_bridge.workers.goalert_sync")

MONITOR_LABEL = "nova-bridge/monitor-id"
POLICY_LABEL = "nova-bridge/policy"  # "<policy id>:<spec hash>" of a policy the bridge built
KEY_NAME = "nova-bridge"


def sync_monitor(deps: Any, row: dict[str, Any]) -> bool:
    """True when GoAlert holds exactly what the row wants (nothing left to do)."""
    alerting = (row.get("config") or {}).get("alerting") or {}
    wanted = bool(alerting.get("enabled")) and row.get("deleted_at") is None
    has_remote = bool(row.get("goalert_service_id") or row.get("goalert_integration_key"))
    if not wanted and not has_remote:
        if row.get("goalert_sync_state") != "disabled" and row.get("deleted_at") is None:
            _save(deps, row, {"goalert_sync_state": "disabled", "goalert_last_error": None})
        return True
    backend = backend_or_none(deps)
    if backend is None:  # waits as `pending` until GoAlert is configured (the reconciler picks it up)
        return False
    try:
        if wanted:
            _set_up(deps, backend.client, row, alerting)
        else:
            _tear_down(deps, backend.client, row)
        return True
    except BackendRejected as exc:
        logger.warning("GoAlert refused the sync of monitor %s: %s", row["id"], exc)
        _save(deps, row, {"goalert_sync_state": "failed", "goalert_last_error": str(exc)[:2000]})
        return False


# --- set up -----------------------------------------------------------------------------------

def _set_up(deps: Any, client: Any, row: dict[str, Any], alerting: dict[str, Any]) -> None:
    monitor_id = str(row["id"])
    if alerting.get("service_id"):
        service = client.get_service(alerting["service_id"])
        if service is None:
            raise BackendRejected("goalert", f"GoAlert service {alerting['service_id']} does not exist")
        key = _our_key(service, monitor_id) or client.create_integration_key(service["id"], _key_name(monitor_id))
        policy_id = service["escalationPolicyID"]
        _forget_created_service(deps, client, row, keep=service["id"])
        created = False
    else:
        service = _find_own_service(client, monitor_id)
        spec = _policy_spec(deps, row, alerting)
        if service is None:
            service = _create_service(client, row, alerting, spec)
        else:
            if _update_policy(client, service, row, alerting, spec):
                service = client.get_service(service["id"]) or service
        key = _our_key(service, monitor_id) or client.create_integration_key(service["id"], KEY_NAME)
        policy_id = service["escalationPolicyID"]
        created = True
    with deps.uow.transaction() as tx:
        Records(tx.conn).own("service", service["id"], row["tenant_id"], service["name"], monitor_id=row["id"],
                             details={"created_by_bridge": created})
        tx.set_sync_state(row["id"], {
            "goalert_service_id": service["id"], "goalert_escalation_policy_id": policy_id,
            "goalert_integration_key": key["id"], "goalert_sync_state": "synced", "goalert_last_error": None,
            "goalert_synced_at": deps.clock()})


def _service_name(row: dict[str, Any], alerting: dict[str, Any]) -> str:
    return goalert_name(alerting.get("service_name") or row["name"], row["id"])


def _key_name(monitor_id: str) -> str:
    return f"{KEY_NAME} {monitor_id}"


def _our_key(service: dict[str, Any], monitor_id: str) -> dict[str, Any] | None:
    names = {KEY_NAME, _key_name(monitor_id)} if _labels(service).get(MONITOR_LABEL) == monitor_id \
        else {_key_name(monitor_id)}
    return next((k for k in service.get("integrationKeys") or [] if k["type"] == "generic" and k["name"] in names),
                None)


def _labels(service: dict[str, Any]) -> dict[str, str]:
    return {label["key"]: label["value"] for label in service.get("labels") or []}


def _find_own_service(client: Any, monitor_id: str) -> dict[str, Any] | None:
    page = client.find_services(monitor_id, first=50)
    return next((s for s in page["nodes"] if _labels(s).get(MONITOR_LABEL) == monitor_id), None)


def _policy_spec(deps: Any, row: dict[str, Any], alerting: dict[str, Any]) -> dict[str, Any] | None:
    """The policy to build ({name, repeat, steps} with GoAlert destinations), or None to use an
    existing one by id. Nova users are mapped to their GoAlert users."""
    if alerting.get("escalation_policy_id"):
        return None
    spec = alerting.get("escalation_policy") or {"repeat": 0, "steps": []}
    user_ids = {str(u) for step in spec["steps"] for u in step.get("user_ids") or []}
    with deps.uow.transaction() as tx:
        mapped = Records(tx.conn).goalert_ids(row["tenant_id"], user_ids)
    missing = sorted(user_ids - set(mapped))
    if missing:
        message = f"Nova users without a GoAlert user yet: {', '.join(missing)}"
        _save(deps, row, {"goalert_sync_state": "failed", "goalert_last_error": message})
        raise RetryLater(message)  # the user.* events are probably still in flight
    steps = [{"delay_minutes": max(1, int(step.get("delay_minutes", 5))),  # GoAlert's minimum is 1
              "actions": [user_destination(mapped[str(u)]) for u in step.get("user_ids") or []]
              + [schedule_destination(s) for s in step.get("schedule_ids") or []]
              + [rotation_destination(r) for r in step.get("rotation_ids") or []]}
             for step in spec["steps"]]
    digest = hashlib.sha256(json.dumps([spec.get("repeat", 3), steps], sort_keys=True).encode()).hexdigest()[:12]
    return {"repeat": spec.get("repeat", 3), "steps": steps, "hash": digest,
            "base_name": spec.get("name") or alerting.get("service_name") or row["name"]}


def _policy_name(spec: dict[str, Any], row: dict[str, Any], suffix: str = "") -> str:
    return goalert_name(spec["base_name"], row["id"], suffix)


def _create_service(client: Any, row: dict[str, Any], alerting: dict[str, Any],
                    spec: dict[str, Any] | None) -> dict[str, Any]:
    labels = {MONITOR_LABEL: str(row["id"])}
    if spec is None:
        return client.create_service(_service_name(row, alerting), description=_description(row), labels=labels,
                                     escalation_policy_id=alerting["escalation_policy_id"],
                                     new_integration_keys=[KEY_NAME])
    service = client.create_service(
        _service_name(row, alerting), description=_description(row), labels=labels, new_integration_keys=[KEY_NAME],
        new_escalation_policy={"name": _policy_name(spec, row), "repeat": spec["repeat"], "steps": spec["steps"],
                               "description": f"Built by the Nova bridge for monitor {row['id']}."})
    client.set_service_label(service["id"], POLICY_LABEL, f"{service['escalationPolicyID']}:{spec['hash']}")
    return service


def _update_policy(client: Any, service: dict[str, Any], row: dict[str, Any], alerting: dict[str, Any],
                   spec: dict[str, Any] | None) -> bool:
    """Point the service at the wanted policy; a rebuilt policy replaces the one we built.
    True when the service changed."""
    built = _labels(service).get(POLICY_LABEL, "")
    built_id, _, built_hash = built.partition(":")
    if spec is None:
        wanted_id = alerting["escalation_policy_id"]
        changed = service["escalationPolicyID"] != wanted_id
        if changed:
            client.update_service(service["id"], escalation_policy_id=wanted_id)
        if built_id:
            client.set_service_label(service["id"], POLICY_LABEL, "")
            _delete_policy_quietly(client, built_id)
        return changed or bool(built_id)
    if built_id == service["escalationPolicyID"] and built_hash == spec["hash"]:
        return False
    policy = client.create_escalation_policy(
        _policy_name(spec, row, f" {uuid.uuid4().hex[:6]}"), repeat=spec["repeat"], steps=spec["steps"],
        description=f"Built by the Nova bridge for monitor {row['id']}.")
    client.update_service(service["id"], escalation_policy_id=policy["id"])
    client.set_service_label(service["id"], POLICY_LABEL, f"{policy['id']}:{spec['hash']}")
    if built_id:
        _delete_policy_quietly(client, built_id)
    return True


def _description(row: dict[str, Any]) -> str:
    return f"Nova monitor {row['name']} ({row['id']}), tenant {row['tenant_id']}. Managed by the Nova bridge."


def _delete_policy_quietly(client: Any, policy_id: str) -> None:
    try:
        client.delete_targets([("escalationPolicy", policy_id)])
    except BackendRejected as exc:  # still used elsewhere, or gone already: not worth failing the sync
        logger.info("left GoAlert escalation policy %s: %s", policy_id, exc)


# --- tear down --------------------------------------------------------------------------------

def _tear_down(deps: Any, client: Any, row: dict[str, Any]) -> None:
    _forget_created_service(deps, client, row, keep=None)
    service_id = row.get("goalert_service_id")
    if service_id and row.get("goalert_integration_key"):
        service = client.get_service(service_id)
        if service is not None and _labels(service).get(MONITOR_LABEL) != str(row["id"]):
            # a joined service: remove only our key
            if any(k["id"] == row["goalert_integration_key"] for k in service.get("integrationKeys") or []):
                client.delete_targets([("integrationKey", row["goalert_integration_key"])])
    with deps.uow.transaction() as tx:
        if service_id:
            Records(tx.conn).disown("service", service_id, row["tenant_id"])
        if row.get("deleted_at") is None:
            tx.set_sync_state(row["id"], {
                "goalert_service_id": None, "goalert_escalation_policy_id": None, "goalert_integration_key": None,
                "goalert_sync_state": "disabled", "goalert_last_error": None, "goalert_synced_at": deps.clock()})


def _forget_created_service(deps: Any, client: Any, row: dict[str, Any], keep: str | None) -> None:
    """Delete the service (and built policy) the bridge created for this monitor, unless it is `keep`."""
    service = _find_own_service(client, str(row["id"]))
    if service is None or service["id"] == keep:
        return
    built_id = _labels(service).get(POLICY_LABEL, "").partition(":")[0]
    client.delete_service(service["id"])
    if built_id:
        _delete_policy_quietly(client, built_id)
    with deps.uow.transaction() as tx:
        Records(tx.conn).disown("service", service["id"], row["tenant_id"])


def _save(deps: Any, row: dict[str, Any], values: dict[str, Any]) -> None:
    with deps.uow.transaction() as tx:
        tx.set_sync_state(row["id"], values)
