"""What differs between the Uptime Kuma versions we support (1.23.x and 2.x).

Kuma turns every key of a monitor payload into a database column and renamed or added socket
arguments between releases, so every version-dependent decision is made here, in one place.
"""

from __future__ import annotations

import re

_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(version: str) -> tuple[int, int, int]:
    """'2.0.0-beta.2' -> (2, 0, 0). Raises ValueError for anything that is not a version."""
    match = _VERSION.match(version or "")
    if not match:
        raise ValueError(f"not an Uptime Kuma version: {version!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def is_v2(version: str) -> bool:
    """2.x needs `conditions` and the ping fields and pushes list deltas instead of whole lists."""
    return parse_version(version) >= (2, 0, 0)


def min_interval_seconds(version: str) -> int:
    """Kuma refuses shorter check intervals: 20 s on 1.23 and 2.0.x, 1 s from 2.1."""
    return 1 if parse_version(version) >= (2, 1, 0) else 20


def delete_takes_children_flag(version: str) -> bool:
    """`deleteMonitor(id, deleteChildren)` from 2.1; `deleteMonitor(id)` before."""
    return parse_version(version) >= (2, 1, 0)
