"""Opaque keyset cursors: (created_at, id) of the last item, base64url JSON.

Keyset pagination stays fast at any depth and never skips or repeats an item when rows are
inserted while a client pages."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from uuid import UUID

from nova_bridge.errors import ValidationFailed


def encode_cursor(created_at: datetime, item_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(item_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, item_id = json.loads(raw)
        return datetime.fromisoformat(created_at), UUID(item_id)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise ValidationFailed("The cursor is not one this API issued.",
                               errors=[{"field": "query.cursor", "message": "invalid cursor"}]) from None


def page_of(rows: list[dict], limit: int, convert) -> tuple[list, str | None]:
    """Items and next cursor from a query that fetched limit + 1 rows (the extra says "more")."""
    more = len(rows) > limit
    rows = rows[:limit]
    return [convert(r) for r in rows], (encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None)


def list_page(uow, lister, tenant_id: str, query, convert, page_model):
    """One page of a tenant's list: `lister(tx)` is the store's list method, called with
    (tenant_id, filters, after, limit + 1); `query` is a PageQuery with extra filter fields."""
    after = decode_cursor(query.cursor) if query.cursor else None
    filters = query.model_dump(exclude={"limit", "cursor"}, exclude_none=True)
    with uow.transaction() as tx:
        rows = lister(tx)(tenant_id, filters, after, query.limit + 1)
    items, cursor = page_of(rows, query.limit, convert)
    return page_model(items=items, next_cursor=cursor)

