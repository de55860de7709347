"""The stores on PostgreSQL (Debian's server, started for the session) as on SQLite: each
store's round trip, the compare-and-set writes that several servers rely on, and the report
and retention that read them back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from postgres import PostgresServer, postgres  # noqa: F401 (the fixture)
from sqlalchemy import inspect

from config.rules import bundled_rules_file
from config.rules.store import RuleConflict, RuleStore
from dialog.routing.evaluate import load_routing_rules
from dialog.tools.audit import ToolAudit
from telephony.records.outcome import settle_outcome
from telephony.records.report import load_period, period_report
from telephony.records.retention import apply_retention
from telephony.records.store import Records
from telephony.transfer.handoffs import HandoffStore
from telephony.web.auth import SessionStore
from telephony.web.throttle import PER_ADDRESS, LoginThrottle

HOTEL = bundled_rules_file("hotel").read_text(encoding="utf-8")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stores.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


def _call(records: Records, sid: str, number: str = "+15550001") -> None:
    records.start_call(call_sid=sid, stream_sid=f"MZ{sid}", account_sid="AC1",
                       from_number=number, to_number="+15550000", language="en")
    records.add_turn(sid, 0, intent="greeting", reply_text="Hello.", reason_codes=["greeting"],
                     tools=[])
    records.add_turn(sid, 1, caller_text="Do you rent kayaks?", intent="question",
                     reason_codes=["low_confidence"], tools=[{"name": "search_knowledge",
                                                              "reason": "ok"}],
                     latency={"voice_to_voice": 480.0, "stt": 120.5},
                     route={"rule": "r", "action": "answer", "version": 1},
                     llm_usage={"prompt_tokens": 10, "completion_tokens": 2, "requests": 1})


def test_records_round_trip_and_decide(url: str) -> None:
    records, handoffs = Records(url, owner="a"), HandoffStore(url)
    _call(records, "CA1")
    records.update_turn("CA1", 1, heard_text="Sorry, I don't know.")
    records.add_event("CA1", "transfer", {"queue": "front_desk", "reason": "x"})
    assert records.claim_token("tok", "CA1") and not records.claim_token("tok", "CA1")
    assert records.last_turn_index("CA1") == 1
    records.end_call("CA1", "caller_hung_up")
    decided = settle_outcome(records, handoffs, "CA1", repeat_window_seconds=3600)
    assert decided is not None and decided.outcome == "abandoned"
    records.save_qa("CA1", rules_version=1, score=0.5, items=[{"check": "greeted",
                                                               "passed": True}])
    records.save_qa("CA1", rules_version=1, score=1.0, items=[])  # replaced, not added
    call = records.call("CA1")
    assert call["turns"][1]["latency"] == {"voice_to_voice": 480.0, "stt": 120.5}
    assert call["turns"][1]["tools"] == [{"name": "search_knowledge", "reason": "ok"}]
    assert call["events"][0]["detail"] == {"queue": "front_desk", "reason": "x"}
    assert records.qa("CA1")["score"] == 1.0
    # A repeat call from the same number marks the first one.
    _call(records, "CA2")
    records.end_call("CA2", "caller_hung_up")
    settle_outcome(records, handoffs, "CA2", repeat_window_seconds=3600)
    assert records.call("CA1")["repeated_by"] == "CA2"
    figures = period_report(load_period(records.engine, 0, time.time() + 1), None)
    assert figures["calls"] == 2 and figures["by_outcome"]["abandoned"] == 2
    assert figures["llm"]["prompt_tokens"] == 20
    assert figures["unanswered"]["groups"][0] == {
        "question": "Do you rent kayaks?", "asked": 2, "calls": 2,
        "wordings": ["Do you rent kayaks?"], "turns": [["CA1", 1], ["CA2", 1]]}
    records.close()
    handoffs.close()


def test_what_several_servers_rely_on(url: str) -> None:
    """Compare-and-set: a lease renewed meanwhile is not closed; a handoff moves only from
    the status expected; a rules version saved on a stale base is refused."""
    records, handoffs = Records(url, owner="a", lease_seconds=60), HandoffStore(url)
    _call(records, "CA3")
    [lease] = records.leases()
    records.renew_leases(["CA3"])  # the other server renewed it after `lease` was read
    assert not records.close_stale(lease, "server_lost")
    [fresh] = records.leases()
    assert records.close_stale(fresh, "server_lost")
    hid = handoffs.create(call_sid="CA3", queue="front_desk", reason="r", request="",
                          briefing={"transcript": [{"speaker": "caller", "text": "hi"}]},
                          agents=["+15550009"])
    assert handoffs.transition(hid, "dialing", expect={"pending"})
    assert not handoffs.transition(hid, "connected", expect={"pending"})
    assert handoffs.get(hid)["status"] == "dialing"
    store = RuleStore(url, load_routing_rules)
    first = store.ensure_seeded("hotel", HOTEL)
    assert store.ensure_seeded("hotel", HOTEL).id == first.id  # seeded once
    store.submit("hotel", HOTEL + "\n", author="ann", role="admin", based_on=first.id)
    with pytest.raises(RuleConflict):
        store.submit("hotel", HOTEL + "\n\n", author="bob", role="admin", based_on=first.id)
    assert store.active("hotel").author == "ann"
    SessionStore(url).close()
    # The sign-in throttle's count, shared by the servers on the database.
    one, two = LoginThrottle.shared(url, "desk"), LoginThrottle.shared(url, "desk")
    for _ in range(PER_ADDRESS.free):
        one.failed("10.0.0.1")
    assert two.wait("10.0.0.1") == PER_ADDRESS.first_wait
    ToolAudit(url).close()
    # Retention on the handoff's JSON: its transcript goes, the rest stays.
    records.end_call("CA3", "caller_hung_up")
    report = apply_retention(records, Path("/nonexistent"), days=1, transcripts=True,
                             now=time.time() + 2 * 86400)
    assert report.transcripts == ("CA3",)
    assert handoffs.get(hid)["briefing"]["transcript"] == []
    assert handoffs.get(hid)["agents"] == ["+15550009"]
    assert {"calls", "turns", "handoffs", "rule_versions", "tool_audit",
            "qa_scores"} <= set(inspect(records.engine).get_table_names())
    store.close()
    records.close()
    handoffs.close()
