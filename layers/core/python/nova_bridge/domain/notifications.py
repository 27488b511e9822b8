"""Notification planning: which channels, in which order, with which message, for one page.

GoAlert decides *who* is paged and *when*; this module decides *how*: channels by severity from
the user's preferences (sane defaults where they are silent), quiet hours in the user's time zone
(critical breaks through unless the user opts out), priority order, and the rendered messages with
acknowledge/resolve/view links. Pure: no I/O, no AWS, the clock and the signing key are passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
CHANNELS: tuple[str, ...] = ("push", "sms", "email", "slack")

# What a user gets when their preferences say nothing about a severity.
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "critical": ("push", "sms", "email"),
    "high": ("push", "email"),
    "medium": ("email",),
    "low": ("email",),
}
# Severities that break through quiet hours unless the user's quiet_hours.except says otherwise.
DEFAULT_BREAKTHROUGH: tuple[str, ...] = ("critical",)
# Lower is sooner: interrupting channels first, then the ones read later.
CHANNEL_RANK: dict[str, int] = {"push": 0, "sms": 1, "email": 2, "slack": 3}
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

SMS_MAX_CHARS = 300  # two SMS segments; a longer text costs more and is truncated by some carriers
ACTION_LINK_TTL = timedelta(hours=24)
ACTIONS: tuple[str, ...] = ("acknowledge", "resolve")


# --- inputs --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Contact:
    """How to reach a Nova user (from Nova Helix via user.created|updated)."""

    nova_user_id: str
    email: str | None = None
    phone: str | None = None  # E.164
    name: str | None = None
    time_zone: str | None = None
    push_endpoint_arn: str | None = None  # SNS platform endpoint, for the push fallback

    def address_for(self, channel: str) -> str | None:
        """The address the bridge itself knows (the fallback needs it; Comms also knows users by id)."""
        return {"email": self.email, "sms": self.phone, "push": self.push_endpoint_arn}.get(channel)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    breakthrough: tuple[str, ...] = DEFAULT_BREAKTHROUGH

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight, e.g. 22:00-07:00


@dataclass(frozen=True)
class Preferences:
    time_zone: str = "UTC"
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # severity -> channels, as chosen
    quiet_hours: QuietHours | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any] | None, fallback_time_zone: str | None = None) -> "Preferences":
        """From a notification_preferences row (or None: every default). Unknown channel names and
        unparseable quiet hours are ignored rather than blocking a page."""
        if not row:
            return cls(time_zone=fallback_time_zone or "UTC")
        channels: dict[str, tuple[str, ...]] = {}
        for severity, chosen in (row.get("channels") or {}).items():
            if severity in SEVERITIES and isinstance(chosen, list):
                channels[severity] = tuple(dict.fromkeys(c for c in chosen if c in CHANNELS))
        return cls(time_zone=row.get("time_zone") or fallback_time_zone or "UTC", channels=channels,
                   quiet_hours=parse_quiet_hours(row.get("quiet_hours")))


def parse_quiet_hours(value: Any) -> QuietHours | None:
    """{start: "22:00", end: "07:00", except: [severity], enabled: bool}; `except` lists the
    severities that still notify (default: critical); `except: []` silences everything."""
    if not isinstance(value, dict) or value.get("enabled") is False:
        return None
    try:
        start, end = time.fromisoformat(str(value["start"])), time.fromisoformat(str(value["end"]))
    except (KeyError, ValueError):
        return None
    breakthrough = value.get("except", list(DEFAULT_BREAKTHROUGH))
    if not isinstance(breakthrough, list):
        breakthrough = list(DEFAULT_BREAKTHROUGH)
    return QuietHours(start, end, tuple(s for s in breakthrough if s in SEVERITIES))


@dataclass(frozen=True)
class AlertInfo:
    """What the message says about the alert."""

    goalert_alert_id: int
    summary: str
    details: str = ""
    severity: str = "high"
    alert_id: str | None = None  # the bridge's alert id (API), when the bridge knows the alert
    service_name: str | None = None
    monitor_name: str | None = None
    created_at: datetime | None = None


# --- outputs -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    sms: str


@dataclass(frozen=True)
class Delivery:
    channel: str
    address: str | None  # None: the bridge knows no address; only Comms (by user id) can deliver
    priority: int


@dataclass(frozen=True)
class Skip:
    channel: str
    reason: str


@dataclass(frozen=True)
class NotificationPlan:
    severity: str
    deliveries: tuple[Delivery, ...]
    skipped: tuple[Skip, ...]
    message: Message
    actions: dict[str, str]
    local_time: datetime


# --- planning ------------------------------------------------------------------------------------

def normalise_severity(severity: str | None) -> str:
    value = (severity or "").lower()
    return value if value in SEVERITIES else "high"


def user_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def channels_for(severity: str, prefs: Preferences) -> tuple[str, ...]:
    if severity in prefs.channels:
        return prefs.channels[severity]
    return DEFAULT_CHANNELS[severity]


def priority(severity: str, channel: str) -> int:
    return SEVERITY_RANK[severity] * 10 + CHANNEL_RANK[channel]


def in_quiet_hours(severity: str, prefs: Preferences, local_now: datetime) -> bool:
    quiet = prefs.quiet_hours
    if quiet is None or severity in quiet.breakthrough:
        return False
    return quiet.contains(local_now.time().replace(tzinfo=None))


def plan_notification(alert: AlertInfo, contact: Contact, prefs: Preferences, now: datetime, *,
                      public_url: str, action_key: bytes | None = None) -> NotificationPlan:
    severity = normalise_severity(alert.severity)
    local_now = now.astimezone(user_zone(prefs.time_zone))
    chosen = channels_for(severity, prefs)
    actions = action_links(alert, contact.nova_user_id, public_url, now, action_key)
    message = render_message(alert, severity, actions, local_now)
    if not chosen:
        return NotificationPlan(severity, (), (Skip("*", f"no channels chosen for {severity}"),), message,
                                actions, local_now)
    if in_quiet_hours(severity, prefs, local_now):
        skipped = tuple(Skip(c, f"quiet hours ({local_now:%H:%M} {prefs.time_zone})") for c in chosen)
        return NotificationPlan(severity, (), skipped, message, actions, local_now)
    deliveries = sorted((Delivery(c, contact.address_for(c), priority(severity, c)) for c in chosen),
                        key=lambda d: d.priority)
    return NotificationPlan(severity, tuple(deliveries), (), message, actions, local_now)


# --- links ---------------------------------------------------------------------------------------

def derive_action_key(secret: str) -> bytes:
    """A key for action links derived from a deployment secret, separate from the secret's own use."""
    return hmac.new(secret.encode(), b"nova-bridge/alert-action-links/v1", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_action(key: bytes, alert_id: str, action: str, nova_user_id: str, expires: datetime) -> str:
    """A token for one action on one alert by one user until `expires`: payload.mac (URL-safe)."""
    payload = json.dumps({"a": alert_id, "x": action, "u": nova_user_id, "e": int(expires.timestamp())},
                         separators=(",", ":")).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


@dataclass(frozen=True)
class ActionClaim:
    alert_id: str
    action: str
    nova_user_id: str
    expires: datetime


class InvalidActionToken(ValueError):
    pass


def verify_action(key: bytes, token: str, now: datetime) -> ActionClaim:
    """The claim a token carries, or InvalidActionToken (forged, altered, malformed or expired)."""
    try:
        payload_text, mac_text = token.split(".")
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except ValueError as exc:
        raise InvalidActionToken("malformed token") from exc
    if not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()[:16]):
        raise InvalidActionToken("bad signature")
    data = json.loads(payload)
    expires = datetime.fromtimestamp(data["e"], timezone.utc)
    if now >= expires:
        raise InvalidActionToken("expired")
    if data["x"] not in ACTIONS:
        raise InvalidActionToken("unknown action")
    return ActionClaim(data["a"], data["x"], data["u"], expires)


def action_links(alert: AlertInfo, nova_user_id: str, public_url: str, now: datetime,
                 key: bytes | None) -> dict[str, str]:
    """API links (PUT with a Nova token, for apps) and, with a key, signed one-click links for
    email/SMS that the `GET|POST /api/v2/alert-actions/{token}` route honours."""
    if alert.alert_id is None:
        return {}
    base = f"{public_url.rstrip('/')}/api/v2/alerts/{alert.alert_id}"
    links = {"view": base, "acknowledge_api": f"{base}/acknowledge", "resolve_api": f"{base}/resolve"}
    if key is not None:
        expires = now + ACTION_LINK_TTL
        for action in ACTIONS:
            token = sign_action(key, alert.alert_id, action, nova_user_id, expires)
            links[action] = f"{public_url.rstrip('/')}/api/v2/alert-actions/{token}"
    return links


# --- rendering -----------------------------------------------------------------------------------

def render_message(alert: AlertInfo, severity: str, actions: dict[str, str], local_now: datetime) -> Message:
    label = severity.upper()
    what = alert.monitor_name or alert.service_name
    subject = f"[{label}] {alert.summary}" + (f" ({what})" if what and what not in alert.summary else "")
    when = (alert.created_at.astimezone(local_now.tzinfo) if alert.created_at else local_now)
    facts = [("Alert", alert.summary), ("Severity", label)]
    if alert.service_name:
        facts.append(("Service", alert.service_name))
    if alert.monitor_name:
        facts.append(("Monitor", alert.monitor_name))
    facts.append(("Time", f"{when:%Y-%m-%d %H:%M %Z}"))
    facts.append(("GoAlert alert", f"#{alert.goalert_alert_id}"))
    link_rows = [(title, actions[name]) for name, title in
                 (("acknowledge", "Acknowledge"), ("resolve", "Resolve"), ("view", "View details"))
                 if name in actions]

    text_lines = [f"{k}: {v}" for k, v in facts]
    if alert.details:
        text_lines += ["", alert.details]
    if link_rows:
        text_lines += [""] + [f"{title}: {url}" for title, url in link_rows]
    text = "\n".join(text_lines) + "\n"

    rows = "".join(f"<tr><th align=\"left\">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    details = f"<pre>{html.escape(alert.details)}</pre>" if alert.details else ""
    buttons = " | ".join(f"<a href=\"{html.escape(url, quote=True)}\">{html.escape(title)}</a>"
                         for title, url in link_rows)
    body_html = (f"<html><body><h2>{html.escape(label)} alert</h2><table>{rows}</table>{details}"
                 + (f"<p>{buttons}</p>" if buttons else "") + "</body></html>")

    return Message(subject=subject, text=text, html=body_html, sms=render_sms(alert, label, actions))


def render_sms(alert: AlertInfo, label: str, actions: dict[str, str]) -> str:
    """Short: severity, summary (cut to fit), the acknowledge link when there is one."""
    tail = f" Ack: {actions['acknowledge']}" if "acknowledge" in actions else f" (#{alert.goalert_alert_id})"
    head = f"[{label}] "
    room = max(SMS_MAX_CHARS - len(head) - len(tail), 20)
    summary = " ".join(alert.summary.split())
    if len(summary) > room:
        summary = summary[: room - 1] + "…"
    return f"{head}{summary}{tail}"
