"""Inbound webhooks from Uptime Kuma and GoAlert: authenticate, validate, publish, answer 202.

The work happens behind the bus, so Kuma and GoAlert (3 s budget, no retries) get an answer
in milliseconds."""

from nova_bridge.adapters.webhook_auth import KUMA_SECRET_HEADER, check_secret, webhook_secret
from nova_bridge.api.deps import default_deps
from nova_bridge.api.runtime import ApiFunction, Request, Response


def kuma_webhook(req: Request, deps):
    from nova_bridge.adapters.kuma.webhook import KumaHeartbeat, parse_kuma_webhook
    from nova_bridge.domain.heartbeats import heartbeat_event

    check_secret(req.headers.get(KUMA_SECRET_HEADER), webhook_secret(deps.settings))
    parsed = parse_kuma_webhook(req.raw_body, req.headers.get("content-type"))
    if not isinstance(parsed, KumaHeartbeat):  # Kuma's Test button, certificate notices
        return Response(202, {"accepted": 0, "message": parsed.msg})
    event = heartbeat_event(parsed)
    deps.publish([event])
    return Response(202, {"accepted": 1, "event_id": str(event.event_id), "detail_type": event.detail_type})


def goalert_webhook(req: Request, deps):
    from nova_bridge.domain.paging import parse_body, webhook_events

    check_secret(req.path.get("secret"), webhook_secret(deps.settings, "goalert"))
    deps.require("goalert")
    body = parse_body(req.raw_body)
    events = webhook_events(body, req.query.tenant, req.query.user)
    if events:  # GoAlert waits 3 s at most: publish and answer, the workers do the rest
        deps.publish(events)
    return Response(202, {"accepted": len(events), "type": body["Type"],
                          "event_ids": [str(e.event_id) for e in events]})


lambda_handler = ApiFunction("webhooks", {
    "kumaWebhook": kuma_webhook,
    "goalertWebhook": goalert_webhook,
}, default_deps)
