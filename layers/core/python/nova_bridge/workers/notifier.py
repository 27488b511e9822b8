"""alert.notified: deliver one page to one user, through Nova Comms, falling back to SES/SNS.

Per planned channel, in priority order: Comms first; if Comms fails (down, refused, malformed
answer, open circuit, not configured) the channel's fallback (email -> SES, sms -> SNS SMS,
push -> SNS platform endpoint). Every attempt is one notification_log row. A channel that already
went out for this event is never sent again, so a retried event only finishes what is missing.
The event is retried (BackendUnavailable) while some channel failed for a reason that can pass;
channels that can never be delivered (no address, every provider refused) are logged and dropped.

Contact data: `monitoring_user_mappings.integration_settings` holds the user's Nova Helix contact
(`{"contact": {"email", "phone", "name", "time_zone", "push_endpoint_arn"}}`; top-level keys of the
same names are read too). Preferences: `notification_preferences`, defaults when absent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nova_bridge.domain.notifications import (
    AlertInfo,
    Contact,
    Delivery,
    NotificationPlan,
    Preferences,
    derive_action_key,
    plan_notification,
)
from nova_bridge.errors import BackendError, BackendUnavailable, BridgeError, IntegrationNotConfigured, NotFound
from nova_bridge.events import AlertNotified, Event
from nova_bridge.workers.deps import WorkerDeps

logger = logging.getLogger("nova_bridge.notifier")

SENT, FAILED, SKIPPED = "sent", "failed", "skipped"
PLANNER = "planner"  # provider of rows for channels the plan left out (quiet hours, opt-out)
URGENT = ("critical", "high")
_UNSET = object()


@dataclass
class NotifierDeps(WorkerDeps):
    """WorkerDeps plus the delivery providers; each is built on first use unless a test passes it."""

    comms: Any = None
    email: Any = None  # SesEmailSender
    sns: Any = None  # SnsSender
    action_key: Any = _UNSET  # bytes, or None for no one-click links

    def comms_client(self) -> Any:
        if self.comms is None and self.settings.comms_configured:
            from nova_bridge.adapters.comms import comms_client

            try:
                self.comms = comms_client(self.settings)
            except BridgeError:
                raise
            except Exception as exc:  # e.g. the API key secret cannot be read: Comms is unusable now
                raise BackendUnavailable("nova_comms", f"Cannot set up Nova Comms: {type(exc).__name__}: {exc}") from exc
        return self.comms

    def email_sender(self) -> Any:
        if self.email is None:
            from nova_bridge.adapters.fallback import FallbackConfig, SesEmailSender

            self.email = SesEmailSender(FallbackConfig.from_env())
        return self.email

    def sns_sender(self) -> Any:
        if self.sns is None:
            from nova_bridge.adapters.fallback import FallbackConfig, SnsSender

            self.sns = SnsSender(FallbackConfig.from_env())
        return self.sns

    def link_key(self) -> bytes | None:
        if self.action_key is _UNSET:
            from nova_bridge.adapters.webhook_auth import webhook_secret

            try:
                self.action_key = derive_action_key(webhook_secret(self.settings, "alert-actions"))
            except IntegrationNotConfigured:
                self.action_key = None  # messages then carry API links only
            except Exception as exc:  # noqa: BLE001 - an unreadable secret must not block a page
                logger.warning("No one-click action links: %s: %s", type(exc).__name__, exc)
                return None  # try again on the next event
        return self.action_key


def default_notifier_deps() -> NotifierDeps:
    from nova_bridge.adapters.db import default_database
    from nova_bridge.settings import get_settings

    settings = get_settings()
    return NotifierDeps(settings=settings, db=default_database(settings))


# --- reading what the plan needs ------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    tenant_id: str
    contact: Contact
    preferences: Preferences


def contact_from_settings(nova_user_id: str, integration_settings: dict[str, Any] | None) -> Contact:
    values = dict(integration_settings or {})
    values.update(values.get("contact") or {})
    fields = ("email", "phone", "name", "time_zone", "push_endpoint_arn")
    return Contact(nova_user_id, **{f: (str(values[f]) if values.get(f) else None) for f in fields})


def load_recipient(tx: Any, detail: AlertNotified) -> Recipient:
    """The mapping by Nova user (when the event names one) or by GoAlert user. GoAlert can only
    page users the bridge created from a mapping, so a missing one is a fault, not a delay."""
    select = "SELECT tenant_id, nova_user_id, integration_settings FROM monitoring_user_mappings WHERE active AND "
    mapping = None
    if detail.nova_user_id and detail.tenant_id:
        mapping = tx.execute(select + "tenant_id = %s AND nova_user_id = %s",
                             (detail.tenant_id, detail.nova_user_id)).fetchone()
    if mapping is None and detail.goalert_user_id:
        mapping = tx.execute(select + "goalert_user_id = %s", (detail.goalert_user_id,)).fetchone()
    if mapping is None:
        raise NotFound(f"No Nova user for GoAlert user {detail.goalert_user_id!r} / Nova user {detail.nova_user_id!r}.")
    contact = contact_from_settings(mapping["nova_user_id"], mapping["integration_settings"])
    prefs_row = tx.execute("SELECT time_zone, channels, quiet_hours FROM notification_preferences"
                           " WHERE tenant_id = %s AND nova_user_id = %s",
                           (mapping["tenant_id"], mapping["nova_user_id"])).fetchone()
    return Recipient(mapping["tenant_id"], contact, Preferences.from_row(prefs_row, contact.time_zone))


def load_alert(tx: Any, tenant_id: str, detail: AlertNotified) -> AlertInfo:
    row = tx.execute("SELECT a.id, a.severity, a.summary, a.details, a.created_at, m.name AS monitor_name"
                     " FROM alerts a LEFT JOIN monitors m ON m.id = a.monitor_id"
                     " WHERE a.goalert_alert_id = %s AND a.tenant_id = %s",
                     (detail.goalert_alert_id, tenant_id)).fetchone() or {}
    return AlertInfo(
        goalert_alert_id=detail.goalert_alert_id,
        summary=detail.summary or row.get("summary") or f"GoAlert alert #{detail.goalert_alert_id}",
        details=detail.details or row.get("details") or "",
        severity=row.get("severity") or "high",  # GoAlert has no severity; the bridge's alert row does
        alert_id=str(row["id"]) if row.get("id") else None,
        service_name=detail.service_name,
        monitor_name=row.get("monitor_name"),
        created_at=row.get("created_at"),
    )


# --- the log --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LogContext:
    event_id: Any
    tenant_id: str
    nova_user_id: str
    alert_id: str | None
    goalert_alert_id: int
    severity: str


def previous_rows(db: Any, ctx: LogContext) -> set[tuple[str, str, str]]:
    """(channel, provider, status) of what earlier deliveries of this event did."""
    with db.transaction() as conn:
        rows = conn.execute("SELECT channel, provider, status FROM notification_log"
                            " WHERE event_id = %s AND nova_user_id = %s", (ctx.event_id, ctx.nova_user_id)).fetchall()
    return {(r["channel"], r["provider"], r["status"]) for r in rows}


def log_attempt(db: Any, ctx: LogContext, channel: str, provider: str, status: str, *,
                error: str | None = None, message_id: str | None = None) -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO notification_log (tenant_id, alert_id, nova_user_id, channel, provider, status, error,"
            " event_id, goalert_alert_id, severity, provider_message_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (event_id, nova_user_id, channel) WHERE status = 'sent' AND event_id IS NOT NULL"
            " DO NOTHING",
            (ctx.tenant_id, ctx.alert_id, ctx.nova_user_id, channel, provider, status,
             error[:2000] if error else None, ctx.event_id, ctx.goalert_alert_id, ctx.severity, message_id))


# --- delivery -------------------------------------------------------------------------------------

DELIVERED, RETRY, GAVE_UP = "delivered", "retry", "gave_up"


def _comms_notification(event: Event, plan: NotificationPlan, delivery: Delivery, recipient: Recipient,
                        alert: AlertInfo) -> Any:
    from nova_bridge.adapters.comms import CommsNotification

    c = recipient.contact
    return CommsNotification(
        channel=delivery.channel, tenant_id=recipient.tenant_id,
        recipient={"user_id": c.nova_user_id, "email": c.email, "phone": c.phone, "name": c.name},
        subject=plan.message.subject, text=plan.message.text, html=plan.message.html, short_text=plan.message.sms,
        urgent=plan.severity in URGENT, idempotency_key=f"{event.event_id}:{delivery.channel}",
        data={"alert_id": alert.alert_id, "goalert_alert_id": alert.goalert_alert_id, "severity": plan.severity,
              "summary": alert.summary, "service": alert.service_name, "monitor": alert.monitor_name,
              "actions": plan.actions})


def _send_fallback(deps: NotifierDeps, plan: NotificationPlan, delivery: Delivery) -> tuple[str, str] | None:
    """(provider, message id); None when the channel has no fallback or no address for it."""
    if delivery.address is None:
        return None
    message = plan.message
    if delivery.channel == "email":
        return "ses", deps.email_sender().send(delivery.address, message.subject, message.text, message.html)
    if delivery.channel == "sms":
        return "sns", deps.sns_sender().send_sms(delivery.address, message.sms, urgent=plan.severity in URGENT)
    if delivery.channel == "push":
        return "sns", deps.sns_sender().send_push(delivery.address, message.subject, message.sms)
    return None


FALLBACK_PROVIDER = {"email": "ses", "sms": "sns", "push": "sns"}


def deliver(deps: NotifierDeps, event: Event, plan: NotificationPlan, delivery: Delivery, recipient: Recipient,
            alert: AlertInfo, ctx: LogContext) -> str:
    retryable = False
    comms = None
    try:
        comms = deps.comms_client()
    except BackendError as exc:
        log_attempt(deps.db, ctx, delivery.channel, "comms", FAILED, error=str(exc))
        retryable = True
    if comms is not None:
        try:
            comms_id = comms.send(_comms_notification(event, plan, delivery, recipient, alert))
        except BackendError as exc:
            logger.warning("Nova Comms failed; falling back", extra={"channel": delivery.channel, "error": str(exc)})
            log_attempt(deps.db, ctx, delivery.channel, "comms", FAILED, error=str(exc))
            retryable = retryable or exc.retryable
        else:
            log_attempt(deps.db, ctx, delivery.channel, "comms", SENT, message_id=comms_id)
            return DELIVERED
    provider = FALLBACK_PROVIDER.get(delivery.channel, "none")
    try:
        sent = _send_fallback(deps, plan, delivery)
    except BackendError as exc:
        log_attempt(deps.db, ctx, delivery.channel, provider, FAILED, error=str(exc))
        return RETRY if (retryable or exc.retryable) else GAVE_UP
    if sent is None:
        reason = "no fallback for this channel" if provider == "none" else f"no {delivery.channel} address known"
        log_attempt(deps.db, ctx, delivery.channel, provider, SKIPPED, error=reason)
        return RETRY if retryable else GAVE_UP
    log_attempt(deps.db, ctx, delivery.channel, sent[0], SENT, message_id=sent[1])
    return DELIVERED


def on_alert_notified(event: Event, deps: NotifierDeps) -> None:
    detail: AlertNotified = event.detail  # type: ignore[assignment]
    with deps.db.transaction() as tx:
        recipient = load_recipient(tx, detail)
        alert = load_alert(tx, recipient.tenant_id, detail)
    plan = plan_notification(alert, recipient.contact, recipient.preferences, deps.clock(),
                             public_url=deps.settings.public_url, action_key=deps.link_key())
    ctx = LogContext(event.event_id, recipient.tenant_id, recipient.contact.nova_user_id, alert.alert_id,
                     alert.goalert_alert_id, plan.severity)
    done = previous_rows(deps.db, ctx)
    sent_channels = {channel for channel, _, status in done if status == SENT}
    for skip in plan.skipped:
        if (skip.channel, PLANNER, SKIPPED) not in done:
            log_attempt(deps.db, ctx, skip.channel, PLANNER, SKIPPED, error=skip.reason)
    pending = []
    for delivery in plan.deliveries:
        if delivery.channel in sent_channels:
            continue  # went out on an earlier delivery of this event
        if deliver(deps, event, plan, delivery, recipient, alert, ctx) == RETRY:
            pending.append(delivery.channel)
    if pending:
        raise BackendUnavailable("notifier", f"Not delivered yet on {', '.join(pending)}; the event will be retried.",
                                 channels=pending)


HANDLERS = {"alert.notified": on_alert_notified}
