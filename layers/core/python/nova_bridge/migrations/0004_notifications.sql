-- Notifier: tie every delivery attempt to the event (page) it served, so a redelivered event
-- skips the channels that already went out, and keep the provider's message id for support.
ALTER TABLE notification_log
    ADD COLUMN event_id            uuid,
    ADD COLUMN goalert_alert_id    bigint,
    ADD COLUMN severity            text,
    ADD COLUMN provider_message_id text;

-- At most one successful delivery per (event, user, channel): the notifier's idempotency key.
CREATE UNIQUE INDEX notification_log_sent_once ON notification_log (event_id, nova_user_id, channel)
    WHERE status = 'sent' AND event_id IS NOT NULL;
CREATE INDEX notification_log_alert ON notification_log (tenant_id, alert_id, created_at);
CREATE INDEX notification_log_user ON notification_log (tenant_id, nova_user_id, created_at DESC);
