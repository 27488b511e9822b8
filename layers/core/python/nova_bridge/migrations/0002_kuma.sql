-- Uptime Kuma: status history, heartbeats for monitors the bridge does not manage, and the time of
-- the newest heartbeat applied to a monitor (older deliveries must not overwrite newer status).

ALTER TABLE monitors ADD COLUMN status_observed_at timestamptz;  -- Kuma's time of the newest beat applied

-- Every status change of a monitor: alerting, the dashboard, uptime and SLO read it.
CREATE TABLE monitor_status_transitions (
    id              bigserial PRIMARY KEY,
    monitor_id      uuid NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
    tenant_id       text NOT NULL,
    from_status     text,
    to_status       text NOT NULL CHECK (to_status IN ('up', 'down', 'pending', 'maintenance', 'unknown')),
    at              timestamptz NOT NULL,                 -- when Kuma observed it (UTC)
    msg             text NOT NULL DEFAULT '',
    ping            double precision,
    source          text NOT NULL CHECK (source IN ('webhook', 'reconcile')),
    event_id        uuid,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (monitor_id, at, to_status)
);
CREATE INDEX monitor_status_transitions_tenant ON monitor_status_transitions (tenant_id, monitor_id, at DESC);

-- Heartbeats naming a Kuma monitor no Nova monitor is linked to: kept and reported, not dropped.
CREATE TABLE kuma_unmanaged_heartbeats (
    kuma_monitor_id integer PRIMARY KEY,
    monitor_name    text,
    status          text NOT NULL,
    observed_at     timestamptz NOT NULL,                 -- Kuma's time of the newest beat
    msg             text NOT NULL DEFAULT '',
    deliveries      integer NOT NULL DEFAULT 1,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now()
);
