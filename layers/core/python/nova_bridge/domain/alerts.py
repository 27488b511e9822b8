"""Alert rules: the bridge's view of alerts whose lifecycle GoAlert owns."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from nova_bridge.domain.auth import Caller
from nova_bridge.domain.pagination import decode_cursor, page_of
from nova_bridge.errors import NotFound
from nova_bridge.schemas.alerts import Alert, AlertListQuery, AlertPage

_ALERT_FIELDS = tuple(Alert.model_fields)


def to_api(row: dict[str, Any]) -> Alert:
    return Alert(**{k: row[k] for k in _ALERT_FIELDS})


def get_alert(uow: Any, caller: Caller, alert_id: UUID) -> Alert:
    with uow.transaction() as tx:
        row = tx.get_alert(caller.tenant_id, alert_id)
    if row is None:
        raise NotFound(f"No alert with id {alert_id}.")
    return to_api(row)


def list_alerts(uow: Any, caller: Caller, query: AlertListQuery) -> AlertPage:
    after = decode_cursor(query.cursor) if query.cursor else None
    filters = query.model_dump(exclude={"limit", "cursor"}, exclude_none=True)
    with uow.transaction() as tx:
        rows = tx.list_alerts(caller.tenant_id, filters, after, query.limit + 1)
    items, cursor = page_of(rows, query.limit, to_api)
    return AlertPage(items=items, next_cursor=cursor)
