"""The insights page's figures (``telephony.records.insights``): pure functions over a period's
rows, checked on hand-made rows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telephony.records.insights import (
    call_summaries,
    filter_calls,
    of_queue,
    recordings,
    series,
    time_buckets,
)

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 10, 30, 9, 0, tzinfo=NY).timestamp()


def _period() -> dict:
    calls = [
        {"call_sid": "CA1", "started_at": T0, "ended_at": T0 + 60, "from_number": "+15550001",
         "language": "en", "outcome": "resolved", "outcome_reason": "goodbye"},
        {"call_sid": "CA2", "started_at": T0 + 86400, "ended_at": T0 + 86400 + 90,
         "from_number": "+15550002", "language": "es", "outcome": "transferred",
         "outcome_reason": "warm:billing"},
        {"call_sid": "CA3", "started_at": T0 + 3 * 86400, "ended_at": None,
         "from_number": "+15550003", "language": "en", "outcome": None, "outcome_reason": None},
    ]
    turns = [
        {"call_sid": "CA1", "turn_index": 0, "caller_text": None, "intent": "greeting"},
        {"call_sid": "CA1", "turn_index": 1, "caller_text": "What time is breakfast?",
         "sentiment": 0.2, "latency": {"voice_to_voice": 500.0}},
        {"call_sid": "CA2", "turn_index": 1, "caller_text": "Quiero hablar con alguien",
         "sentiment": -0.5, "latency": {"voice_to_voice": 700.0}},
    ]
    events = [
        {"call_sid": "CA2", "at": T0 + 86400 + 10, "kind": "transfer",
         "detail": {"queue": "billing", "reason": "caller_asked_for_person"}},
        {"call_sid": "CA1", "at": T0 + 61, "kind": "recording",
         "detail": {"stream_sid": "MZ1", "file": "CA1/MZ1.wav", "seconds": 59.5}},
    ]
    qa = [{"call_sid": "CA1", "score": 0.5, "items": [
        {"check": "greeted", "passed": True}, {"check": "answered_in_caller_language",
                                               "passed": False, "turn": 1}]}]
    return {"calls": calls, "turns": turns, "events": events, "handoffs": [], "connected": [],
            "qa": qa}


def test_the_call_list_rows_say_what_each_call_came_to() -> None:
    rows = call_summaries(_period())
    assert [r["call_sid"] for r in rows] == ["CA3", "CA2", "CA1"]  # newest first
    first = rows[2]
    assert (first["queue"], first["caller_turns"], first["first_words"], first["handle_seconds"],
            first["qa_score"], first["qa_failed"], first["recorded"]) == (
        "", 1, "What time is breakfast?", 60.0, 0.5, ["answered_in_caller_language"], True)
    assert rows[1]["queue"] == "billing" and rows[1]["qa_score"] is None
    assert rows[0]["outcome"] == "" and rows[0]["handle_seconds"] is None


def test_the_filters_and_the_search() -> None:
    rows = call_summaries(_period())

    def sids(**given: object) -> list[str]:
        return [r["call_sid"] for r in filter_calls(rows, **given)]  # type: ignore[arg-type]

    assert sids() == ["CA3", "CA2", "CA1"]
    assert sids(outcome="transferred") == ["CA2"]
    assert sids(queue="billing") == ["CA2"]
    assert sids(language="en") == ["CA3", "CA1"]
    assert sids(qa_failed=True) == ["CA1"]
    assert sids(text="BREAKFAST") == ["CA1"]  # the first words, any case
    assert sids(text="0003") == ["CA3"]  # the number
    assert sids(text="ca2") == ["CA2"]  # the call SID
    assert sids(language="en", outcome="transferred") == []


def test_buckets_are_the_business_days_or_hours_across_a_clock_change() -> None:
    # 2026-11-01: New York goes from UTC-4 to UTC-5; a day is still midnight to midnight.
    since = datetime(2026, 10, 30, tzinfo=NY).timestamp()
    until = datetime(2026, 11, 3, tzinfo=NY).timestamp()
    days = time_buckets(since, until, "America/New_York")
    assert [label for _, _, label in days] == ["2026-10-30", "2026-10-31", "2026-11-01",
                                               "2026-11-02"]
    assert [round((end - start) / 3600) for start, end, _ in days] == [24, 24, 25, 24]
    assert days[0][0] == since and days[-1][1] == until
    hours = time_buckets(since, since + 86400, "America/New_York")
    assert len(hours) == 24 and hours[0][2] == "10-30 00:00" and hours[-1][1] == since + 86400
    # a period that starts mid-day starts at its own time
    assert time_buckets(since + 3600 * 5.5, until, "America/New_York")[0][0] == since + 3600 * 5.5


def test_the_series_counts_each_call_once_in_its_bucket() -> None:
    period = _period()
    since = datetime(2026, 10, 30, tzinfo=NY).timestamp()
    points = series(period, time_buckets(since, since + 4 * 86400, "America/New_York"))
    assert [p["calls"] for p in points] == [1, 1, 0, 1]
    assert points[0]["containment"] == 1.0 and points[1]["transfer_rate"] == 1.0
    assert points[0]["voice_to_voice_p50"] == 500.0 and points[1]["sentiment_start"] == -0.5
    assert points[0]["qa_mean"] == 0.5 and points[2]["containment"] is None


def test_a_queues_part_of_a_period_is_its_calls_and_their_rows() -> None:
    billing = of_queue(_period(), "billing")
    assert [c["call_sid"] for c in billing["calls"]] == ["CA2"]
    assert {t["call_sid"] for t in billing["turns"]} == {"CA2"} and billing["qa"] == []
    assert of_queue(_period(), "front_desk")["calls"] == []


def test_recordings_come_from_the_calls_events() -> None:
    assert recordings(_period()["events"]) == [
        {"stream_sid": "MZ1", "file": "CA1/MZ1.wav", "seconds": 59.5}]
