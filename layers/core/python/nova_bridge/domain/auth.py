"""Who is calling and what they may do: the plan's role matrix over the caller's token claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nova_bridge.catalogue import ROLE_PERMISSIONS
from nova_bridge.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Caller:
    user_id: str
    tenant_id: str
    role: str
    email: str | None = None
    name: str | None = None

    @property
    def permissions(self) -> frozenset[str]:
        return ROLE_PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def caller_from_claims(claims: Mapping[str, Any] | None, settings: Any) -> Caller:
    """Build the caller from verified JWT claims (API Gateway's authorizer or the local runner)."""
    if not claims:
        raise Unauthorized("A bearer token is required.")
    user = claims.get(settings.claim_user)
    tenant = claims.get(settings.claim_tenant)
    role = claims.get(settings.claim_role)
    if not user:
        raise Unauthorized(f"The token has no {settings.claim_user!r} claim.")
    if not tenant:
        raise Forbidden(f"The token has no {settings.claim_tenant!r} claim: the caller belongs to no tenant.")
    role = str(role or "").strip().lower()
    if role not in ROLE_PERMISSIONS:
        raise Forbidden(f"The role {role!r} has no access to monitoring.")
    return Caller(str(user), str(tenant), role, claims.get(settings.claim_email), claims.get(settings.claim_name))


def authorize(caller: Caller, permission: str | None) -> None:
    if permission is not None and not caller.can(permission):
        raise Forbidden(f"The {caller.role} role lacks the {permission} permission.", permission=permission)
