"""Notifier worker against a real PostgreSQL, a fake Nova Comms (httpx MockTransport, or a closed
loopback port), and moto's SES and SNS: Comms first, fallback per channel, one log row per attempt,
retries that never resend what already went out."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import datetime, timezone
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from nova_bridge.adapters.comms import NOTIFICATIONS_PATH, CommsClient
from nova_bridge.adapters.fallback import FallbackConfig, SesEmailSender, SnsSender
from nova_bridge.adapters.resilience import CircuitBreaker
from nova_bridge.domain.notifications import derive_action_key, verify_action
from nova_bridge.errors import BackendProtocolError, BackendRejected, BackendUnavailable
from nova_bridge.events import make_event
from nova_bridge.workers.notifier import NotifierDeps
from nova_bridge.workers.runtime import Outcome
from functions.notifier.handler import lambda_handler

REGION = "us-east-1"
SENDER = "alerts@nova.example.test"
TENANT, USER, GOALERT_USER = "tenant-a", "user-ada", "ga-user-1"
EMAIL, PHONE = "ada@example.test", "+14155550100"
COMMS_URL = "http://comms.test"
API_KEY = "comms-key"
NOON_UTC = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)
KEY = derive_action_key("link-secret")


class FakeComms:
    """Nova Comms as the bridge's documented request shape says: refuses what it would refuse
    (no key, no idempotency key, unknown channel, no recipient), deduplicates on Idempotency-Key,
    and can be told to fail the way a real service fails."""

    CHANNELS = {"email", "sms", "push", "slack"}

    def __init__(self) -> None:
        self.mode = "ok"
        self.accepted: dict[str, dict[str, Any]] = {}  # idempotency key -> body
        self.calls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.mode == "timeout":
            raise httpx.ReadTimeout("no answer", request=request)
        if self.mode == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "5xx":
            return httpx.Response(503, text="maintenance")
        if self.mode == "malformed":
            return httpx.Response(200, text="<html>proxy error page</html>")
        if request.method != "POST" or request.url.path != NOTIFICATIONS_PATH:
            return httpx.Response(404)
        if request.headers.get("authorization") != f"Bearer {API_KEY}":
            return httpx.Response(401, json={"error": "unauthorized"})
        key = request.headers.get("idempotency-key")
        body = json.loads(request.content)
        if not key or body.get("channel") not in self.CHANNELS or not body.get("recipient", {}).get("user_id") \
                or not body.get("content", {}).get("text"):
            return httpx.Response(400, json={"error": "invalid notification"})
        self.accepted.setdefault(key, body)
        return httpx.Response(202, json={"id": f"cm-{key}", "status": "queued"})

    def channels(self) -> list[str]:
        return [body["channel"] for body in self.accepted.values()]


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        ses = boto3.client("ses", region_name=REGION)
        ses.verify_email_identity(EmailAddress=SENDER)
        yield


def ses_sent() -> list[Any]:
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


def sms_sent() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_aws_client(service: str) -> Any:
    """A real boto3 client whose endpoint refuses connections (AWS unreachable)."""
    return boto3.client(service, region_name=REGION, endpoint_url=f"http://127.0.0.1:{closed_port()}",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=1))


@pytest.fixture
def comms() -> FakeComms:
    return FakeComms()


@pytest.fixture
def seed(db):
    """A tenant, Ada's mapping with contact data, a monitor and its open alert in the bridge."""
    with db.transaction() as conn:
        conn.execute("INSERT INTO tenants (id) VALUES (%s)", (TENANT,))
        conn.execute("INSERT INTO monitoring_user_mappings (tenant_id, nova_user_id, goalert_user_id,"
                     " integration_settings) VALUES (%s, %s, %s, %s)",
                     (TENANT, USER, GOALERT_USER, json.dumps({"contact": {
                         "email": EMAIL, "phone": PHONE, "name": "Ada", "time_zone": "Europe/Berlin"}})))
        monitor = conn.execute("INSERT INTO monitors (tenant_id, name, type, config) VALUES (%s, 'Website',"
                               " 'http', '{}') RETURNING id", (TENANT,)).fetchone()["id"]
        alert = conn.execute("INSERT INTO alerts (tenant_id, monitor_id, source, dedup_key, summary, severity,"
                             " goalert_alert_id) VALUES (%s, %s, 'monitor', 'mon:1', 'Website is down', 'critical',"
                             " 42) RETURNING id", (TENANT, monitor)).fetchone()["id"]
    return {"alert_id": str(alert)}


def make_deps(settings, db, comms: FakeComms | None, *, email=None, sns=None, comms_client=None,
              derive_link_key: bool = False) -> NotifierDeps:
    if comms_client is None and comms is not None:
        comms_client = CommsClient(COMMS_URL, API_KEY, transport=httpx.MockTransport(comms.handler),
                                   breaker=CircuitBreaker("nova_comms"))
    config = FallbackConfig(ses_sender=SENDER, region_name=REGION)
    fixed_key = {} if derive_link_key else {"action_key": KEY}
    return NotifierDeps(settings=settings, db=db, publisher=object(), clock=lambda: NOON_UTC,
                        comms=comms_client, email=email or SesEmailSender(config), sns=sns or SnsSender(config),
                        **fixed_key)


def notified(**overrides) -> Any:
    fields = {"tenant_id": TENANT, "goalert_alert_id": 42, "goalert_user_id": GOALERT_USER,
              "summary": "Website is down", "details": "HTTP 503", "service_name": "Website"}
    return make_event("alert.notified", **{**fields, **overrides})


def run(deps: NotifierDeps, event) -> Outcome:
    return lambda_handler.handle_event(event, deps)


def log_rows(db) -> list[tuple[str, str, str]]:
    rows = db.fetchall("SELECT channel, provider, status FROM notification_log ORDER BY id")
    return [(r["channel"], r["provider"], r["status"]) for r in rows]


def set_prefs(db, channels: dict[str, list[str]], quiet_hours: dict | None = None) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO notification_preferences (tenant_id, nova_user_id, time_zone, channels, quiet_hours)"
                     " VALUES (%s, %s, 'Europe/Berlin', %s, %s)",
                     (TENANT, USER, json.dumps(channels), json.dumps(quiet_hours) if quiet_hours else None))


# --- the normal path --------------------------------------------------------------------------------

def test_comms_delivers_every_planned_channel_once(settings, db, seed, comms, aws):
    event = notified()
    assert run(make_deps(settings, db, comms), event).status == "completed"
    assert comms.channels() == ["push", "sms", "email"]  # critical defaults, in priority order
    assert log_rows(db) == [("push", "comms", "sent"), ("sms", "comms", "sent"), ("email", "comms", "sent")]
    email = next(b for b in comms.accepted.values() if b["channel"] == "email")
    assert email["recipient"] == {"user_id": USER, "email": EMAIL, "phone": PHONE, "name": "Ada"}
    assert email["priority"] == "high" and email["content"]["subject"].startswith("[CRITICAL] Website is down")
    ack = email["data"]["actions"]["acknowledge"]
    claim = verify_action(KEY, ack.rsplit("/", 1)[1], NOON_UTC)
    assert (claim.alert_id, claim.action, claim.nova_user_id) == (seed["alert_id"], "acknowledge", USER)
    assert email["data"]["actions"]["acknowledge_api"].endswith(f"/api/v2/alerts/{seed['alert_id']}/acknowledge")
    assert ses_sent() == [] and sms_sent() == []
    # the same event again (EventBridge delivers at least once) is skipped by the runtime
    assert run(make_deps(settings, db, comms), event).status == "skipped"
    assert comms.calls == 3


def test_preferences_and_quiet_hours_are_applied(settings, db, seed, comms, aws):
    # 12:00 UTC is 13:00 in Berlin: inside Ada's quiet hours; critical breaks through by default
    set_prefs(db, {"critical": ["email"]}, {"start": "12:30", "end": "14:00"})
    assert run(make_deps(settings, db, comms), notified()).status == "completed"
    assert comms.channels() == ["email"]
    with db.transaction() as conn:
        conn.execute("UPDATE notification_preferences SET quiet_hours = %s",
                     (json.dumps({"start": "12:30", "end": "14:00", "except": []}),))
    assert run(make_deps(settings, db, comms), notified()).status == "completed"
    assert comms.channels() == ["email"]  # nothing new
    assert log_rows(db)[-1] == ("email", "planner", "skipped")


def test_lookup_by_nova_user_id_and_unknown_user(settings, db, seed, comms, aws):
    by_nova_id = notified(goalert_user_id=None, nova_user_id=USER)
    assert run(make_deps(settings, db, comms), by_nova_id).status == "completed"
    assert len(comms.accepted) == 3
    unknown = notified(goalert_user_id="ga-nobody")
    outcome = run(make_deps(settings, db, comms), unknown)
    assert outcome.status == "failed" and "ga-nobody" in outcome.error  # consumed, not retried forever
    other_tenant = notified(tenant_id="tenant-b", goalert_user_id=None, nova_user_id=USER)
    assert run(make_deps(settings, db, comms), other_tenant).status == "failed"
    with db.transaction() as conn:
        conn.execute("UPDATE monitoring_user_mappings SET active = false")
    assert run(make_deps(settings, db, comms), notified()).status == "failed"
    assert len(comms.accepted) == 3


# --- Comms failing: the fallback delivers ----------------------------------------------------------

@pytest.mark.parametrize("mode", ["timeout", "5xx", "refused", "malformed"])
def test_comms_failure_falls_back_to_ses_and_sns(settings, db, seed, comms, aws, mode):
    set_prefs(db, {"critical": ["sms", "email"]})
    comms.mode = mode
    assert run(make_deps(settings, db, comms), notified()).status == "completed"
    rows = log_rows(db)
    assert ("email", "comms", "failed") in rows and ("email", "ses", "sent") in rows
    assert ("sms", "comms", "failed") in rows and ("sms", "sns", "sent") in rows
    [mail] = ses_sent()
    assert mail.destinations["ToAddresses"] == [EMAIL] and mail.subject.startswith("[CRITICAL]")
    [(phone, text)] = sms_sent()
    assert phone == PHONE and text.startswith("[CRITICAL] Website is down")


def test_push_without_an_endpoint_retries_until_comms_is_back(settings, db, seed, comms, aws):
    comms.mode = "5xx"
    event = notified()
    worker_deps = make_deps(settings, db, comms)
    first = run(worker_deps, event)
    # nothing can deliver push now, and Comms may come back: the event must be retried
    assert first.status == "retry" and "push" in first.error
    assert ("push", "sns", "skipped") in log_rows(db)
    comms.mode = "ok"
    assert run(worker_deps, event).status == "completed"
    assert comms.channels() == ["push"]  # email and sms already went out through the fallback
    assert len(ses_sent()) == 1 and len(sms_sent()) == 1
    sent = [r for r in log_rows(db) if r[2] == "sent"]
    assert sorted(sent) == [("email", "ses", "sent"), ("push", "comms", "sent"), ("sms", "sns", "sent")]


def test_real_refused_loopback_port_falls_back(settings, db, seed, aws):
    set_prefs(db, {"critical": ["email"]})
    client = CommsClient(f"http://127.0.0.1:{closed_port()}", API_KEY, breaker=CircuitBreaker("nova_comms"))
    assert run(make_deps(settings, db, None, comms_client=client), notified()).status == "completed"
    assert log_rows(db) == [("email", "comms", "failed"), ("email", "ses", "sent")]
    error = db.fetchall("SELECT error FROM notification_log WHERE provider = 'comms'")[0]["error"]
    assert "unreachable" in error


def test_comms_not_configured_uses_the_fallback_directly(settings, db, seed, aws):
    set_prefs(db, {"critical": ["sms"]})
    deps = make_deps(settings, db, None)  # settings has no NOVA_COMMS_URL
    assert run(deps, notified()).status == "completed"
    assert log_rows(db) == [("sms", "sns", "sent")]


# --- everything failing: retry, and never resend ----------------------------------------------------

def test_all_providers_down_retries_and_resends_nothing_already_sent(settings, db, seed, comms, aws):
    set_prefs(db, {"critical": ["sms", "email"]})
    comms.mode = "timeout"
    event = notified()
    # SNS works, SES is unreachable
    deps = make_deps(settings, db, comms, email=SesEmailSender(FallbackConfig(ses_sender=SENDER),
                                                               client=dead_aws_client("ses")))
    first = run(deps, event)
    assert first.status == "retry" and "email" in first.error and "sms" not in first.error
    assert log_rows(db) == [("sms", "comms", "failed"), ("sms", "sns", "sent"),
                            ("email", "comms", "failed"), ("email", "ses", "failed")]
    failed = db.fetchall("SELECT status, retry_count FROM integration_events WHERE id = %s", (event.event_id,))
    assert failed == [{"status": "failed", "retry_count": 1}]
    # the redelivery: Comms is back; sms already went out and is not sent again
    comms.mode = "ok"
    assert run(deps, event).status == "completed"
    assert comms.channels() == ["email"]
    assert len(sms_sent()) == 1 and ses_sent() == []
    assert log_rows(db)[-1] == ("email", "comms", "sent")


def test_sqs_batch_reports_only_the_undelivered_event(settings, db, seed, comms, aws):
    # Ada opted out of low alerts, so alert 7 completes; the critical one finds Comms and SES down
    set_prefs(db, {"critical": ["email"], "low": []})
    comms.mode = "5xx"
    dead_ses = SesEmailSender(FallbackConfig(ses_sender=SENDER), client=dead_aws_client("ses"))
    with db.transaction() as conn:
        conn.execute("INSERT INTO alerts (tenant_id, source, dedup_key, summary, severity, goalert_alert_id)"
                     " VALUES (%s, 'goalert', 'disk', 'Disk 80%%', 'low', 7)", (TENANT,))
    good, bad = notified(goalert_alert_id=7), notified()
    records = [sqs_record(e) for e in (good, bad)]
    result = lambda_handler({"Records": records}, None, deps=make_deps(settings, db, comms, email=dead_ses))
    assert result == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}


def sqs_record(event) -> dict[str, Any]:
    body = json.dumps({"detail-type": event.detail_type, "source": event.source,
                       "detail": event.detail.model_dump(mode="json")})
    return {"messageId": str(uuid.uuid4()), "receiptHandle": "rh", "body": body, "attributes": {},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:notifications", "awsRegion": REGION}


def test_rejections_everywhere_give_up_without_retry(settings, db, seed, comms, aws):
    set_prefs(db, {"critical": ["email"]})
    comms.mode = "ok"
    bad_key = CommsClient(COMMS_URL, "wrong-key", transport=httpx.MockTransport(comms.handler),
                          breaker=CircuitBreaker("nova_comms"))
    unverified = SesEmailSender(FallbackConfig(ses_sender="nobody@unverified.test", region_name=REGION))
    outcome = run(make_deps(settings, db, comms, comms_client=bad_key, email=unverified), notified())
    assert outcome.status == "completed"  # nothing a retry could fix; the log says why
    rows = db.fetchall("SELECT provider, status, error FROM notification_log ORDER BY id")
    assert [(r["provider"], r["status"]) for r in rows] == [("comms", "failed"), ("ses", "failed")]
    assert "401" in rows[0]["error"] and "MessageRejected" in rows[1]["error"]


# --- the Comms client on its own ----------------------------------------------------------------------

@pytest.mark.parametrize(("mode", "error"), [("timeout", BackendUnavailable), ("5xx", BackendUnavailable),
                                             ("refused", BackendUnavailable), ("malformed", BackendProtocolError)])
def test_comms_client_maps_failures(comms, mode, error):
    from nova_bridge.adapters.comms import CommsNotification

    client = CommsClient(COMMS_URL, API_KEY, transport=httpx.MockTransport(comms.handler),
                         breaker=CircuitBreaker("nova_comms", failure_threshold=2))
    note = CommsNotification("email", TENANT, {"user_id": USER}, "s", "t", "<p>t</p>", "t", False, "k-1")
    assert client.send(note) == "cm-k-1"
    comms.mode = mode
    for _ in range(2):
        with pytest.raises(error):
            client.send(note)
    comms.mode = "ok"
    with pytest.raises(BackendUnavailable, match="circuit is open"):  # fails fast, Comms not called
        client.send(note)
    assert comms.calls == 3
    with pytest.raises(BackendRejected):
        CommsClient(COMMS_URL, None, transport=httpx.MockTransport(comms.handler),
                    breaker=CircuitBreaker("nova_comms")).send(note)


def test_one_click_links_are_signed_with_the_webhook_secret_when_there_is_one(settings, db, seed, comms, aws):
    from dataclasses import replace

    set_prefs(db, {"critical": ["email"]})
    with_secret = make_deps(replace(settings, webhook_secret="hook-secret"), db, comms, derive_link_key=True)
    assert run(with_secret, notified()).status == "completed"
    without = make_deps(settings, db, comms, derive_link_key=True)  # no webhook secret configured
    assert run(without, notified()).status == "completed"
    signed, plain = [b["data"]["actions"] for b in comms.accepted.values()]
    token = signed["acknowledge"].rsplit("/", 1)[1]
    from nova_bridge.adapters.webhook_auth import webhook_secret

    key = derive_action_key(webhook_secret(replace(settings, webhook_secret="hook-secret"), "alert-actions"))
    assert verify_action(key, token, NOON_UTC).action == "acknowledge"
    assert "acknowledge" not in plain and plain["acknowledge_api"] == signed["acknowledge_api"]
