-- GoAlert: which GoAlert objects belong to which tenant (GoAlert has no tenants), so on-call
-- reads show a caller only their own schedules and services.
CREATE TABLE goalert_tenant_objects (
    kind        text NOT NULL CHECK (kind IN ('schedule', 'service')),
    goalert_id  text NOT NULL,
    tenant_id   text NOT NULL REFERENCES tenants(id),
    name        text NOT NULL,
    monitor_id  uuid,                                  -- the monitor that made the bridge create/join it
    details     jsonb NOT NULL DEFAULT '{}',           -- e.g. rotation ids of a schedule
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    PRIMARY KEY (kind, goalert_id, tenant_id)
);
CREATE INDEX goalert_tenant_objects_page ON goalert_tenant_objects (tenant_id, kind, created_at DESC, id DESC);

-- The alerting path looks up a monitor's alerts by dedup key on every heartbeat.
CREATE INDEX alerts_dedup ON alerts (tenant_id, dedup_key, created_at DESC);

-- The DOWN episode (its start on Kuma's clock) an alert was raised for: a redelivered or repeated
-- DOWN of the same episode finds it and pages nobody again.
ALTER TABLE alerts ADD COLUMN episode_started_at timestamptz;
