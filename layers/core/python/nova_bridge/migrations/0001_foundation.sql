-- Foundation schema: tenants, monitors, alerts, incidents, notifications, audit, outbox,
-- idempotency, and the integration plan's tables. Tenant ids and Nova user ids are the ones in
-- Nova Helix tokens (opaque text), so they are stored as text without foreign keys to Helix.

CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE monitors (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id               text NOT NULL REFERENCES tenants(id),
    name                    text NOT NULL,
    type                    text NOT NULL,
    config                  jsonb NOT NULL,            -- the monitor's API fields, as validated
    tags                    text[] NOT NULL DEFAULT '{}',
    paused                  boolean NOT NULL DEFAULT false,
    status                  text NOT NULL DEFAULT 'unknown'
                            CHECK (status IN ('up', 'down', 'pending', 'maintenance', 'unknown')),
    status_changed_at       timestamptz,
    kuma_monitor_id         integer,
    kuma_sync_state         text NOT NULL DEFAULT 'pending'
                            CHECK (kuma_sync_state IN ('pending', 'synced', 'failed', 'disabled')),
    kuma_last_error         text,
    kuma_synced_at          timestamptz,
    goalert_service_id      text,
    goalert_escalation_policy_id text,
    goalert_integration_key text,                      -- ingest credential: never returned by the API
    goalert_sync_state      text NOT NULL DEFAULT 'disabled'
                            CHECK (goalert_sync_state IN ('pending', 'synced', 'failed', 'disabled')),
    goalert_last_error      text,
    goalert_synced_at       timestamptz,
    version                 integer NOT NULL DEFAULT 1,
    created_by              text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    deleted_at              timestamptz                -- tombstone until the backends forget it
);
CREATE INDEX monitors_tenant_page ON monitors (tenant_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX monitors_tenant_name ON monitors (tenant_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX monitors_tags ON monitors USING gin (tags);
CREATE UNIQUE INDEX monitors_kuma_id ON monitors (kuma_monitor_id) WHERE kuma_monitor_id IS NOT NULL;

CREATE TABLE alerts (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           text NOT NULL REFERENCES tenants(id),
    monitor_id          uuid REFERENCES monitors(id) ON DELETE SET NULL,
    source              text NOT NULL CHECK (source IN ('monitor', 'manual', 'goalert')),
    dedup_key           text NOT NULL,
    summary             text NOT NULL,
    details             text NOT NULL DEFAULT '',
    severity            text NOT NULL DEFAULT 'high',
    status              text NOT NULL DEFAULT 'triggered'
                        CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    goalert_alert_id    bigint,
    goalert_service_id  text,
    created_by          text,
    acknowledged_at     timestamptz,
    acknowledged_by     text,
    resolved_at         timestamptz,
    resolved_by         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- One open alert per dedup key, exactly GoAlert's own rule.
CREATE UNIQUE INDEX alerts_open_dedup ON alerts (tenant_id, dedup_key) WHERE status <> 'resolved';
CREATE INDEX alerts_tenant_page ON alerts (tenant_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX alerts_goalert_id ON alerts (goalert_alert_id) WHERE goalert_alert_id IS NOT NULL;

CREATE TABLE incidents (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   text NOT NULL REFERENCES tenants(id),
    title       text NOT NULL,
    status      text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    impact      text NOT NULL DEFAULT 'minor' CHECK (impact IN ('none', 'minor', 'major', 'critical')),
    monitor_ids uuid[] NOT NULL DEFAULT '{}',
    scheduled_for   timestamptz,                       -- maintenance windows
    scheduled_until timestamptz,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE INDEX incidents_tenant ON incidents (tenant_id, created_at DESC);

CREATE TABLE incident_updates (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    incident_id uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    status      text NOT NULL,
    body        text NOT NULL,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_preferences (
    tenant_id       text NOT NULL REFERENCES tenants(id),
    nova_user_id    text NOT NULL,
    time_zone       text NOT NULL DEFAULT 'UTC',
    channels        jsonb NOT NULL DEFAULT '{}',      -- severity -> [channel]
    quiet_hours     jsonb,                            -- {start: "22:00", end: "07:00", except: [severity]}
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, nova_user_id)
);

CREATE TABLE notification_log (
    id              bigserial PRIMARY KEY,
    tenant_id       text NOT NULL REFERENCES tenants(id),
    alert_id        uuid REFERENCES alerts(id) ON DELETE SET NULL,
    nova_user_id    text,
    channel         text NOT NULL,
    provider        text NOT NULL,                    -- comms, ses, sns
    status          text NOT NULL,                    -- sent, failed, skipped
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE status_subscribers (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   text NOT NULL REFERENCES tenants(id),
    email       text NOT NULL,
    confirmed   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email)
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants(id),
    actor       text NOT NULL,                       -- Nova user id, or system:<component>
    action      text NOT NULL,                       -- e.g. monitor.created
    entity_type text NOT NULL,
    entity_id   text NOT NULL,
    before      jsonb,
    after       jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity_type, entity_id, at);

-- Transactional outbox: written in the same transaction as the change, relayed to EventBridge.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),   -- the event id
    tenant_id       text,
    detail_type     text NOT NULL,
    detail          jsonb NOT NULL,
    ordering_key    text,                                         -- events of one entity keep their order
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE idempotency_keys (
    tenant_id       text NOT NULL,
    actor           text NOT NULL,
    key             text NOT NULL,
    route_key       text NOT NULL,
    request_hash    text NOT NULL,
    status_code     integer NOT NULL,
    response        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, actor, key, route_key)
);

-- The integration plan's tables, tenant-scoped.
CREATE TABLE monitoring_user_mappings (
    id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id                   text NOT NULL REFERENCES tenants(id),
    nova_user_id                text NOT NULL,
    goalert_user_id             text,
    goalert_contact_method_id   text,
    contact_method_verified     boolean NOT NULL DEFAULT false,
    uptime_kuma_token           text,    -- unused: Kuma is single-user; kept for the plan's shape
    integration_settings        jsonb NOT NULL DEFAULT '{}',
    active                      boolean NOT NULL DEFAULT true,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, nova_user_id)
);
CREATE UNIQUE INDEX user_mappings_goalert ON monitoring_user_mappings (goalert_user_id) WHERE goalert_user_id IS NOT NULL;

CREATE TABLE integration_configurations (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_name    varchar(50) NOT NULL CHECK (service_name IN ('goalert', 'uptime_kuma', 'nova_comms', 'bridge')),
    config_key      varchar(255) NOT NULL,
    config_value    jsonb NOT NULL,
    tenant_id       text REFERENCES tenants(id),
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (service_name, config_key, tenant_id)
);

CREATE TABLE service_health_status (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    service_name    varchar(50) NOT NULL UNIQUE,
    status          varchar(20) NOT NULL DEFAULT 'unknown'
                    CHECK (status IN ('healthy', 'degraded', 'unhealthy', 'unknown')),
    last_check      timestamptz NOT NULL DEFAULT now(),
    last_success    timestamptz,
    error_message   text,
    metadata        jsonb NOT NULL DEFAULT '{}'
);

-- Event-sourcing record of every event a worker handles; the id is the event's own id, which
-- makes workers idempotent on it.
CREATE TABLE integration_events (
    id              uuid PRIMARY KEY,
    tenant_id       text,
    event_type      varchar(100) NOT NULL,
    source_service  varchar(50) NOT NULL,
    target_services varchar(255)[] NOT NULL DEFAULT '{}',
    payload         jsonb NOT NULL,
    status          varchar(20) NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    retry_count     integer NOT NULL DEFAULT 0,
    max_retries     integer NOT NULL DEFAULT 5,
    created_at      timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    error_message   text
);
CREATE INDEX idx_integration_events_status ON integration_events (status);
CREATE INDEX idx_integration_events_created_at ON integration_events (created_at);
