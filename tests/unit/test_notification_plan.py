"""Notification planning: channels by severity, quiet hours in the user's zone, order, messages, links."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nova_bridge.domain.notifications import (
    AlertInfo,
    Contact,
    InvalidActionToken,
    Preferences,
    derive_action_key,
    plan_notification,
    sign_action,
    verify_action,
)

PUBLIC = "https://nova.example.test/"
KEY = derive_action_key("test-secret")
CONTACT = Contact("u-1", email="ada@example.test", phone="+14155550100", name="Ada", time_zone="Europe/Berlin")
# 23:30 in Berlin (CET, UTC+1) on a winter day
BERLIN_NIGHT = datetime(2025, 1, 15, 22, 30, tzinfo=timezone.utc)
BERLIN_NOON = datetime(2025, 1, 15, 11, 0, tzinfo=timezone.utc)
QUIET = {"start": "22:00", "end": "07:00"}


def alert(severity: str = "high", **kw) -> AlertInfo:
    values = {"goalert_alert_id": 42, "summary": "Website is down", "details": "HTTP 503 <from> edge",
              "severity": severity, "alert_id": "0b7c5a52-8d7e-4c59-9d0e-0a3f7a1e2b10", "service_name": "Website"}
    return AlertInfo(**{**values, **kw})


def prefs(**row) -> Preferences:
    return Preferences.from_row({"time_zone": "Europe/Berlin", "channels": {}, "quiet_hours": None, **row})


def plan(a: AlertInfo, p: Preferences, now: datetime = BERLIN_NOON, key: bytes | None = KEY):
    return plan_notification(a, CONTACT, p, now, public_url=PUBLIC, action_key=key)


@pytest.mark.parametrize(("severity", "channels"), [
    ("critical", ["push", "sms", "email"]),
    ("high", ["push", "email"]),
    ("medium", ["email"]),
    ("low", ["email"]),
    ("bogus", ["push", "email"]),  # unknown severity is treated as the alerts table's default, high
])
def test_default_channels_by_severity_in_priority_order(severity, channels):
    result = plan(alert(severity), Preferences.from_row(None))
    assert [d.channel for d in result.deliveries] == channels
    assert [d.priority for d in result.deliveries] == sorted(d.priority for d in result.deliveries)


def test_preferences_choose_channels_and_unknown_names_are_dropped():
    p = prefs(channels={"high": ["email", "carrier-pigeon", "sms", "email"]})
    result = plan(alert("high"), p)
    assert [(d.channel, d.address) for d in result.deliveries] == [("sms", "+14155550100"),
                                                                    ("email", "ada@example.test")]
    # severities the preferences are silent about keep the defaults
    assert [d.channel for d in plan(alert("critical"), p).deliveries] == ["push", "sms", "email"]


def test_empty_channel_list_is_an_explicit_opt_out():
    result = plan(alert("low"), prefs(channels={"low": []}))
    assert result.deliveries == ()
    assert [s.channel for s in result.skipped] == ["*"]


def test_missing_address_is_kept_for_comms_with_none():
    result = plan(alert("critical"), Preferences.from_row(None))
    push = next(d for d in result.deliveries if d.channel == "push")
    assert push.address is None  # no SNS endpoint known; Comms addresses the user by id


def test_quiet_hours_in_the_users_time_zone_skip_non_critical():
    p = prefs(quiet_hours=QUIET)
    night = plan(alert("high"), p, BERLIN_NIGHT)
    assert night.deliveries == ()
    assert {s.channel for s in night.skipped} == {"push", "email"}
    assert "23:30" in night.skipped[0].reason
    # the same UTC instant is 14:30 in Los Angeles: not quiet there
    la = Preferences.from_row({"time_zone": "America/Los_Angeles", "channels": {}, "quiet_hours": QUIET})
    assert [d.channel for d in plan(alert("high"), la, BERLIN_NIGHT).deliveries] == ["push", "email"]
    # and noon in Berlin is not quiet either
    assert plan(alert("high"), p, BERLIN_NOON).deliveries


def test_quiet_hours_window_not_spanning_midnight():
    p = prefs(quiet_hours={"start": "12:00", "end": "13:00"})
    assert plan(alert("low"), p, BERLIN_NOON).deliveries == ()  # 12:00 Berlin
    assert plan(alert("low"), p, BERLIN_NOON + timedelta(hours=1)).deliveries  # 13:00: the end is exclusive


def test_critical_breaks_through_quiet_hours_unless_the_user_opts_out():
    assert [d.channel for d in plan(alert("critical"), prefs(quiet_hours=QUIET), BERLIN_NIGHT).deliveries] == [
        "push", "sms", "email"]
    silenced = prefs(quiet_hours={**QUIET, "except": []})
    assert plan(alert("critical"), silenced, BERLIN_NIGHT).deliveries == ()
    high_too = prefs(quiet_hours={**QUIET, "except": ["critical", "high"]})
    assert plan(alert("high"), high_too, BERLIN_NIGHT).deliveries


def test_disabled_or_malformed_quiet_hours_do_not_block_pages():
    for quiet in ({**QUIET, "enabled": False}, {"start": "late", "end": "07:00"}, {"start": "22:00"}, "22-07"):
        assert plan(alert("low"), prefs(quiet_hours=quiet), BERLIN_NIGHT).deliveries


def test_unknown_time_zone_falls_back_to_utc():
    p = Preferences.from_row({"time_zone": "Mars/Olympus", "channels": {}, "quiet_hours": QUIET})
    assert plan(alert("low"), p, BERLIN_NIGHT).deliveries == ()  # 22:30 UTC is inside 22:00-07:00
    assert plan(alert("low"), p, BERLIN_NOON).deliveries


def test_contact_time_zone_is_used_when_there_is_no_preferences_row():
    p = Preferences.from_row(None, fallback_time_zone="Asia/Tokyo")
    assert plan(alert("low"), p, BERLIN_NOON).local_time.utcoffset() == timedelta(hours=9)


def test_message_has_subject_text_html_sms_and_links():
    result = plan(alert("critical"), prefs())
    msg, links = result.message, result.actions
    assert msg.subject == "[CRITICAL] Website is down"  # the service name is already in the summary
    assert plan(alert(summary="HTTP 503"), prefs()).message.subject == "[HIGH] HTTP 503 (Website)"
    assert "Severity: CRITICAL" in msg.text and "HTTP 503 <from> edge" in msg.text
    assert "&lt;from&gt;" in msg.html and "<from>" not in msg.html  # escaped
    alert_url = f"{PUBLIC.rstrip('/')}/api/v2/alerts/{alert().alert_id}"
    assert links["view"] == alert_url
    assert links["acknowledge_api"] == alert_url + "/acknowledge"
    assert links["resolve_api"] == alert_url + "/resolve"
    assert links["acknowledge"].startswith("https://nova.example.test/api/v2/alert-actions/")
    assert links["acknowledge"] in msg.text and links["resolve"] in msg.text
    assert links["acknowledge"] in msg.html.replace("&amp;", "&")
    assert msg.sms.startswith("[CRITICAL] Website is down") and links["acknowledge"] in msg.sms
    assert "2025-01-15 12:00 CET" in msg.text  # time in the user's zone


def test_sms_is_short_even_for_long_summaries():
    long = alert("high", summary="x " * 400)
    sms = plan(long, Preferences.from_row(None)).message.sms
    assert len(sms) <= 300 and sms.endswith(plan(long, Preferences.from_row(None)).actions["acknowledge"])


def test_without_a_bridge_alert_id_or_key_there_are_fewer_links():
    no_id = plan(alert(alert_id=None), Preferences.from_row(None))
    assert no_id.actions == {} and "#42" in no_id.message.sms
    no_key = plan(alert(), Preferences.from_row(None), key=None)
    assert set(no_key.actions) == {"view", "acknowledge_api", "resolve_api"}


def test_action_token_round_trip_and_refusals():
    now = BERLIN_NOON
    token = sign_action(KEY, "a-1", "acknowledge", "u-1", now + timedelta(hours=1))
    claim = verify_action(KEY, token, now)
    assert (claim.alert_id, claim.action, claim.nova_user_id) == ("a-1", "acknowledge", "u-1")
    with pytest.raises(InvalidActionToken, match="expired"):
        verify_action(KEY, token, now + timedelta(hours=1))
    with pytest.raises(InvalidActionToken, match="signature"):
        verify_action(derive_action_key("other-secret"), token, now)
    mac = token.split(".")[1]
    forged = sign_action(KEY, "a-1", "resolve", "u-1", now + timedelta(hours=1)).split(".")[0]
    with pytest.raises(InvalidActionToken, match="signature"):
        verify_action(KEY, f"{forged}.{mac}", now)
    with pytest.raises(InvalidActionToken, match="malformed"):
        verify_action(KEY, "not-a-token", now)
    with pytest.raises(InvalidActionToken, match="unknown action"):
        verify_action(KEY, sign_action(KEY, "a-1", "delete", "u-1", now + timedelta(hours=1)), now)
