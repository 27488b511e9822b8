"""Synchronous GoAlert GraphQL client.

Every request sends the whole fixed operations document (documents.py) with an `operationName`,
so one GraphQL API key, bound by GoAlert to that exact text, covers every operation. Without an
API key the client falls back to a session token from the basic login provider, which GoAlert
does not support for API use: bootstrap only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from nova_bridge.adapters.goalert import _http
from nova_bridge.adapters.goalert.documents import operations_document
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.errors import BackendProtocolError, BackendRejected

LOGIN_PATH = "/api/v2/identity/providers/basic"
GRAPHQL_PATH = "/api/graphql"

STATUS_UNACKNOWLEDGED = "StatusUnacknowledged"
STATUS_ACKNOWLEDGED = "StatusAcknowledged"
STATUS_CLOSED = "StatusClosed"

# Mutations that change nothing more when repeated: safe to retry after a lost answer.
_IDEMPOTENT_MUTATIONS = frozenset({
    "UpdateUser", "UpdateService", "SetLabel", "CloseMatchingAlert", "UpdateAlerts",
    "VerifyContactMethod", "SetConfig", "DeleteAll", "DeleteGQLAPIKey",
})


@dataclass(frozen=True)
class GoAlertCredentials:
    """A GraphQL API key, or admin username/password for a session token (fallback)."""

    api_key: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.api_key and not (self.username and self.password):
            raise ValueError("GoAlert credentials need an api_key or a username and password")

    def __repr__(self) -> str:  # never show secrets in logs or tracebacks
        kind = "api_key" if self.api_key else f"session user={self.username!r}"
        return f"GoAlertCredentials({kind})"


@dataclass(frozen=True)
class CreatedAPIKey:
    id: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class PingResult:
    ok: bool
    latency_ms: float
    version: str | None = None  # GoAlert's GraphQL schema exposes no version


# --- destinations (DestinationInput) ----------------------------------------------------------

def user_destination(user_id: str) -> dict[str, Any]:
    return {"type": "builtin-user", "args": {"user_id": user_id}}


def schedule_destination(schedule_id: str) -> dict[str, Any]:
    return {"type": "builtin-schedule", "args": {"schedule_id": schedule_id}}


def rotation_destination(rotation_id: str) -> dict[str, Any]:
    return {"type": "builtin-rotation", "args": {"rotation_id": rotation_id}}


def webhook_destination(url: str) -> dict[str, Any]:
    return {"type": "builtin-webhook", "args": {"webhook_url": url}}


def always_on_target(target_type: str, target_id: str) -> dict[str, Any]:
    """A schedule target (ScheduleTargetInput) on call all day, every day."""
    return {"target": {"type": target_type, "id": target_id},
            "rules": [{"start": "00:00", "end": "00:00", "weekdayFilter": [True] * 7}]}


def iso(ts: datetime) -> str:
    if ts.tzinfo is None:
        raise ValueError("timestamps sent to GoAlert must be timezone-aware")
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class GoAlertClient:
    def __init__(self, base_url: str, *, credentials: GoAlertCredentials, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None, breaker: CircuitBreaker | None = None,
                 attempts: int = 3, sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  follow_redirects=False, headers={"User-Agent": "nova-bridge"})
        self.breaker = breaker or _http.shared_breaker(self.base_url)
        self._attempts = attempts
        self._sleep = sleep
        self._session_token: str | None = None
        self._session_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GoAlertClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------

    def execute(self, operation: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one named operation of the document; returns GraphQL `data`."""
        document = operations_document()
        if operation not in document.operation_names:
            raise ValueError(f"{operation!r} is not an operation of the GoAlert document")
        idempotent = _is_idempotent(operation, variables)
        return _http.call_resilient(lambda: self._post_graphql(document.text, operation, variables),
                                    self.breaker, idempotent=idempotent, attempts=self._attempts,
                                    sleep=self._sleep)

    def _post_graphql(self, query: str, operation: str, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        body = {"query": query, "operationName": operation, "variables": dict(variables or {})}
        response = self._send_authenticated(body, operation)
        if response.status_code == 401 and not self._credentials.api_key:
            self._session_token = None  # session expired or revoked: log in again once
            response = self._send_authenticated(body, operation)
        if response.status_code in (400, 422):
            payload = _maybe_json(response)
            if isinstance(payload, dict) and payload.get("errors"):
                raise _rejected(operation, payload["errors"], status_code=response.status_code)
        _http.raise_for_status(response, operation)
        payload = _http.json_body(response, operation)
        if not isinstance(payload, dict) or not ("data" in payload or "errors" in payload):
            raise BackendProtocolError(_http.BACKEND, f"GoAlert answered {operation} without data or errors")
        if payload.get("errors"):
            raise _rejected(operation, payload["errors"])
        if not isinstance(payload.get("data"), dict):
            raise BackendProtocolError(_http.BACKEND, f"GoAlert answered {operation} with no data object")
        return payload["data"]

    def _send_authenticated(self, body: dict[str, Any], operation: str) -> httpx.Response:
        token = self._credentials.api_key or self._session()
        request = self._http.build_request("POST", GRAPHQL_PATH, json=body,
                                           headers={"Authorization": f"Bearer {token}"})
        return _http.send(self._http, request, operation)

    def _session(self) -> str:
        with self._session_lock:
            if self._session_token is None:
                self._session_token = self._login()
            return self._session_token

    def _login(self) -> str:
        request = self._http.build_request(
            "POST", LOGIN_PATH, params={"noRedirect": "1"},
            data={"username": self._credentials.username, "password": self._credentials.password},
            headers={"Referer": self.base_url + "/"},
        )
        response = _http.send(self._http, request, "login")
        _http.raise_for_status(response, "login")
        token = response.text.strip()
        if not token or " " in token:
            raise BackendProtocolError(_http.BACKEND, "GoAlert login answered without a session token")
        return token

    # --- health -----------------------------------------------------------------------------

    def ping(self) -> PingResult:
        started = time.perf_counter()
        data = self.execute("Ping")
        latency = (time.perf_counter() - started) * 1000
        if data.get("__typename") != "Query":
            raise BackendProtocolError(_http.BACKEND, "GoAlert answered Ping unexpectedly")
        return PingResult(ok=True, latency_ms=round(latency, 1))

    # --- users ------------------------------------------------------------------------------

    def create_user(self, username: str, password: str, *, name: str | None = None,
                    email: str | None = None, role: str = "user") -> dict[str, Any]:
        data = self.execute("CreateUser", {"input": _compact(
            {"username": username, "password": password, "name": name, "email": email, "role": role})})
        return data["createUser"]

    def find_users(self, search: str = "", *, first: int = 15, after: str | None = None) -> dict[str, Any]:
        return self.execute("FindUsers", _compact({"search": search, "first": first, "after": after}))["users"]

    def find_user(self, search: str) -> dict[str, Any] | None:
        """The user whose email or name equals `search` exactly (GoAlert's search is fuzzy)."""
        wanted = search.casefold()
        for user in self.find_users(search, first=50)["nodes"]:
            if wanted in (user["email"].casefold(), user["name"].casefold()):
                return user
        return None

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        return self.execute("GetUser", {"id": user_id})["user"]

    def update_user(self, user_id: str, *, name: str | None = None, email: str | None = None,
                    role: str | None = None) -> bool:
        data = self.execute("UpdateUser", {"input": _compact(
            {"id": user_id, "name": name, "email": email, "role": role})})
        return bool(data["updateUser"])

    def delete_user(self, user_id: str) -> bool:
        return self.delete_targets([("user", user_id)])

    def create_contact_method(self, user_id: str, name: str, webhook_url: str, *,
                              notify_delay_minutes: int | None = 0, status_updates: bool = True) -> dict[str, Any]:
        """A WEBHOOK contact method (v0.34.1 takes a DestinationInput); GoAlert sends it a
        Verification message whose code must come back through verify_contact_method. A
        notification rule is created with it, as GoAlert notifies a user only through rules."""
        payload: dict[str, Any] = {"userID": user_id, "name": name, "dest": webhook_destination(webhook_url),
                                   "enableStatusUpdates": status_updates}
        if notify_delay_minutes is not None:
            payload["newUserNotificationRule"] = {"delayMinutes": notify_delay_minutes}
        return self.execute("CreateContactMethod", {"input": payload})["createUserContactMethod"]

    def get_contact_method(self, contact_method_id: str) -> dict[str, Any] | None:
        return self.execute("GetContactMethod", {"id": contact_method_id})["userContactMethod"]

    def send_contact_method_verification(self, contact_method_id: str) -> bool:
        data = self.execute("SendContactMethodVerification", {"input": {"contactMethodID": contact_method_id}})
        return bool(data["sendContactMethodVerification"])

    def verify_contact_method(self, contact_method_id: str, code: int | str) -> bool:
        data = self.execute("VerifyContactMethod",
                            {"input": {"contactMethodID": contact_method_id, "code": int(code)}})
        return bool(data["verifyContactMethod"])

    def test_contact_method(self, contact_method_id: str) -> bool:
        return bool(self.execute("TestContactMethod", {"id": contact_method_id})["testContactMethod"])

    def delete_targets(self, targets: Iterable[tuple[str, str]]) -> bool:
        """Delete anything GoAlert addresses as a target: (type, id) pairs, e.g. ("user", id),
        ("service", id), ("userOverride", id), ("contactMethod", id), ("integrationKey", id)."""
        data = self.execute("DeleteAll", {"input": [{"type": t, "id": i} for t, i in targets]})
        return bool(data["deleteAll"])

    # --- services and integration keys ------------------------------------------------------

    def create_service(self, name: str, *, description: str = "", escalation_policy_id: str | None = None,
                       labels: Mapping[str, str] | None = None,
                       new_escalation_policy: Mapping[str, Any] | None = None,
                       new_integration_keys: Iterable[str] = ()) -> dict[str, Any]:
        """`new_escalation_policy` ({name, repeat, steps} as for create_escalation_policy) and
        `new_integration_keys` (names of generic keys) are created in the same call: GoAlert does
        it in one transaction, so a crash leaves either all of it or nothing."""
        payload = _compact({"name": name, "description": description, "escalationPolicyID": escalation_policy_id})
        if labels:
            payload["labels"] = [{"key": k, "value": v} for k, v in labels.items()]
        if new_escalation_policy is not None:
            payload["newEscalationPolicy"] = {
                "name": new_escalation_policy["name"], "description": new_escalation_policy.get("description", ""),
                "repeat": new_escalation_policy.get("repeat", 3),
                "steps": [_step_input(step) for step in new_escalation_policy.get("steps", ())]}
        keys = [{"type": "generic", "name": key_name} for key_name in new_integration_keys]
        if keys:
            payload["newIntegrationKeys"] = keys
        return self.execute("CreateService", {"input": payload})["createService"]

    def get_service(self, service_id: str) -> dict[str, Any] | None:
        return self.execute("GetService", {"id": service_id})["service"]

    def find_services(self, search: str = "", *, first: int = 15, after: str | None = None) -> dict[str, Any]:
        return self.execute("FindServices", {"input": _compact(
            {"search": search, "first": first, "after": after})})["services"]

    def update_service(self, service_id: str, *, name: str | None = None, description: str | None = None,
                       escalation_policy_id: str | None = None) -> bool:
        data = self.execute("UpdateService", {"input": _compact(
            {"id": service_id, "name": name, "description": description,
             "escalationPolicyID": escalation_policy_id})})
        return bool(data["updateService"])

    def set_service_label(self, service_id: str, key: str, value: str) -> bool:
        """An empty value removes the label."""
        data = self.execute("SetLabel", {"input": {"target": {"type": "service", "id": service_id},
                                                   "key": key, "value": value}})
        return bool(data["setLabel"])

    def delete_service(self, service_id: str) -> bool:
        return self.delete_targets([("service", service_id)])

    def create_integration_key(self, service_id: str, name: str) -> dict[str, Any]:
        """A generic key: its id is the ingest token, `href` the full ingest URL."""
        data = self.execute("CreateIntegrationKey",
                            {"input": {"serviceID": service_id, "type": "generic", "name": name}})
        return data["createIntegrationKey"]

    # --- escalation policies ----------------------------------------------------------------

    def create_escalation_policy(self, name: str, *, repeat: int = 3, description: str = "",
                                 steps: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """`steps`: [{"delay_minutes": 5, "actions": [user_destination(...), ...]}, ...]."""
        payload = {"name": name, "description": description, "repeat": repeat,
                   "steps": [_step_input(step) for step in steps]}
        return self.execute("CreateEscalationPolicy", {"input": payload})["createEscalationPolicy"]

    def add_escalation_policy_step(self, escalation_policy_id: str, *, delay_minutes: int,
                                   actions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        payload = {"escalationPolicyID": escalation_policy_id,
                   **_step_input({"delay_minutes": delay_minutes, "actions": actions})}
        return self.execute("CreateEscalationPolicyStep", {"input": payload})["createEscalationPolicyStep"]

    def get_escalation_policy(self, escalation_policy_id: str) -> dict[str, Any] | None:
        return self.execute("GetEscalationPolicy", {"id": escalation_policy_id})["escalationPolicy"]

    # --- schedules, rotations, overrides ----------------------------------------------------

    def create_schedule(self, name: str, time_zone: str, *, description: str = "",
                        targets: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """`targets`: ScheduleTargetInput dicts, e.g. always_on_target("rotation", id), or with
        {"newRotation": {...}, "rules": [...]} to create a rotation in the same call."""
        payload = {"name": name, "description": description, "timeZone": time_zone,
                   "targets": [dict(t) for t in targets]}
        return self.execute("CreateSchedule", {"input": payload})["createSchedule"]

    def list_schedules(self, search: str = "", *, first: int = 15, after: str | None = None) -> dict[str, Any]:
        return self.execute("ListSchedules", {"input": _compact(
            {"search": search, "first": first, "after": after})})["schedules"]

    def get_schedule(self, schedule_id: str, *, start: datetime, end: datetime) -> dict[str, Any] | None:
        """The schedule with its on-call shifts between start and end."""
        return self.execute("GetSchedule", {"id": schedule_id, "start": iso(start), "end": iso(end)})["schedule"]

    def create_rotation(self, name: str, time_zone: str, *, start: datetime, rotation_type: str = "weekly",
                        shift_length: int = 1, user_ids: Iterable[str] = (),
                        description: str = "") -> dict[str, Any]:
        payload = {"name": name, "description": description, "timeZone": time_zone, "start": iso(start),
                   "type": rotation_type, "shiftLength": shift_length, "userIDs": list(user_ids)}
        return self.execute("CreateRotation", {"input": payload})["createRotation"]

    def create_user_override(self, schedule_id: str, *, start: datetime, end: datetime,
                             add_user_id: str | None = None, remove_user_id: str | None = None) -> dict[str, Any]:
        """add only = add, remove only = remove, both = replace."""
        payload = _compact({"scheduleID": schedule_id, "start": iso(start), "end": iso(end),
                            "addUserID": add_user_id, "removeUserID": remove_user_id})
        return self.execute("CreateUserOverride", {"input": payload})["createUserOverride"]

    def list_user_overrides(self, schedule_id: str, *, start: datetime | None = None,
                            end: datetime | None = None, first: int = 50) -> dict[str, Any]:
        payload = _compact({"scheduleID": schedule_id, "first": first,
                            "start": iso(start) if start else None, "end": iso(end) if end else None})
        return self.execute("ListUserOverrides", {"input": payload})["userOverrides"]

    def delete_user_overrides(self, override_ids: Iterable[str]) -> bool:
        return self.delete_targets(("userOverride", override_id) for override_id in override_ids)

    # --- alerts -----------------------------------------------------------------------------

    def create_alert(self, service_id: str, summary: str, *, details: str = "",
                     dedup: str | None = None) -> dict[str, Any] | None:
        payload = _compact({"serviceID": service_id, "summary": summary, "details": details, "dedup": dedup})
        return self.execute("CreateAlert", {"input": payload})["createAlert"]

    def close_matching_alert(self, service_id: str, dedup: str) -> bool:
        data = self.execute("CloseMatchingAlert", {"input": {"serviceID": service_id, "dedup": dedup}})
        return bool(data["closeMatchingAlert"])

    def get_alert(self, alert_id: int, *, event_limit: int = 20) -> dict[str, Any] | None:
        """The alert with its most recent log entries (`recentEvents.nodes`)."""
        return self.execute("GetAlert", {"id": int(alert_id), "eventLimit": event_limit})["alert"]

    def list_alerts(self, *, statuses: Iterable[str] | None = None, service_ids: Iterable[str] | None = None,
                    search: str | None = None, first: int = 15, after: str | None = None) -> dict[str, Any]:
        payload = _compact({"filterByStatus": list(statuses) if statuses is not None else None,
                            "filterByServiceID": list(service_ids) if service_ids is not None else None,
                            "search": search, "first": first, "after": after})
        return self.execute("ListAlerts", {"input": payload})["alerts"]

    def update_alerts(self, alert_ids: Iterable[int], new_status: str) -> list[dict[str, Any]]:
        if new_status not in (STATUS_ACKNOWLEDGED, STATUS_CLOSED):
            raise ValueError("GoAlert alerts can only be set to StatusAcknowledged or StatusClosed")
        data = self.execute("UpdateAlerts", {"input": {"alertIDs": [int(i) for i in alert_ids],
                                                       "newStatus": new_status}})
        return data["updateAlerts"] or []

    def acknowledge_alerts(self, alert_ids: Iterable[int]) -> list[dict[str, Any]]:
        return self.update_alerts(alert_ids, STATUS_ACKNOWLEDGED)

    def close_alerts(self, alert_ids: Iterable[int]) -> list[dict[str, Any]]:
        return self.update_alerts(alert_ids, STATUS_CLOSED)

    def escalate_alerts(self, alert_ids: Iterable[int]) -> list[dict[str, Any]]:
        return self.execute("EscalateAlerts", {"ids": [int(i) for i in alert_ids]})["escalateAlerts"] or []

    # --- administration ---------------------------------------------------------------------

    def create_gql_api_key(self, name: str, *, description: str, expires_at: datetime, role: str = "admin",
                           query: str | None = None) -> CreatedAPIKey:
        """Admin only. The token is shown once: store it at once, never log it."""
        payload = {"name": name, "description": description, "expiresAt": iso(expires_at), "role": role,
                   "query": query if query is not None else operations_document().text}
        created = self.execute("CreateGQLAPIKey", {"input": payload})["createGQLAPIKey"]
        return CreatedAPIKey(id=created["id"], token=created["token"])

    def list_gql_api_keys(self) -> list[dict[str, Any]]:
        return self.execute("ListGQLAPIKeys")["gqlAPIKeys"]

    def delete_gql_api_key(self, key_id: str) -> bool:
        return bool(self.execute("DeleteGQLAPIKey", {"id": key_id})["deleteGQLAPIKey"])

    def get_config(self, *, all_values: bool = False) -> dict[str, str]:
        return {item["id"]: item["value"] for item in self.execute("GetConfig", {"all": all_values})["config"]}

    def set_config(self, values: Mapping[str, str]) -> bool:
        data = self.execute("SetConfig", {"input": [{"id": k, "value": v} for k, v in values.items()]})
        return bool(data["setConfig"])

    def enable_webhooks(self, allowed_urls: Iterable[str] = ()) -> bool:
        """Turn on GoAlert's webhook destinations; `allowed_urls` (prefixes) restrict them."""
        return self.set_config({"Webhook.Enable": "true", "Webhook.AllowedURLs": "\n".join(allowed_urls)})


def _is_idempotent(operation: str, variables: Mapping[str, Any] | None) -> bool:
    if operation == "CreateAlert":  # the same dedup finds the same open alert
        return bool((variables or {}).get("input", {}).get("dedup"))
    return operation in _IDEMPOTENT_MUTATIONS or not operation.startswith(
        ("Create", "Update", "Set", "Delete", "Send", "Verify", "Test", "Close", "Escalate"))


def _step_input(step: Mapping[str, Any]) -> dict[str, Any]:
    return {"delayMinutes": int(step.get("delay_minutes", 0)), "actions": [dict(a) for a in step["actions"]]}


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _maybe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _rejected(operation: str, errors: Any, status_code: int = 200) -> BackendRejected:
    items = errors if isinstance(errors, list) else [errors]
    messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in items]
    return BackendRejected(_http.BACKEND, f"GoAlert rejected {operation}: {'; '.join(messages)}",
                           errors=messages, status_code=status_code)
