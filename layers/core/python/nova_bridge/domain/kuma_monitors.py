"""How a Nova monitor maps to an Uptime Kuma monitor, and back (for import).

Every Kuma monitor the bridge manages carries a marker line in its description naming the Nova
monitor id. The worker looks for it before adding a monitor, so a crash between Kuma's `add` and
our write of Kuma's id does not make a duplicate on retry; the reconciler uses it to tell the
bridge's orphans from monitors someone created in Kuma by hand.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from nova_bridge.adapters.kuma.payloads import MONITOR_TYPES, kuma_monitor_payload

NOTIFICATION_NAME = "Nova bridge"
WEBHOOK_PATH = "/webhooks/uptime-kuma"
_MARKER = "nova-bridge:monitor="
_MARKER_LINE = re.compile(r"(?:\n\n)?\[" + re.escape(_MARKER) + r"([0-9a-fA-F-]{36})\]\s*$")
IMPORT_MIN_INTERVAL = 20  # the API's floor (MonitorFields.interval_seconds)


def webhook_url(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


def with_marker(description: str | None, monitor_id: Any) -> str:
    text = strip_marker(description)
    marker = f"[{_MARKER}{monitor_id}]"
    return f"{text}\n\n{marker}" if text else marker


def strip_marker(description: str | None) -> str:
    return _MARKER_LINE.sub("", description or "").rstrip()


def marker_of(description: Any) -> UUID | None:
    if not isinstance(description, str):
        return None
    match = _MARKER_LINE.search(description)
    return UUID(match.group(1)) if match else None


def desired_payload(row: dict[str, Any], version: str, notification_ids: list[int],
                    current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Kuma payload the row wants. Against an existing Kuma monitor, notifications someone
    attached there are kept (ours is added) and a push monitor keeps its token."""
    config = dict(row.get("config") or {})
    config["name"] = row["name"]
    config["type"] = row["type"]
    config["description"] = with_marker(config.get("description"), row["id"])
    wanted_ids = set(notification_ids)
    if current:
        wanted_ids |= {int(k) for k, on in (current.get("notificationIDList") or {}).items() if on}
    push_token = (current or {}).get("pushToken") or config.get("push_token")
    return kuma_monitor_payload(config, version=version, notification_ids=sorted(wanted_ids), push_token=push_token)


def fields_from_kuma(monitor: dict[str, Any]) -> dict[str, Any] | None:
    """API fields (schemas.monitors.MonitorCreate) of a Kuma monitor being imported; None for
    types the bridge does not manage."""
    kind = monitor.get("type")
    if kind not in MONITOR_TYPES:
        return None
    interval = max(IMPORT_MIN_INTERVAL, int(monitor.get("interval") or 60))
    fields: dict[str, Any] = {
        "name": str(monitor.get("name") or f"kuma-{monitor.get('id')}")[:150],
        "type": kind,
        "description": strip_marker(monitor.get("description")) or None,
        "interval_seconds": interval,
        "retry_interval_seconds": max(IMPORT_MIN_INTERVAL, int(monitor.get("retryInterval") or interval)),
        "max_retries": min(10, int(monitor.get("maxretries") or 0)),
        "timeout_seconds": max(1, int(float(monitor.get("timeout") or 48))),
        "accepted_status_codes": [str(c) for c in (monitor.get("accepted_statuscodes") or ["200-299"])],
    }
    if kind in ("http", "keyword"):
        fields["url"] = monitor.get("url")
        fields["method"] = str(monitor.get("method") or "GET").upper()
    if kind == "keyword":
        fields["keyword"] = monitor.get("keyword")
        fields["invert_keyword"] = bool(monitor.get("invertKeyword"))
    if kind in ("port", "ping"):
        fields["hostname"] = monitor.get("hostname")
    if kind == "port":
        fields["port"] = monitor.get("port")
    return fields
