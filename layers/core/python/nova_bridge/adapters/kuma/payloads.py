"""Nova monitor -> Uptime Kuma `add`/`editMonitor` payload, per Kuma version, and drift detection.

Rules from the contracts (shared/contracts/kuma/NOTES.md): every payload carries
`accepted_statuscodes`, `notificationIDList` (an object), `interval`, `retryInterval`,
`maxretries` and `timeout`; 2.x needs `conditions: []` and rejects nothing extra, 1.23 rejects
any key that is not a column ("no column named conditions"), so version-only keys are added or
stripped by `shape_for_version`.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from nova_bridge.adapters.kuma.versions import is_v2, min_interval_seconds
from nova_bridge.errors import ValidationFailed

MONITOR_TYPES = ("http", "keyword", "port", "ping", "push")
PUSH_TOKEN_LENGTH = 32
_PUSH_ALPHABET = string.ascii_letters + string.digits

# 2.x-only monitor columns that our payloads may carry; 1.23 refuses them as unknown columns.
V2_ONLY_KEYS = ("conditions", "ping_count", "ping_numeric", "ping_per_request_timeout")
# Defaults Kuma 2.x itself uses for ping monitors (seen in the 2.5.3 capture).
PING_COUNT = 1
PING_PER_REQUEST_TIMEOUT = 2
PACKET_SIZE = 56
MAX_INTERVAL_SECONDS = 24 * 60 * 60


def _field(monitor: Any, name: str, default: Any = None) -> Any:
    if isinstance(monitor, Mapping):
        return monitor.get(name, default)
    return getattr(monitor, name, default)


def new_push_token() -> str:
    return "".join(secrets.choice(_PUSH_ALPHABET) for _ in range(PUSH_TOKEN_LENGTH))


def kuma_monitor_payload(monitor: Any, *, version: str, notification_ids: list[int],
                         push_token: str | None = None, clamp_interval: bool = True) -> dict[str, Any]:
    """Map a Nova monitor (a Mapping or an object with the fields of schemas.monitors) to a Kuma
    add/edit payload valid on `version`.

    Intervals below Kuma's minimum for that version are raised to it when `clamp_interval`, else
    refused with ValidationFailed naming the field. A push monitor keeps `push_token` (or the
    monitor's own `push_token`) and otherwise gets a fresh 32-character token.
    """
    kind = _field(monitor, "type")
    if kind not in MONITOR_TYPES:
        raise ValidationFailed(f"type: Kuma monitors of type {kind!r} are not supported "
                               f"(one of {', '.join(MONITOR_TYPES)})", errors=[{"loc": ["type"]}])
    name = _field(monitor, "name")
    if not name:
        raise ValidationFailed("name: a Kuma monitor needs a name", errors=[{"loc": ["name"]}])

    floor = min_interval_seconds(version)
    interval = _interval(_field(monitor, "interval_seconds", 60), "interval_seconds", floor, clamp_interval)
    retry_interval = _interval(_field(monitor, "retry_interval_seconds", interval), "retry_interval_seconds",
                               floor, clamp_interval)
    timeout = int(_field(monitor, "timeout_seconds", 48) or 48)
    if timeout >= interval:  # Kuma's UI keeps the timeout below the interval; so do we
        timeout = max(1, int(interval * 0.8))
    codes = [str(code) for code in (_field(monitor, "accepted_status_codes") or ["200-299"])]

    payload: dict[str, Any] = {
        "type": kind,
        "name": str(name),
        "description": _field(monitor, "description"),
        "interval": interval,
        "retryInterval": retry_interval,
        "resendInterval": 0,
        "maxretries": int(_field(monitor, "max_retries", 0) or 0),
        "timeout": timeout,
        "accepted_statuscodes": codes,
        "notificationIDList": {str(int(nid)): True for nid in notification_ids},
        "upsideDown": False,
        "ignoreTls": False,
        "expiryNotification": False,
        "maxredirects": 10,
        "packetSize": PACKET_SIZE,
        "method": "GET",
        "url": None,
        "keyword": None,
        "invertKeyword": False,
        "hostname": None,
        "port": None,
    }
    if kind in ("http", "keyword"):
        payload["url"] = _required(monitor, "url", kind)
        payload["method"] = str(_field(monitor, "method", "GET") or "GET").upper()
    if kind == "keyword":
        payload["keyword"] = _required(monitor, "keyword", kind)
        payload["invertKeyword"] = bool(_field(monitor, "invert_keyword", False))
    if kind in ("port", "ping"):
        payload["hostname"] = _required(monitor, "hostname", kind)
    if kind == "port":
        payload["port"] = int(_required(monitor, "port", kind))
    if kind == "push":
        token = push_token or _field(monitor, "push_token")
        payload["pushToken"] = token or new_push_token()
    if kind == "ping" and is_v2(version):
        payload["ping_count"] = PING_COUNT
        payload["ping_numeric"] = True
        payload["ping_per_request_timeout"] = min(PING_PER_REQUEST_TIMEOUT, timeout)
    return shape_for_version(payload, version)


def shape_for_version(payload: Mapping[str, Any], version: str) -> dict[str, Any]:
    """Add what `version` requires and strip what it refuses (see V2_ONLY_KEYS)."""
    shaped = dict(payload)
    if is_v2(version):
        shaped.setdefault("conditions", [])
        if shaped["conditions"] is None:
            shaped["conditions"] = []
    else:
        for key in V2_ONLY_KEYS:
            shaped.pop(key, None)
    return shaped


def _interval(value: Any, field: str, floor: int, clamp: bool) -> int:
    seconds = int(value)
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValidationFailed(f"{field}: Kuma accepts at most {MAX_INTERVAL_SECONDS} seconds",
                               errors=[{"loc": [field]}])
    if seconds < floor:
        if not clamp:
            raise ValidationFailed(f"{field}: this Kuma version needs at least {floor} seconds",
                                   errors=[{"loc": [field]}])
        return floor
    return seconds


def _required(monitor: Any, field: str, kind: str) -> Any:
    value = _field(monitor, field)
    if value is None or value == "":
        raise ValidationFailed(f"{field}: required for {kind} monitors", errors=[{"loc": [field]}])
    return value


# --- drift --------------------------------------------------------------------------------------

_BOOL_KEYS = {"invertKeyword", "upsideDown", "ignoreTls", "expiryNotification", "ping_numeric", "active"}
_BLANK = (None, "")


def monitor_differs(nova_payload: Mapping[str, Any], kuma_monitor: Mapping[str, Any]) -> list[str]:
    """Names of the payload keys whose value in Kuma's monitor differs from what Nova wants.

    Only keys of `nova_payload` are compared (Kuma's monitor has ~100 columns we do not manage).
    Comparison is semantic: null and "" are equal, 1 and True are equal, status codes compare as
    lists of strings, `notificationIDList` compares the set of enabled notification ids.
    """
    drifted = []
    for key, wanted in nova_payload.items():
        actual = kuma_monitor.get(key)
        if not _same(key, wanted, actual):
            drifted.append(key)
    return sorted(drifted)


def _same(key: str, wanted: Any, actual: Any) -> bool:
    if key == "notificationIDList":
        return _enabled_ids(wanted) == _enabled_ids(actual)
    if key == "accepted_statuscodes":
        return [str(c) for c in (wanted or [])] == [str(c) for c in (actual or [])]
    if key in _BOOL_KEYS:
        return bool(wanted) == bool(actual)
    if wanted in _BLANK and actual in _BLANK:
        return True
    if isinstance(wanted, (int, float)) and not isinstance(wanted, bool) and isinstance(actual, (int, float)):
        return float(wanted) == float(actual)
    if isinstance(wanted, str) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return wanted == str(actual)
    return wanted == actual


def _enabled_ids(value: Any) -> set[int]:
    if not value:
        return set()
    if isinstance(value, Mapping):
        return {int(k) for k, enabled in value.items() if enabled}
    return {int(v) for v in value}
