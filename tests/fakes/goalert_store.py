"""In-memory state and behaviour of the fake GoAlert: users, services, policies, schedules,
alerts with their log, on-call computation and outgoing webhooks (body shapes per
shared/contracts/goalert/NOTES.md)."""

from __future__ import annotations

import calendar
import hashlib
import itertools
import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

APP_NAME = "GoAlert"
OPEN_STATUSES = ("StatusUnacknowledged", "StatusAcknowledged")
DEST_ARG = {"builtin-user": "user_id", "builtin-schedule": "schedule_id",
            "builtin-rotation": "rotation_id", "builtin-webhook": "webhook_url"}
CONFIG_DEFAULTS = {"General.ApplicationName": "GoAlert", "Webhook.Enable": "false", "Webhook.AllowedURLs": ""}
PUBLIC_CONFIG = ("General.ApplicationName",)


_ID_NAME = re.compile(r"^[a-zA-Z0-9 \-_']+$")
_USERNAME = re.compile(r"^[a-z0-9._-]+$")


def check_id_name(field_name: str, name: str) -> None:
    """GoAlert's validate.IDName: services, policies, integration keys, contact methods."""
    if len(name.encode()) < 2:
        raise FakeGoAlertError(f"invalid value for '{field_name}': must be at least 2 characters")
    if len(name.encode()) > 64:
        raise FakeGoAlertError(f"invalid value for '{field_name}': cannot be more than 64 characters")
    if not ("a" <= name[0] <= "z" or "A" <= name[0] <= "Z"):
        raise FakeGoAlertError(f"invalid value for '{field_name}': must begin with a letter")
    if not _ID_NAME.match(name):
        raise FakeGoAlertError(f"invalid value for '{field_name}': can only contain letters, digits, hyphens, "
                               "underscores, apostrophe and space")
    if name.endswith(" "):
        raise FakeGoAlertError(f"invalid value for '{field_name}': must not end with space")


def webhook_url_matches(base_url: str, url: str) -> bool:
    """GoAlert's config.MatchURL: same scheme and host:port (implicit ports added), the path a
    prefix, and the base's query values present."""
    base, test = urlsplit(base_url), urlsplit(url)

    def host(parts: Any) -> str:
        netloc = parts.netloc.lower()
        return netloc if ":" in netloc else netloc + {"http": ":80", "https": ":443"}.get(parts.scheme.lower(), "")

    if host(base) != host(test) or base.scheme.lower() != test.scheme.lower():
        return False
    if len(base.path) > 1 and not test.path.startswith(base.path):
        return False
    test_query = parse_qs(test.query)
    return all(test_query.get(k, [""])[0] == v[0] for k, v in parse_qs(base.query).items())


class FakeGoAlertError(Exception):
    """A refusal GoAlert would answer with its own message."""


@dataclass
class Actor:
    role: str  # "admin" | "user"
    name: str
    user_id: str | None = None
    api_key_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass
class SentWebhook:
    url: str
    body: dict[str, Any]


def parse_ts(value: str, field_name: str = "timestamp") -> datetime:
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise FakeGoAlertError(f"invalid value for '{field_name}': must be an RFC3339 timestamp") from None
    if ts.tzinfo is None:
        raise FakeGoAlertError(f"invalid value for '{field_name}': missing time zone")
    return ts.astimezone(timezone.utc)


def fmt_ts(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FakeGoAlertError(f"invalid value for 'timeZone': unknown time zone '{name}'") from None


@dataclass
class Store:
    public_url: str
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    contact_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    notification_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    integration_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    rotations: dict[str, dict[str, Any]] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: dict[int, dict[str, Any]] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=lambda: dict(CONFIG_DEFAULTS))
    sent_webhooks: list[SentWebhook] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _alert_ids: Any = field(default_factory=lambda: itertools.count(1))
    _log_ids: Any = field(default_factory=lambda: itertools.count(1))
    outbox: list[SentWebhook] = field(default_factory=list)

    # --- users and contact methods ----------------------------------------------------------

    def add_user(self, username: str, password: str, *, name: str | None = None, email: str | None = None,
                 role: str = "user") -> dict[str, Any]:
        if not username or not password:
            raise FakeGoAlertError("invalid value for 'username': must not be empty")
        if not 3 <= len(username) <= 24:
            raise FakeGoAlertError("invalid value for 'username': must be 3 to 24 characters")
        if not _USERNAME.match(username):
            raise FakeGoAlertError("invalid value for 'username': can only contain lower-case letters, digits, "
                                   "and the characters '-', '_', and '.'")
        if any(u["username"] == username for u in self.users.values()):
            raise FakeGoAlertError("invalid value for 'username': already in use")
        user = {"id": str(uuid.uuid4()), "username": username, "password": password,
                "name": name or username, "email": email or "", "role": role or "user"}
        self.users[user["id"]] = user
        return user

    def login(self, username: str, password: str) -> str:
        for user in self.users.values():
            if user["username"] == username and secrets.compare_digest(user["password"], password):
                token = "S" + secrets.token_urlsafe(32)  # session tokens never start with "ey"
                self.sessions[token] = user["id"]
                return token
        raise FakeGoAlertError("unknown username/password")

    def webhook_allowed(self, url: str) -> None:
        if self.config.get("Webhook.Enable") != "true":
            raise FakeGoAlertError("destination type builtin-webhook is disabled")
        if not url.startswith(("http://", "https://")):
            raise FakeGoAlertError("invalid value for 'webhook_url': must be a valid URL")
        allowed = [u for u in self.config.get("Webhook.AllowedURLs", "").split("\n") if u]
        if allowed and not any(webhook_url_matches(base, url) for base in allowed):
            raise FakeGoAlertError("invalid value for 'webhook_url': url is not allowed by administator")

    def add_contact_method(self, user_id: str, name: str, url: str, *, status_updates: bool,
                           rule_delay: int | None) -> dict[str, Any]:
        self.require(self.users, user_id, "user")
        check_id_name("name", name)
        self.webhook_allowed(url)
        # As GoAlert: created disabled (enabled by verifyContactMethod), `pending` false, no code
        # sent until sendContactMethodVerification; webhooks always get status updates.
        cm = {"id": str(uuid.uuid4()), "userID": user_id, "name": name, "url": url, "disabled": True,
              "pending": False, "statusUpdates": "ENABLED_FORCED", "code": None}
        self.contact_methods[cm["id"]] = cm
        if rule_delay is not None:
            rule = {"id": str(uuid.uuid4()), "userID": user_id, "contactMethodID": cm["id"],
                    "delayMinutes": rule_delay}
            self.notification_rules[rule["id"]] = rule
        return cm

    def send_verification(self, cm_id: str) -> None:
        cm = self.require(self.contact_methods, cm_id, "contact method")
        cm["code"] = f"{secrets.randbelow(900000) + 100000}"
        self.outbox.append(SentWebhook(cm["url"], {"AppName": APP_NAME, "Type": "Verification",
                                                   "Code": cm["code"]}))

    def verify(self, cm_id: str, code: int) -> None:
        cm = self.require(self.contact_methods, cm_id, "contact method")
        if not 100000 <= int(code) <= 999999:
            raise FakeGoAlertError("invalid value for 'Code': must be 6 digits")
        if cm["code"] is None or str(code) != cm["code"]:
            raise FakeGoAlertError("invalid verification code")
        cm["disabled"], cm["code"] = False, None

    # --- services, policies, schedules ------------------------------------------------------

    @staticmethod
    def require(table: dict[Any, dict[str, Any]], key: Any, kind: str) -> dict[str, Any]:
        item = table.get(key)
        if item is None:
            raise FakeGoAlertError(f"{kind} not found")
        return item

    def unique_name(self, table: dict[str, dict[str, Any]], name: str, kind: str) -> None:
        check_id_name("name", name)
        if any(item["name"].casefold() == name.casefold() for item in table.values()):
            raise FakeGoAlertError(f"invalid value for 'name': {kind} name already in use")

    def check_action(self, dest: dict[str, Any]) -> dict[str, Any]:
        kind = dest.get("type")
        if kind not in DEST_ARG:
            raise FakeGoAlertError(f"unsupported destination type '{kind}'")
        value = (dest.get("args") or {}).get(DEST_ARG[kind])
        if not value:
            raise FakeGoAlertError(f"invalid value for '{DEST_ARG[kind]}': required")
        table = {"builtin-user": self.users, "builtin-schedule": self.schedules,
                 "builtin-rotation": self.rotations}.get(kind)
        if table is not None:
            self.require(table, value, kind.removeprefix("builtin-"))
        else:
            self.webhook_allowed(value)
        return {"type": kind, "args": {DEST_ARG[kind]: value}}

    def on_call_now(self, schedule_id: str) -> list[str]:
        now = self.clock()
        return sorted(self.on_call_at(self.schedules[schedule_id], now))

    def rotation_user_at(self, rotation: dict[str, Any], at: datetime) -> str | None:
        users = rotation["userIDs"]
        if not users:
            return None
        index = 0
        handoff = parse_ts(rotation["start"])
        while True:
            nxt = self.next_handoff(rotation, handoff)
            if nxt > at:
                break
            handoff, index = nxt, index + 1
        return users[index % len(users)]

    @staticmethod
    def next_handoff(rotation: dict[str, Any], at: datetime) -> datetime:
        n = rotation["shiftLength"]
        if rotation["type"] == "monthly":
            month = at.month - 1 + n
            year, month = at.year + month // 12, month % 12 + 1
            return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))
        unit = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
        return at + unit[rotation["type"]] * n

    def on_call_at(self, schedule: dict[str, Any], at: datetime) -> set[str]:
        tz = zone(schedule["timeZone"])
        local = at.astimezone(tz)
        on_call: set[str] = set()
        for target in schedule["targets"]:
            if not any(_rule_active(rule, local) for rule in target["rules"]):
                continue
            if target["target"]["type"] == "user":
                on_call.add(target["target"]["id"])
            elif (rot := self.rotations.get(target["target"]["id"])) and (user := self.rotation_user_at(rot, at)):
                on_call.add(user)
        for override in self.overrides.values():
            if override["scheduleID"] != schedule["id"]:
                continue
            if not parse_ts(override["start"]) <= at < parse_ts(override["end"]):
                continue
            add, remove = override["addUserID"], override["removeUserID"]
            if add and remove:
                if remove in on_call:
                    on_call.discard(remove)
                    on_call.add(add)
            elif add:
                on_call.add(add)
            elif remove:
                on_call.discard(remove)
        return on_call

    def shifts(self, schedule: dict[str, Any], start: datetime, end: datetime) -> list[dict[str, Any]]:
        if end <= start:
            raise FakeGoAlertError("invalid value for 'end': must be after start")
        if end - start > timedelta(days=100):
            raise FakeGoAlertError("invalid value for 'end': window too long")
        points = {start, end}
        tz = zone(schedule["timeZone"])
        day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        while day < end:  # rule edges, each local day of the window
            for target in schedule["targets"]:
                for rule in target["rules"]:
                    for clock in (rule.get("start") or "00:00", rule.get("end") or "00:00"):
                        h, m = (int(x) for x in clock.split(":"))
                        points.add(day.replace(hour=h, minute=m).astimezone(timezone.utc))
            day = (day + timedelta(days=1, hours=3)).replace(hour=0)
        for target in schedule["targets"]:
            if target["target"]["type"] == "rotation" and target["target"]["id"] in self.rotations:
                rot = self.rotations[target["target"]["id"]]
                handoff = parse_ts(rot["start"])
                while handoff < end:
                    points.add(handoff)
                    handoff = self.next_handoff(rot, handoff)
        for override in self.overrides.values():
            if override["scheduleID"] == schedule["id"]:
                points.update((parse_ts(override["start"]), parse_ts(override["end"])))
        edges = sorted(p for p in points if start <= p <= end)
        shifts: list[dict[str, Any]] = []
        open_shifts: dict[str, dict[str, Any]] = {}
        for seg_start, seg_end in zip(edges, edges[1:]):
            current = self.on_call_at(schedule, seg_start)
            for user_id in list(open_shifts):
                if user_id not in current:
                    shifts.append(open_shifts.pop(user_id))
            for user_id in current:
                shift = open_shifts.setdefault(user_id, {"userID": user_id, "start": seg_start, "truncated": False})
                shift["end"] = seg_end
        shifts.extend(open_shifts.values())
        for shift in shifts:
            shift["truncated"] = shift["start"] == start and shift["userID"] in self.on_call_at(
                schedule, start - timedelta(seconds=1))
            shift["start"], shift["end"] = fmt_ts(shift["start"]), fmt_ts(shift["end"])
        return sorted(shifts, key=lambda s: (s["start"], s["userID"]))

    def on_call_users(self, service: dict[str, Any]) -> list[dict[str, Any]]:
        policy = self.policies.get(service["escalationPolicyID"])
        result, seen = [], set()
        for number, step in enumerate(policy["steps"] if policy else []):
            for user_id in self.step_users(step):
                if (user_id, number) not in seen and user_id in self.users:
                    seen.add((user_id, number))
                    result.append({"userID": user_id, "userName": self.users[user_id]["name"], "stepNumber": number})
        return result

    def step_users(self, step: dict[str, Any]) -> list[str]:
        users: list[str] = []
        for action in step["actions"]:
            value = action["args"][DEST_ARG[action["type"]]]
            if action["type"] == "builtin-user":
                users.append(value)
            elif action["type"] == "builtin-schedule" and value in self.schedules:
                users.extend(self.on_call_now(value))
            elif action["type"] == "builtin-rotation" and value in self.rotations:
                user = self.rotation_user_at(self.rotations[value], self.clock())
                users.extend([user] if user else [])
        return users

    # --- alerts -----------------------------------------------------------------------------

    def log(self, alert: dict[str, Any], message: str) -> None:
        alert["log"].append({"id": next(self._log_ids), "alertID": alert["alertID"],
                             "timestamp": fmt_ts(self.clock()), "message": message})

    def open_alert(self, service_id: str, dedup: str) -> dict[str, Any] | None:
        for alert in self.alerts.values():
            if alert["serviceID"] == service_id and alert["dedup"] == dedup and alert["status"] in OPEN_STATUSES:
                return alert
        return None

    def trigger(self, service_id: str, summary: str, details: str, dedup: str | None,
                source: str, *, allow_empty: bool = False) -> tuple[dict[str, Any], bool]:
        """GoAlert's CreateOrUpdate for a trigger: an open alert with the same dedup is returned
        (and logged as a suppressed duplicate). The generic API allows an empty summary."""
        service = self.require(self.services, service_id, "service")
        if not allow_empty and not summary.strip():
            raise FakeGoAlertError("invalid value for 'summary': must not be empty")
        key = dedup or auto_dedup(summary, details)
        existing = self.open_alert(service_id, key)
        if existing:
            self.log(existing, f"Suppressed duplicate: created via {source}")
            return existing, False
        alert_id = next(self._alert_ids)
        alert = {"id": str(alert_id), "alertID": alert_id, "status": "StatusUnacknowledged", "summary": summary,
                 "details": details, "createdAt": fmt_ts(self.clock()), "serviceID": service_id, "dedup": key,
                 "log": [], "stepNumber": 0, "notified": []}
        self.alerts[alert_id] = alert
        self.log(alert, f"Created via {source}")
        self.notify_step(alert, service)
        return alert, True

    def set_status(self, alert: dict[str, Any], status: str, actor: str, *, via: bool = False) -> bool:
        """`via`: an integration closed it ("Closed via <key> integration (Generic API)")."""
        if alert["status"] == "StatusClosed" or alert["status"] == status:
            return False
        alert["status"] = status
        verb = "Acknowledged" if status == "StatusAcknowledged" else "Closed"
        # an API key (no user) leaves the bare verb, as GoAlert does: "Acknowledged"
        self.log(alert, f"{verb} {'via' if via else 'by'} {actor}" if actor else verb)
        self.status_update(alert)
        return True

    def escalate(self, alert: dict[str, Any], actor: str) -> None:
        if alert["status"] not in OPEN_STATUSES:
            return
        service = self.services[alert["serviceID"]]
        policy = self.policies.get(service["escalationPolicyID"])
        steps = len(policy["steps"]) if policy else 0
        alert["stepNumber"] = (alert["stepNumber"] + 1) % steps if steps else 0
        alert["status"] = "StatusUnacknowledged"
        self.log(alert, f"Escalation requested by {actor}")
        self.notify_step(alert, service)

    def notify_step(self, alert: dict[str, Any], service: dict[str, Any]) -> None:
        policy = self.policies.get(service["escalationPolicyID"])
        if not policy or not policy["steps"]:
            return
        step = policy["steps"][alert["stepNumber"] % len(policy["steps"])]
        body = {"AppName": APP_NAME, "Type": "Alert", "AlertID": alert["alertID"], "Summary": alert["summary"],
                "Details": alert["details"], "ServiceID": service["id"], "ServiceName": service["name"],
                "Meta": {}}
        targets: list[tuple[str, bool]] = [  # (url, receives status updates)
            (a["args"]["webhook_url"], True) for a in step["actions"] if a["type"] == "builtin-webhook"]
        for user_id in dict.fromkeys(self.step_users(step)):
            rules = {r["contactMethodID"] for r in self.notification_rules.values() if r["userID"] == user_id}
            for cm in self.contact_methods.values():
                if cm["userID"] == user_id and cm["id"] in rules and not cm["pending"] and not cm["disabled"]:
                    targets.append((cm["url"], cm["statusUpdates"] in ("ENABLED", "ENABLED_FORCED")))
                    self.log(alert, f"Notification sent to {self.users[user_id]['name']} (Webhook)")
        for url, updates in targets:
            self.outbox.append(SentWebhook(url, dict(body)))
            if updates and url not in alert["notified"]:
                alert["notified"].append(url)

    def status_update(self, alert: dict[str, Any]) -> None:
        for url in alert["notified"]:
            self.outbox.append(SentWebhook(url, {"AppName": APP_NAME, "Type": "AlertStatus",
                                                 "AlertID": alert["alertID"],
                                                 "LogEntry": alert["log"][-1]["message"]}))


def auto_dedup(summary: str, details: str) -> str:
    """GoAlert's dedup when none is sent: a hash of summary and details."""
    return "auto:" + hashlib.sha256(f"{summary}\n{details}".encode()).hexdigest()


def _rule_active(rule: dict[str, Any], local: datetime) -> bool:
    weekdays = rule.get("weekdayFilter") or [True] * 7
    if not weekdays[(local.weekday() + 1) % 7]:  # GoAlert's filter starts on Sunday
        return False
    start, end = rule.get("start") or "00:00", rule.get("end") or "00:00"
    now = local.strftime("%H:%M")
    if start == end:
        return True
    return start <= now < end if start < end else now >= start or now < end
