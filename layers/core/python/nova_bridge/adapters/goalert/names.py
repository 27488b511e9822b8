"""GoAlert's naming rules (validate.IDName in v0.34.1): services, policies, schedules and
rotations are named with 2-64 ASCII letters, digits, spaces and `-_'`, starting with a letter,
and names are global across all of the bridge's tenants."""

from __future__ import annotations

import re
from typing import Any

_NOT_IN_GOALERT_NAME = re.compile(r"[^A-Za-z0-9 _'-]+")
_GOALERT_NAME_MAX = 64


def goalert_name(base: str, unique: Any, suffix: str = "") -> str:
    """`base` cleaned into a name GoAlert accepts, ending with `unique` (a monitor id, a tenant
    hash) so that the same display name in two places never collides."""
    tail = f" {unique}{suffix}"
    cleaned = " ".join(_NOT_IN_GOALERT_NAME.sub(" ", base).split())
    if not cleaned[:1].isalpha():
        cleaned = f"Nova {cleaned}".strip()
    cleaned = cleaned[:_GOALERT_NAME_MAX - len(tail)].rstrip(" -_'")
    return cleaned + tail
