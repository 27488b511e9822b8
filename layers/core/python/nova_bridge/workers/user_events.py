"""user.created|updated|deleted (from Nova Helix): keep each Nova user's GoAlert user, their
webhook contact method and the mapping between them.

Every user gets one WEBHOOK contact method pointing at the bridge
(`{NOVA_PUBLIC_URL}/webhooks/goalert/{secret}?tenant=...&user=...`). GoAlert creates it disabled;
the bridge asks for a Verification code, which comes back as `goalert.verification` and is
submitted automatically (that enables it).
A deleted user keeps their GoAlert user (schedules and alert history refer to it) but loses the
contact method, so GoAlert cannot page them any more, and the mapping turns inactive.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from nova_bridge.adapters.goalert.factory import backend_or_none
from nova_bridge.adapters.goalert.records import Records
from nova_bridge.adapters.webhook_auth import webhook_secret
from nova_bridge.errors import BackendRejected, InvalidRequest
from nova_bridge.events import Event

logger = logging.getLogger("nova_bridge.workers.user_events")

CONTACT_METHOD_NAME = "Nova"


def contact_method_url(settings: Any, tenant_id: str, nova_user_id: str) -> str:
    query = urlencode({"tenant": tenant_id, "user": nova_user_id})
    return f"{settings.public_url}/webhooks/goalert/{webhook_secret(settings, 'goalert')}?{query}"


def goalert_username(tenant_id: str, nova_user_id: str) -> str:
    # GoAlert usernames are global (and at most 24 characters): a stable, tenant-distinct one.
    return "nova-" + hashlib.sha256(f"{tenant_id}\x00{nova_user_id}".encode()).hexdigest()[:19]


def on_user_changed(event: Event, deps: Any) -> None:
    backend = backend_or_none(deps)
    detail = event.detail
    tenant_id, nova_user_id = detail.tenant_id, detail.nova_user_id
    if not tenant_id:  # no retry can fix it: recorded as failed, not redelivered
        raise InvalidRequest("user events must carry the tenant_id")
    contact = {k: v for k, v in (("email", detail.email), ("phone", detail.phone), ("name", detail.name),
                                 ("time_zone", detail.time_zone)) if v}
    with deps.uow.transaction() as tx:
        if contact and event.detail_type != "user.deleted":  # the notifier's address book, GoAlert or not
            Records(tx.conn).save_contact(tenant_id, nova_user_id, contact)
        mapping = Records(tx.conn).mapping(tenant_id, nova_user_id)
    if backend is None:
        if mapping is None:  # remember the user; the reconciler creates them once GoAlert is configured
            with deps.uow.transaction() as tx:
                Records(tx.conn).save_mapping(tenant_id, nova_user_id, active=event.detail_type != "user.deleted")
        return
    if event.detail_type == "user.deleted":
        _deactivate(deps, backend.client, tenant_id, nova_user_id, mapping)
        return
    client = backend.client
    user = client.get_user(mapping["goalert_user_id"]) if mapping and mapping["goalert_user_id"] else None
    name = detail.name or detail.email or nova_user_id
    if user is None:
        user = _adopt_or_create(client, tenant_id, nova_user_id, name, detail.email)
        mapping = None  # a new GoAlert user: its contact method must be made again
    elif (detail.name and detail.name != user["name"]) or (detail.email and detail.email != user["email"]):
        client.update_user(user["id"], name=detail.name, email=detail.email)
    with deps.uow.transaction() as tx:
        Records(tx.conn).save_mapping(tenant_id, nova_user_id, goalert_user_id=user["id"], active=True)
    url = contact_method_url(deps.settings, tenant_id, nova_user_id)
    existing = next((cm for cm in user.get("contactMethods") or []
                     if (cm.get("dest") or {}).get("args", {}).get("webhook_url") == url), None)
    if existing is None:
        existing = client.create_contact_method(user["id"], CONTACT_METHOD_NAME, url)
    # GoAlert creates a contact method disabled and sends no code by itself: the code is asked
    # for once the id is stored, so the `goalert.verification` it causes finds the mapping.
    with deps.uow.transaction() as tx:
        Records(tx.conn).save_mapping(tenant_id, nova_user_id, goalert_contact_method_id=existing["id"],
                                      contact_method_verified=not existing["disabled"])
    if existing["disabled"]:  # not verified yet (a lost code is asked for again on the next event)
        _ask_for_code(client, existing["id"])


def _ask_for_code(client: Any, contact_method_id: str) -> None:
    try:
        client.send_contact_method_verification(contact_method_id)
    except BackendRejected as exc:  # e.g. GoAlert's one code per minute: the reconciler asks again
        logger.warning("GoAlert sent no verification code to contact method %s: %s", contact_method_id, exc)


def _adopt_or_create(client: Any, tenant_id: str, nova_user_id: str, name: str, email: str | None) -> dict[str, Any]:
    # Adopt a GoAlert user with the same email (pre-existing, or ours after a crash before the
    # mapping was written); otherwise create one with a random password (Nova users never log in).
    found = client.find_user(email) if email else None
    if found is not None:
        return client.get_user(found["id"]) or found
    return client.create_user(goalert_username(tenant_id, nova_user_id), secrets.token_urlsafe(24),
                              name=name, email=email)


def _deactivate(deps: Any, client: Any, tenant_id: str, nova_user_id: str, mapping: dict[str, Any] | None) -> None:
    if mapping is None:
        return
    if mapping["goalert_user_id"]:
        user = client.get_user(mapping["goalert_user_id"])
        ours = [cm["id"] for cm in (user or {}).get("contactMethods") or []
                if "/webhooks/goalert/" in ((cm.get("dest") or {}).get("args", {}).get("webhook_url") or "")]
        if ours:
            client.delete_targets(("contactMethod", cm_id) for cm_id in ours)
    with deps.uow.transaction() as tx:
        Records(tx.conn).save_mapping(tenant_id, nova_user_id, active=False, goalert_contact_method_id=None,
                                      contact_method_verified=False)


HANDLERS = {dt: on_user_changed for dt in ("user.created", "user.updated", "user.deleted")}
