"""Idempotency-Key for POSTs, kept in PostgreSQL in the same transaction as the write itself, so
a stored answer exists exactly when the write committed (a DynamoDB record beside a PostgreSQL
write could disagree with it after a crash)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from psycopg.types.json import Jsonb

from nova_bridge.errors import BridgeError, ValidationFailed

if TYPE_CHECKING:
    from nova_bridge.adapters.db import Database
    from nova_bridge.api.runtime import Request, Response

MAX_KEY_LENGTH = 255


class _LostRace(Exception):
    """Another request with the same key committed first: undo ours and replay theirs."""


def _request_hash(request: "Request") -> str:
    return hashlib.sha256(request.route.route_key.encode() + b"\n" + request.raw_body).hexdigest()


def run_idempotent(db: "Database", request: "Request", run: Callable[[], "Response"]) -> "Response":
    from nova_bridge.api.runtime import Response, _serialize

    key = request.idempotency_key or ""
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.",
                               errors=[{"field": "header.Idempotency-Key", "message": "too long"}])
    caller = request.caller
    ident = (caller.tenant_id, caller.user_id, key, request.route.route_key)
    digest = _request_hash(request)

    def replay(row: dict) -> "Response":
        if row["request_hash"] != digest:
            raise ValidationFailed("This Idempotency-Key was already used with a different request body.",
                                   errors=[{"field": "header.Idempotency-Key", "message": "reused with another body"}])
        return Response(row["status_code"], row["response"], {"idempotent-replayed": "true"})

    select = ("SELECT request_hash, status_code, response FROM idempotency_keys"
              " WHERE tenant_id = %s AND actor = %s AND key = %s AND route_key = %s")
    for _ in range(2):
        try:
            with db.transaction() as conn:
                row = conn.execute(select, ident).fetchone()
                if row:
                    return replay(row)
                response = run()  # its own transaction nests as a savepoint of this one
                if response.status >= 400:
                    return response  # failures are not remembered: a retry may succeed
                body = json.loads(_serialize(response.body)) if response.body is not None else None
                inserted = conn.execute(
                    "INSERT INTO idempotency_keys (tenant_id, actor, key, route_key, request_hash, status_code,"
                    " response) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                    (*ident, digest, response.status, Jsonb(body)),
                ).fetchone()
                if not inserted:
                    raise _LostRace()
                return response
        except _LostRace:
            continue
        except BridgeError:
            raise
    raise BridgeError("Could not settle a concurrent request with the same Idempotency-Key.")
