"""Parse the body Uptime Kuma's "webhook" notification POSTs (1.23.x and 2.x).

Kuma sends `{heartbeat, monitor, msg}` as JSON (content type "json") or the same JSON in a
multipart field named `data` (content type "form-data"). The Test button, and certificate expiry
notices, send only `msg` with `heartbeat` and `monitor` null: those parse to `KumaMessage`.

Time: Kuma's `heartbeat.time` is the database value, written in UTC; Kuma adds `localDateTime`
(server zone, seconds), `timezone` and `timezoneOffset` beside it. We read `time` as UTC and use
`localDateTime` + `timezoneOffset` only as a cross-check: should a Kuma ever send `time` in the
server's zone (time == localDateTime with a non-zero offset), the offset is subtracted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Literal
from urllib.parse import parse_qs

from nova_bridge.errors import InvalidRequest, UnsupportedMediaType

HeartbeatStatus = Literal["down", "up", "pending", "maintenance"]
STATUS_BY_CODE: dict[int, HeartbeatStatus] = {0: "down", 1: "up", 2: "pending", 3: "maintenance"}
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class KumaHeartbeat:
    """One heartbeat notification: a monitor changed state (or was notified again)."""

    kuma_monitor_id: int
    status: HeartbeatStatus
    time: datetime  # aware, UTC
    msg: str  # the check's own message, e.g. "connect ECONNREFUSED 127.0.0.1:8199"
    ping: float | None
    monitor_name: str | None
    important: bool | None
    heartbeat_id: int | None = None
    summary: str | None = None  # Kuma's human text, e.g. "[web] [🔴 Down] connect ECONNREFUSED ..."
    monitor_type: str | None = None


@dataclass(frozen=True)
class KumaMessage:
    """A notification without a heartbeat: the Test button or a certificate/domain expiry notice."""

    msg: str
    kuma_monitor_id: int | None = None

    @property
    def is_test(self) -> bool:
        # Kuma's test sends "<notification name> Testing"
        return self.msg.rstrip().endswith("Testing")


KumaTestMessage = KumaMessage  # the name the brief used for it


def parse_kuma_webhook(body: bytes, content_type: str | None) -> KumaHeartbeat | KumaMessage:
    """Validate and parse a webhook body. Raises InvalidRequest naming what is wrong and
    UnsupportedMediaType for content types Kuma's webhook does not use."""
    document = _decode_document(body, content_type or "")
    if not isinstance(document, dict):
        raise InvalidRequest("Kuma webhook body must be a JSON object with heartbeat, monitor and msg")
    for key in ("heartbeat", "monitor"):
        if key not in document:
            raise InvalidRequest(f"Kuma webhook body has no '{key}' member")
    heartbeat, monitor, summary = document["heartbeat"], document["monitor"], document.get("msg")
    if summary is not None and not isinstance(summary, str):
        raise InvalidRequest("Kuma webhook 'msg' must be a string")
    if monitor is not None and not isinstance(monitor, dict):
        raise InvalidRequest("Kuma webhook 'monitor' must be an object or null")
    if heartbeat is None:
        if not summary:
            raise InvalidRequest("Kuma webhook body has neither a heartbeat nor a message")
        monitor_id = _int_or_none(monitor.get("id")) if monitor else None
        return KumaMessage(msg=summary, kuma_monitor_id=monitor_id)
    if not isinstance(heartbeat, dict):
        raise InvalidRequest("Kuma webhook 'heartbeat' must be an object or null")
    if monitor is None:
        raise InvalidRequest("Kuma webhook carries a heartbeat but no monitor")
    return KumaHeartbeat(
        kuma_monitor_id=_monitor_id(heartbeat, monitor),
        status=_status(heartbeat.get("status")),
        time=_heartbeat_time(heartbeat),
        msg=str(heartbeat.get("msg") or ""),
        ping=_ping(heartbeat.get("ping")),
        monitor_name=monitor.get("name") if isinstance(monitor.get("name"), str) else None,
        important=heartbeat["important"] if isinstance(heartbeat.get("important"), bool) else None,
        heartbeat_id=_int_or_none(heartbeat.get("id")),
        summary=summary,
        monitor_type=monitor.get("type") if isinstance(monitor.get("type"), str) else None,
    )


# --- body decoding --------------------------------------------------------------------------------


def _decode_document(body: bytes, content_type: str) -> Any:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in ("application/json", "text/json") or media_type.endswith("+json") or not media_type:
        return _json(body, "body")
    if media_type == "multipart/form-data":
        return _json(_multipart_field(body, content_type, "data"), "form field 'data'")
    if media_type == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", "replace")).get("data")
        if not values:
            raise InvalidRequest("Kuma webhook form has no 'data' field")
        return _json(values[0].encode(), "form field 'data'")
    raise UnsupportedMediaType(f"Kuma webhooks are JSON or form-data, not {media_type!r}")


def _json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"Kuma webhook {what} is not valid JSON: {exc}") from None


def _multipart_field(body: bytes, content_type: str, name: str) -> bytes:
    if "boundary=" not in content_type:
        raise InvalidRequest("multipart Kuma webhook without a boundary")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
    if not message.is_multipart():
        raise InvalidRequest("Kuma webhook form-data body could not be parsed")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            payload = part.get_payload(decode=True)
            return payload if payload is not None else b""
    raise InvalidRequest(f"Kuma webhook form has no '{name}' field")


# --- fields ------------------------------------------------------------------------------------


def _monitor_id(heartbeat: dict, monitor: dict) -> int:
    from_monitor = _int_or_none(monitor.get("id"))
    from_heartbeat = _int_or_none(heartbeat.get("monitorID"))
    if from_monitor is None and from_heartbeat is None:
        raise InvalidRequest("Kuma webhook names no monitor id (monitor.id / heartbeat.monitorID)")
    if from_monitor is not None and from_heartbeat is not None and from_monitor != from_heartbeat:
        raise InvalidRequest(f"Kuma webhook monitor.id {from_monitor} and heartbeat.monitorID "
                             f"{from_heartbeat} disagree")
    return from_monitor if from_monitor is not None else from_heartbeat  # type: ignore[return-value]


def _status(value: Any) -> HeartbeatStatus:
    if isinstance(value, bool) or not isinstance(value, int) or value not in STATUS_BY_CODE:
        raise InvalidRequest(f"Kuma webhook heartbeat.status {value!r} is not 0, 1, 2 or 3")
    return STATUS_BY_CODE[value]


def _ping(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidRequest(f"Kuma webhook heartbeat.ping {value!r} is not a number") from None


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidRequest(f"Kuma webhook id {value!r} is not an integer") from None


def _parse_datetime(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"Kuma webhook heartbeat.{field} is missing")
    try:
        return datetime.fromisoformat(value.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(f"Kuma webhook heartbeat.{field} {value!r} is not a date-time") from None


def _offset(heartbeat: dict) -> timedelta | None:
    match = _OFFSET.match(str(heartbeat.get("timezoneOffset") or ""))
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    zone_name = heartbeat.get("timezone")
    if isinstance(zone_name, str) and zone_name:
        try:
            from zoneinfo import ZoneInfo

            return datetime.now(ZoneInfo(zone_name)).utcoffset()
        except (KeyError, ValueError, OSError):
            return None
    return None


def _heartbeat_time(heartbeat: dict) -> datetime:
    stamp = _parse_datetime(heartbeat.get("time"), "time")
    if stamp.tzinfo is not None:
        return stamp.astimezone(timezone.utc)
    as_utc = stamp.replace(tzinfo=timezone.utc)
    offset = _offset(heartbeat)
    local_text = heartbeat.get("localDateTime")
    if offset and isinstance(local_text, str) and local_text:
        local = _parse_datetime(local_text, "localDateTime")
        if local.tzinfo is None and abs((local - offset) - stamp) > timedelta(seconds=1) \
                and abs(local - stamp) <= timedelta(seconds=1):
            return (stamp - offset).replace(tzinfo=timezone.utc)  # `time` was local after all
    return as_utc
