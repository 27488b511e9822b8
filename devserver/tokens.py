"""Dev tokens for the local bridge: HS256 JWTs signed with a per-checkout secret.

Deployed, API Gateway's JWT authorizer verifies Nova Helix tokens and hands the claims to the
functions; locally this module plays the authorizer, so handlers read claims the same way."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import jwt

ISSUER = "nova-bridge-local"
AUDIENCE = "nova-monitoring"


def dev_secret(state_dir: Path, name: str = "dev-jwt-secret") -> str:
    """A random secret kept in the checkout's state directory (never committed)."""
    path = state_dir / name
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def issue(secret: str, *, role: str, tenant: str, user: str | None = None, email: str | None = None,
          name: str | None = None, ttl_seconds: int = 12 * 3600) -> str:
    now = int(time.time())
    user = user or f"dev-{role}"
    claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds, "sub": user,
              "tenant_id": tenant, "role": role, "email": email or f"{user}@example.test", "name": name or user}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(secret: str, token: str) -> dict[str, Any] | None:
    try:
        return jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    except jwt.PyJWTError:
        return None
