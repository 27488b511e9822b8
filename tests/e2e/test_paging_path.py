"""End to end: Kuma heartbeat webhooks -> bus -> sync worker -> GoAlert, over many monitors with
repeats, flaps and maintenance; the alert count must equal the DOWN episodes of the sequence."""

from __future__ import annotations

from bench.alert_storm import down_episodes, storm, storm_sequence


def test_down_episodes_are_counted_from_the_sequence_alone():
    # monitor 0: DOWN DOWN UP DOWN MAINT DOWN UP -> 2 episodes; monitor 1: UP MAINT DOWN -> 1
    sequence = [(0, 0), (0, 0), (1, 1), (0, 1), (0, 0), (1, 3), (0, 3), (0, 0), (1, 0), (0, 1)]
    assert down_episodes(sequence) == 3


def test_alert_storm_pages_once_per_down_episode(database_url):
    report = storm(database_url, monitors=15, webhooks=150)
    expected = down_episodes(storm_sequence(15, 150))
    assert expected > 10  # the sequence really has flaps
    assert report["down_episodes"] == expected
    assert report["alerts_created"] == expected and report["alerts_in_goalert"] == expected
    assert report["events_processed"] == 150 and report["retried_or_failed"] == 0
    # one ingest call per trigger and per close, nothing more
    assert report["goalert_ingest_calls"] == report["alert_transitions"]
