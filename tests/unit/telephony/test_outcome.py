"""What a call came to, from its records (telephony.records.outcome): one case per outcome and
place, and the repeat window."""

from __future__ import annotations

import pytest

from telephony.records.outcome import Outcome, decide_outcome, repeat_of

GREETING = {"intent": "greeting", "reason_codes": ["greeting"], "tools": []}


def turn(*codes: str, tools: list[dict] | None = None, intent: str = "x") -> dict:
    return {"intent": intent, "reason_codes": list(codes), "tools": tools or []}


def handoff(status: str, queue: str = "front_desk") -> dict:
    return {"status": status, "queue": queue}


@pytest.mark.parametrize(("end", "turns", "handoffs", "expected"), [
    ("agent_hung_up:caller_done", [GREETING, turn("kb_answer"), turn("intent:hangup")], [],
     Outcome("resolved", "goodbye")),
    ("caller_hung_up", [GREETING, turn("kb_answer")], [], Outcome("resolved", "answered")),
    ("caller_hung_up", [GREETING, turn("task:done")], [], Outcome("resolved", "answered")),
    ("warm_transfer:front_desk", [GREETING, turn("intent:transfer")], [handoff("completed")],
     Outcome("transferred", "warm:front_desk")),
    ("warm_transfer:billing", [GREETING], [handoff("no_answer", "billing"),
                                           handoff("connected", "billing")],
     Outcome("transferred", "warm:billing")),
    ("transferred:front_desk", [GREETING, turn("intent:transfer")], [],
     Outcome("transferred", "cold:front_desk")),
    ("warm_transfer:support", [GREETING, turn("choice:callback")],
     [handoff("callback", "support")], Outcome("callback", "callback:support")),
    ("warm_transfer:support", [GREETING], [handoff("abandoned", "support")],
     Outcome("abandoned", "hold")),
    ("caller_hung_up", [GREETING], [], Outcome("abandoned", "greeting")),
    ("caller_hung_up", [], [], Outcome("abandoned", "greeting")),
    ("caller_hung_up", [GREETING, turn("task:check_in")], [],
     Outcome("abandoned", "task:check_in")),
    ("caller_hung_up", [GREETING, turn("low_confidence")], [],
     Outcome("abandoned", "unanswered")),
    ("caller_silent", [GREETING], [], Outcome("abandoned", "silence")),
    ("caller_hung_up", [GREETING, turn("task:order_status", tools=[
        {"name": "get_order_status", "reason": "timeout"}])], [],
     Outcome("failed", "tool:get_order_status")),
    ("error", [GREETING, turn("kb_answer")], [], Outcome("failed", "error")),
    ("server_lost", [GREETING], [], Outcome("failed", "server_lost")),
    ("protocol_errors", [], [], Outcome("failed", "protocol_errors")),
    # The caller no longer wanted a person, went on with the AI, and was answered.
    ("warm_transfer:front_desk", [GREETING, turn("choice:decline"), turn("kb_answer")],
     [handoff("withdrawn")], Outcome("resolved", "answered")),
])
def test_each_way_a_call_ends(end, turns, handoffs, expected) -> None:
    call = {"ended_at": 2.0, "end_reason": end}
    assert decide_outcome(call, turns, handoffs) == expected


def test_undecided_while_the_call_runs_or_its_transfer_is_under_way() -> None:
    assert decide_outcome({"ended_at": None, "end_reason": None}, [GREETING], []) is None
    ringing = {"ended_at": 2.0, "end_reason": "warm_transfer:front_desk"}
    for status in ("pending", "dialing", "briefing", "accepted", "returned", "offered"):
        assert decide_outcome(ringing, [GREETING], [handoff(status)]) is None


def test_a_repeat_call_names_the_latest_earlier_call_in_the_window() -> None:
    day = 86400.0
    call = {"call_sid": "C3", "from_number": "+1555", "started_at": 10 * day}
    earlier = [{"call_sid": "C1", "from_number": "+1555", "started_at": 2 * day},
               {"call_sid": "C2", "from_number": "+1555", "started_at": 8 * day},
               {"call_sid": "C9", "from_number": "+1666", "started_at": 9 * day}]
    assert repeat_of(call, earlier, 7 * day) == "C2"
    assert repeat_of(call, earlier, 1 * day) is None
    assert repeat_of({**call, "from_number": ""}, earlier, 7 * day) is None
