"""The transfer briefing: built from a real dialog's state, turns and tool audit; summarised by
a scripted LLM (with its failures); spoken to an agent in a bounded number of words."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fake_llm import FakeLlm, Step, say

from config import LlmSettings, Settings
from dialog.briefing import (
    MAX_SPOKEN_WORDS,
    REASON_TEXTS,
    Briefing,
    TurnRecord,
    build_briefing,
    reason_text,
    sentiment_trend,
    spoken_briefing,
    summarize_with_llm,
)
from dialog.briefing.mood import frustration_signals
from dialog.deps import DialogDeps
from dialog.llm.client import make_client
from dialog.loader import load_dialog
from dialog.manager import DialogManager
from dialog.state import CallState
from dialog.tools.spec import ToolOutcome
from dialog.types import CallerTurn, Reply, Transfer
from dialog.understanding.sentiment import FrustrationSignals
from knowledge.encoder import SentenceEncoder

ALEX = "+15551234567"  # seeded support customer C1001: ZIP 94110, orders 551234 (UPS), 551251
T0 = 1_750_000_000.0


@pytest.fixture(scope="module")
def support(models_dir: Path, encoder: SentenceEncoder,
            tmp_path_factory: pytest.TempPathFactory) -> DialogDeps:
    settings = Settings(data_dir=tmp_path_factory.mktemp("briefing"), models_dir=models_dir,
                        dialog={"business": "support"})
    return load_dialog(settings, encoder=encoder)


class Call:
    """A support call through the real dialog manager, recorded as the call records would."""

    def __init__(self, deps: DialogDeps, number: str = ALEX) -> None:
        self.deps = deps
        self.state = CallState(business="support", caller_number=number,
                               call_sid=f"CA{uuid.uuid4().hex}")
        self.dialog = DialogManager(deps, self.state)
        greeting = self.dialog.greeting("en")
        self.turns = [TurnRecord(T0, "", None, greeting, greeting, "greeting", None, None, [])]
        self.last: Reply | None = None

    async def _hear(self, _sentence: str) -> None:
        return None

    async def turn(self, text: str = "", *, dtmf: str | None = None,
                   sentiment: tuple[float, str] | None = None,
                   heard: str | None = None) -> Reply:
        reply = await self.dialog.respond([], CallerTurn(text=text, dtmf=dtmf), self._hear)
        score, label = sentiment or (None, None)
        self.turns.append(TurnRecord(
            T0 + 10 * len(self.turns), text, dtmf, reply.text, heard, reply.intent, score, label,
            [{"name": t.name, "allowed": t.allowed, "reason": t.reason} for t in reply.tools],
            replied_at=T0 + 10 * len(self.turns) + 2))
        self.last = reply
        return reply

    def briefing(self) -> Briefing:
        assert self.last is not None and isinstance(self.last.decision, Transfer)
        audit = self.deps.registry.audit.for_call(self.state.call_sid)  # type: ignore[union-attr]
        return build_briefing(call_sid=self.state.call_sid, caller_number=self.state.caller_number,
                              state=self.state, turns=self.turns, tool_calls=audit,
                              transfer=self.last.decision, now=T0 + 999)


def _words(text: str) -> int:
    return len(text.split())


# -- from real calls ------------------------------------------------------------------------

async def test_refund_over_the_limit_briefs_the_agent_from_the_real_tools(support):
    call = Call(support)
    await call.turn("Where is my order?", sentiment=(0.0, "neutral"))
    await call.turn(dtmf="94110", sentiment=(-0.1, "neutral"))
    status = await call.turn("five five one two three four", sentiment=(-0.2, "neutral"),
                             heard="Order 5 5 1 2 3 4 has shipped with UPS.")
    assert "shipped with UPS" in status.text
    await call.turn("I want a refund", sentiment=(-0.5, "negative"))
    await call.turn("five five one two five one", sentiment=(-0.6, "frustrated"))
    reply = await call.turn("eight hundred ninety nine dollars", sentiment=(-0.8, "frustrated"))
    assert isinstance(reply.decision, Transfer) and reply.decision.reason == "needs_human"

    b = call.briefing()
    assert (b.verified, b.customer_id, b.customer["name"]) == (True, "C1001", "Alex Morgan")
    assert b.customer["records"]["verify_customer"]["verified"] is True
    assert b.intent == "refund" and b.language == "en" and b.queue == "front_desk"
    assert b.summary == ("Alex Morgan (verified) asked about order 551234, and the AI found it "
                         "shipped with UPS; the caller then asked for a refund of $899 on order "
                         "551251, which needs a person's approval.")
    assert 2 <= len(b.bullets) <= 5
    assert b.bullets[0] == "Verified as Alex Morgan (customer C1001, regular tier)."
    assert b.bullets[1].startswith("Request: Refund of $899.00 on order 551251")
    assert any("551234 shipped with UPS, tracking 1Z999AA10123456784" in x for x in b.bullets)
    assert b.suggested_next_step == "Review and approve the refund of $899 on order 551251"
    assert (b.reason, b.reason_text) == ("needs_human", "The request needs a person's approval.")
    assert b.request == reply.decision.request
    # Every tool call, from the audit, with its arguments and result.
    assert [(t["name"], t["allowed"], t["reason"]) for t in b.tools] == [
        ("lookup_customer", True, "ok"), ("verify_customer", True, "ok"),
        ("get_order_status", True, "ok"), ("get_order_status", True, "ok"),
        ("request_refund", False, "needs_human")]
    assert b.tools[2]["result"]["carrier"] == "UPS"
    assert b.tools[4]["args"] == {"order_number": "551251", "amount": 899.0,
                                  "reason": "I want a refund"}
    # Sentiment now and its trend.
    assert (b.sentiment_now, b.sentiment_label, b.sentiment_trend) == (
        -0.8, "frustrated", "worsening")
    # The transcript: keypad turns shown as keys; the agent side as the caller heard it.
    texts = [(t["speaker"], t["text"]) for t in b.transcript]
    assert texts[0] == ("agent", call.turns[0].reply_text)
    assert ("caller", "[keypad] 9 4 1 1 0") in texts
    heard = [t for t in b.transcript if t["text"].startswith("Order 5 5 1 2 3 4")]
    assert heard[0]["text"] == "Order 5 5 1 2 3 4 has shipped with UPS. [interrupted]"
    assert heard[0]["at"] == T0 + 30 + 2
    assert texts[-1] == ("agent", reply.text)  # not heard yet: the reply
    assert [t["at"] for t in b.transcript] == sorted(t["at"] for t in b.transcript)
    assert Briefing.from_json(json.loads(json.dumps(b.to_json()))) == b

    spoken = spoken_briefing(b)
    assert spoken.startswith("Incoming transfer from Alex Morgan, verified.")
    assert "refund of $899 on order 5 5 1 2 5 1" in spoken
    assert "The caller sounds frustrated, getting worse." in spoken
    assert "Reason: the request needs a person's approval." in spoken
    assert spoken.endswith("Press 1 to accept, 2 to decline.")
    assert _words(spoken) <= MAX_SPOKEN_WORDS


async def test_failed_verification_says_verify_first(support):
    call = Call(support)
    await call.turn("Where is my order?")
    await call.turn("one two three four five")
    reply = await call.turn("five four three two one")
    assert isinstance(reply.decision, Transfer)
    assert reply.decision.reason == "verification_failed"

    b = call.briefing()
    assert not b.verified and b.customer_id is None
    assert b.customer["candidate_id"] == "C1001" and "name" not in b.customer
    assert b.summary == f"An unverified caller from {ALEX} asked about an order."
    assert b.bullets[0] == f"Not verified calling from {ALEX}: 2 failed verification attempts."
    assert b.suggested_next_step == "Verify the caller's identity before discussing the account"
    assert b.reason_text == "The caller could not be verified."
    assert [t["reason"] for t in b.tools if t["name"] == "verify_customer"] == [
        "refused_by_business", "refused_by_business"]
    assert b.sentiment_trend == "unknown" and b.sentiment_label is None
    spoken = spoken_briefing(b)
    assert spoken.startswith("Incoming transfer from an unverified caller. An unverified caller "
                             "from +1 5 5 5 1 2 3 4 5 6 7 asked about an order.")
    assert "sounds" not in spoken and _words(spoken) <= MAX_SPOKEN_WORDS


async def test_keypad_zero_with_nothing_else_asked(support):
    call = Call(support, number="")
    reply = await call.turn(dtmf="0")
    assert isinstance(reply.decision, Transfer) and reply.decision.reason == "keypad_operator"
    b = call.briefing()
    assert b.summary == "An unverified caller pressed 0 to reach a person."
    assert b.intent is None and b.tools == ()
    assert b.bullets == ("Not verified.", "Transferred: The caller pressed 0 to reach a person.")
    assert b.suggested_next_step == "Ask the caller how you can help"
    assert ("caller", "[keypad] 0") in [(t["speaker"], t["text"]) for t in b.transcript]


# -- from hand-built calls (other reasons, the LLM path's tool outcomes) -----------------------

def _turn(at: float, said: str, reply: str, intent: str | None, tools=(), *,
          heard: str | None = None, sentiment: float | None = None,
          label: str | None = None) -> TurnRecord:
    return TurnRecord(T0 + at, said, None, reply, heard, intent, sentiment, label,
                      [{"name": t.name, "allowed": t.allowed, "reason": t.reason}
                       for t in tools])


def _verified_alex() -> CallState:
    return CallState(business="support", caller_number=ALEX, call_sid="CAX",
                     candidate_id="C1001", customer_id="C1001", verified=True)


LOOKUP = ToolOutcome("lookup_customer", {}, True, {"found": True, "needs_verification": True},
                     "ok")
VERIFY = ToolOutcome("verify_customer", {"postal_code": "94110"}, True,
                     {"verified": True, "name": "Alex Morgan", "tier": "regular"}, "ok")
DOWN = {"error": "unavailable", "message": "The system is not responding right now."}


def test_backend_failure_names_the_system_to_check():
    # The LLM path: no facts in the state, the tool outcomes are the record.
    fails = [ToolOutcome("get_order_status", {"order_number": "551234"}, True, DOWN, reason)
             for reason in ("timeout", "error")]
    turns = [_turn(0, "", "Hello.", "greeting"),
             _turn(10, "where is order 551234? my zip is 94110", "One moment.", "order_status",
                   [LOOKUP, VERIFY, fails[0]]),
             _turn(20, "hello? where is it?", "Let me connect you.", "order_status", [fails[1]])]
    b = build_briefing(call_sid="CAX", caller_number=ALEX, state=_verified_alex(), turns=turns,
                       tool_calls=[LOOKUP, VERIFY, *fails],
                       transfer=Transfer("front_desk", "backend_failure"), now=T0)
    assert b.customer["name"] == "Alex Morgan"  # from the outcomes: the LLM keeps no facts
    assert b.summary == ("Alex Morgan (verified) asked about order 551234, and the AI could not "
                         "reach the order system.")
    assert "2 back-end calls failed (get_order_status)." in b.bullets
    assert b.suggested_next_step == ("Check the order system; the AI could not reach it, then "
                                     "help with order 551234")
    assert b.reason_text == "A back-end system did not respond."


def test_turn_tools_are_used_when_there_is_no_audit():
    ticket = ToolOutcome("create_ticket", {"subject": "Broken", "description": "screen",
                                           "order_number": "551240"}, True,
                         {"ticket": "T-7", "created": True, "priority": "normal"}, "ok")
    turns = [_turn(0, "", "Hello.", "greeting"),
             TurnRecord(T0 + 10, "my headphones broke", None, "I've opened ticket 7.", None,
                        "report_problem", None, None,
                        [{"name": "create_ticket", "args": ticket.args, "allowed": True,
                          "reason": "ok", "result": ticket.result}]),
             _turn(20, "agent please", "Of course.", "human")]
    b = build_briefing(call_sid="CAX", caller_number=ALEX, state=_verified_alex(), turns=turns,
                       tool_calls=[], transfer=Transfer("front_desk", "caller_asked_for_person"),
                       now=T0)
    assert b.summary == ("A verified caller (customer C1001) reported a problem with order "
                         "551240, and the AI opened ticket T-7.")
    assert b.intent == "report_problem"
    assert b.tools[0]["result"]["ticket"] == "T-7"
    assert b.suggested_next_step == "Help the caller with a problem with order 551240"


def test_hotel_cancellation_needs_a_person():
    state = CallState(business="hotel", caller_number="+16175550142", call_sid="CAH",
                      candidate_id="472913", customer_id="G1001", verified=True,
                      facts={"verify_guest": {"verified": True, "first_name": "Margaret",
                                              "last_name": "Chen", "confirmation": "472913"}})
    cancel = ToolOutcome("cancel_reservation", {"confirmation": "472913",
                                                "reason": "plans changed"}, False,
                         {"error": "needs_human", "request": "cancel_reservation(...)"},
                         "needs_human")
    turns = [_turn(0, "", "Hello.", "greeting"),
             _turn(10, "cancel my reservation please", "That needs a colleague.", "cancel",
                   [cancel], sentiment=0.3)]
    b = build_briefing(call_sid="CAH", caller_number=state.caller_number, state=state,
                       turns=turns, tool_calls=[cancel],
                       transfer=Transfer("front_desk", "needs_human", "cancel_reservation(...)"),
                       now=T0)
    assert b.summary == ("Margaret Chen (verified) asked for the cancellation of reservation "
                         "472913, which needs a person's approval.")
    assert b.suggested_next_step == ("Review the cancellation of reservation 472913 and "
                                     "confirm it with the guest")
    assert (b.sentiment_label, b.sentiment_trend) == ("positive", "unknown")
    assert "The caller sounds satisfied." in spoken_briefing(b)


def test_knowledge_question_and_rephrasing():
    turns = [_turn(0, "", "Hello.", "greeting"),
             _turn(10, "do you price match other stores", "I'm not sure.", "question",
                   sentiment=-0.1),
             _turn(20, "will you match a lower price", "I'm not sure.", "question",
                   sentiment=-0.2),
             _turn(30, "can you match a price from another shop", "Let me connect you.",
                   "question", sentiment=-0.2)]
    state = CallState(business="support", caller_number=ALEX, call_sid="CAQ")
    b = build_briefing(call_sid="CAQ", caller_number=ALEX, state=state, turns=turns,
                       tool_calls=[], transfer=Transfer("front_desk", "caller_rephrased"),
                       now=T0)
    assert b.summary == (f'An unverified caller from {ALEX} asked "do you price match other '
                         'stores".')
    assert b.intent == "question"
    assert b.suggested_next_step == ('Answer the caller\'s question: "can you match a price '
                                     'from another shop"')
    assert b.sentiment_trend == "steady"


def test_transcript_uses_what_the_caller_heard():
    turns = [_turn(0, "", "Hello. Press 0 for a person.", "greeting",
                   heard="Hello. Press 0 for a person."),
             _turn(10, "what time do you open", "We open at 9. We close at 6.", "question",
                   heard="We open at 9."),
             _turn(20, "and on sunday", "Closed on Sunday.", "question", heard=""),
             TurnRecord(T0 + 30, "", "12", "You pressed 1 2.", None, "keypad", None, None, [])]
    b = build_briefing(call_sid="CAT", caller_number="", state=CallState(business="support"),
                       turns=turns, tool_calls=[],
                       transfer=Transfer("front_desk", "dialog_loop"), now=T0)
    assert [(t["speaker"], t["text"]) for t in b.transcript] == [
        ("agent", "Hello. Press 0 for a person."),
        ("caller", "what time do you open"), ("agent", "We open at 9. [interrupted]"),
        ("caller", "and on sunday"),  # the caller heard none of the reply: none is shown
        ("caller", "[keypad] 1 2"), ("agent", "You pressed 1 2.")]


def test_reason_texts_and_trends():
    for code, text in REASON_TEXTS.items():
        assert reason_text(code) == text and text.endswith(".")
    assert reason_text("slot_not_understood:order_number") == (
        "The AI could not understand the caller's order number.")
    assert reason_text("something_new") == "The AI transferred the call (something new)."
    assert sentiment_trend([]) == sentiment_trend([0.5]) == "unknown"
    assert sentiment_trend([0.0, -0.5]) == "worsening"
    assert sentiment_trend([-0.6, -0.5, 0.0, 0.1]) == "improving"
    assert sentiment_trend([-0.2, -0.1, -0.2, -0.2]) == "steady"


def test_json_refuses_what_is_not_a_briefing():
    b = build_briefing(call_sid="CAJ", caller_number="", state=CallState(business="hotel"),
                       turns=[], tool_calls=[], transfer=Transfer("front_desk", "x"), now=T0)
    data = b.to_json()
    assert json.loads(json.dumps(data)) == data
    with pytest.raises(ValueError, match="unknown"):
        Briefing.from_json({**data, "secret": 1})
    with pytest.raises(ValueError, match="not a briefing"):
        Briefing.from_json({k: v for k, v in data.items() if k != "summary"})


def test_turn_record_from_a_call_records_row():
    row = {"turn_index": 1, "caller_text": "hi", "caller_dtmf": None, "caller_started_at": 5.0,
           "replied_at": 6.5, "reply_text": "Hello!", "heard_text": "Hello!",
           "intent": "chatter", "tools": [{"name": "x", "allowed": True, "reason": "ok"}]}
    turn = TurnRecord.from_row(row)
    assert (turn.at, turn.replied_at, turn.sentiment, turn.tools) == (
        5.0, 6.5, None, [{"name": "x", "allowed": True, "reason": "ok"}])
    greeting = TurnRecord.from_row({"caller_text": None, "replied_at": 1.0, "reply_text": "Hi"})
    assert (greeting.at, greeting.caller_text, greeting.tools) == (1.0, "", [])


def test_spoken_briefing_stays_short():
    long_summary = " ".join(["word"] * 120) + "."
    b = build_briefing(call_sid="CAS", caller_number=ALEX, state=_verified_alex(),
                       turns=[_turn(10, "x", "y", "order_status", sentiment=-0.9,
                                    label="angry")],
                       tool_calls=[VERIFY], transfer=Transfer("q", "low_confidence_repeated"),
                       now=T0)
    spoken = spoken_briefing(replace(b, summary=long_summary))
    assert _words(spoken) <= MAX_SPOKEN_WORDS and "word..." in spoken
    assert "The caller sounds angry." in spoken
    assert "Reason: the AI could not understand the caller several times in a row." in spoken
    improving = replace(b, sentiment_label="negative", sentiment_trend="improving")
    assert "The caller sounds unhappy, improving." in spoken_briefing(improving)


# -- frustration ----------------------------------------------------------------------------

def _said(at: float, text: str, reply: str, intent: str, *, level_db: float | None = None,
          interrupted: bool = False, codes: tuple[str, ...] = (),
          sentiment: float | None = None, label: str | None = None) -> TurnRecord:
    return TurnRecord(T0 + at, text, None, reply, None, intent, sentiment, label, [],
                      replied_at=T0 + at + 2, interrupted=interrupted,
                      reason_codes=list(codes), caller_level_db=level_db)


def _frustrated_call() -> list[TurnRecord]:
    """The caller re-asks, talks over two replies and ends 8 dB louder than before."""
    return [_turn(0, "", "Hello.", "greeting"),
            _said(10, "do you price match", "Price matching depends on the store and...",
                  "question", level_db=-30.0, interrupted=True, sentiment=-0.1,
                  label="neutral"),
            _said(20, "will you match a lower price", "It depends on the product and...",
                  "question", level_db=-31.0, interrupted=True, sentiment=-0.3,
                  label="negative"),
            _said(30, "can you just match the price", "Let me connect you.", "question",
                  level_db=-22.5, codes=("escalate:caller_rephrased",), sentiment=-0.6,
                  label="negative")]


def test_frustration_signals_and_reasons_from_the_turns():
    turns = _frustrated_call()
    signals = frustration_signals(turns, "caller_rephrased")
    assert signals == FrustrationSignals(rephrases=1, barge_ins=2, asked_for_person=False,
                                         raised_level=True, negative_streak=2)
    state = CallState(business="support", caller_number=ALEX, call_sid="CAF")
    b = build_briefing(call_sid="CAF", caller_number=ALEX, state=state, turns=turns,
                       tool_calls=[], transfer=Transfer("front_desk", "caller_rephrased"),
                       now=T0)
    assert b.frustration == 0.856  # 1 - (1 - 0.6)(1 - 0.4)(1 - 0.25)(1 - 0.2)
    assert b.frustration_reasons == ("negative_streak", "raised_voice", "rephrasing",
                                     "talking_over")
    assert b.sentiment_scores == (-0.1, -0.3, -0.6)
    spoken = spoken_briefing(b)  # "unhappy" becomes "frustrated"; two reasons at the most
    assert "The caller sounds frustrated, getting worse: they raised their voice and " \
        "rephrased their question." in spoken
    assert _words(spoken) <= MAX_SPOKEN_WORDS
    again = Briefing.from_json(json.loads(json.dumps(b.to_json())))
    assert again == b and again.frustration_reasons == b.frustration_reasons


def test_frustration_from_call_record_rows():
    rows = [{"turn_index": 0, "reply_text": "Hi", "replied_at": T0, "interrupted": 0},
            {"turn_index": 1, "caller_text": "I need a person", "caller_started_at": T0 + 5,
             "reply_text": "Of course.", "intent": "human", "interrupted": 1,
             "reason_codes": ["escalate:caller_asked_for_person"], "caller_level_db": -28},
            {"turn_index": 2, "caller_text": "now", "caller_started_at": T0 + 9,
             "reply_text": "Connecting.", "intent": "human", "interrupted": 0,
             "reason_codes": None}]
    turns = [TurnRecord.from_row(r) for r in rows]
    assert (turns[1].interrupted, turns[1].reason_codes, turns[1].caller_level_db) == (
        True, ["escalate:caller_asked_for_person"], -28.0)
    assert (turns[2].interrupted, turns[2].reason_codes, turns[2].caller_level_db) == (
        False, [], None)
    b = build_briefing(call_sid="CAP", caller_number=ALEX,
                       state=CallState(business="support"), turns=turns, tool_calls=[],
                       transfer=Transfer("front_desk", "caller_asked_for_person"), now=T0)
    # One barge-in is ordinary and levels without a baseline say nothing: only the ask counts.
    assert (b.frustration, b.frustration_reasons) == (0.35, ("asked_for_person",))
    assert "frustrated" not in spoken_briefing(b)


def test_no_caller_turns_no_frustration():
    b = build_briefing(call_sid="CAN", caller_number="", state=CallState(business="hotel"),
                       turns=[_turn(0, "", "Hello.", "greeting")], tool_calls=[],
                       transfer=Transfer("front_desk", "llm_unavailable"), now=T0)
    assert (b.frustration, b.frustration_reasons, b.sentiment_scores) == (None, (), ())


def test_briefings_stored_before_frustration_still_load():
    b = build_briefing(call_sid="CAO", caller_number=ALEX, state=_verified_alex(),
                       turns=_frustrated_call(), tool_calls=[],
                       transfer=Transfer("front_desk", "caller_rephrased"), now=T0)
    stored = {k: v for k, v in b.to_json().items()
              if k not in ("frustration", "frustration_reasons", "sentiment_scores")}
    old = Briefing.from_json(json.loads(json.dumps(stored)))
    assert (old.frustration, old.frustration_reasons, old.sentiment_scores) == (None, (), ())
    assert old.summary == b.summary
    assert "The caller sounds unhappy, getting worse." in spoken_briefing(old)


# -- the LLM's summary ----------------------------------------------------------------------

@pytest.fixture
def fake(llm: FakeLlm) -> Iterator[FakeLlm]:
    llm.script()
    yield llm
    llm.script()


def _llm_settings(fake: FakeLlm) -> LlmSettings:
    return LlmSettings(base_url=f"{fake.url}/v1", model="fake-model")  # type: ignore[attr-defined]


def _template() -> Briefing:
    order = ToolOutcome("get_order_status", {"order_number": "551234"}, True,
                        {"found": True, "order_number": "551234", "status": "shipped",
                         "carrier": "UPS", "eta": "2025-06-06"}, "ok")
    turns = [_turn(0, "", "Hello.", "greeting"),
             _turn(10, "where is order 551234", "It shipped with UPS.", "order_status",
                   [LOOKUP, VERIFY, order], sentiment=-0.4, label="negative"),
             _turn(20, "I need a person", "Of course.", "human", sentiment=-0.7,
                   label="frustrated")]
    return build_briefing(call_sid="CAL", caller_number=ALEX, state=_verified_alex(),
                          turns=turns, tool_calls=[LOOKUP, VERIFY, order],
                          transfer=Transfer("front_desk", "caller_asked_for_person"), now=T0)


async def test_llm_summary_replaces_the_template(fake):
    answer = {"summary": "Alex Morgan, verified, wanted order 551234, which shipped with UPS "
                         "and is due Friday, June 6. He then asked for a person.",
              "bullets": ["Order 551234 shipped with UPS", "Caller is frustrated"]}
    fake.script(say(f"```json\n{json.dumps(answer)}\n```"))
    template = _template()
    client = make_client(_llm_settings(fake))
    b = await summarize_with_llm(client, _llm_settings(fake), template)
    assert b.summary_source == "llm"
    assert b.summary == ("Alex Morgan, verified, wanted order 551234, which shipped with UPS and "
                         "is due Friday, June 6.")  # one sentence
    assert b.bullets == ("Order 551234 shipped with UPS", "Caller is frustrated")
    assert replace(b, summary=template.summary, bullets=template.bullets,
                   summary_source="template") == template  # nothing else changed
    sent = fake.requests[0]
    assert sent["stream"] is True and sent["model"] == "fake-model"
    data = json.loads(sent["messages"][1]["content"])
    assert data["transcript"][1] == {"speaker": "caller", "text": "where is order 551234"}
    assert data["tools"][2]["result"]["carrier"] == "UPS"
    assert "records" not in data["customer"]


async def test_llm_one_bullet_is_topped_up_from_the_template(fake):
    fake.script(say(json.dumps({"summary": "Alex Morgan asked about his order.",
                                "bullets": ["Wants a person"]})))
    template = _template()
    b = await summarize_with_llm(make_client(_llm_settings(fake)), _llm_settings(fake), template)
    assert b.bullets == ("Wants a person", template.bullets[0])


@pytest.mark.parametrize("step", [
    Step(status=500),
    say("Sure! Here is the briefing you asked for."),
    say(json.dumps({"summary": "", "bullets": ["a", "b"]})),
    say(json.dumps({"summary": "Alex Morgan asked about order 551234.", "bullets": "x"})),
    say(json.dumps({"summary": "Alex wants a $250 refund on order 551234.",  # invented
                    "bullets": ["a", "b"]})),
], ids=["http-500", "not-json", "no-summary", "bad-bullets", "invented-figure"])
async def test_llm_failures_keep_the_template(fake, step):
    fake.script(step)
    template = _template()
    b = await summarize_with_llm(make_client(_llm_settings(fake)), _llm_settings(fake), template)
    assert b == template and b.summary_source == "template"
    assert len(fake.requests) == 1  # no retry: the transfer is waiting


async def test_llm_too_slow_keeps_the_template(fake):
    fake.script(say(json.dumps({"summary": "Too late.", "bullets": ["a", "b"]}),
                    first_token_delay=3.0))
    template = _template()
    started = time.monotonic()
    b = await summarize_with_llm(make_client(_llm_settings(fake)), _llm_settings(fake), template,
                                 timeout_seconds=0.5)
    assert b == template
    assert time.monotonic() - started < 1.5


def test_the_rules_labels_never_reach_the_agent():
    """A turn the routing rules answered ("route") reads as what the caller asked for; the
    choice after a failed transfer asks for nothing; a card shows no empty records."""
    rows = [{"caller_text": None, "replied_at": 1.0, "reply_text": "Hello.",
             "intent": "greeting"},
            {"caller_text": "I want to talk to someone", "caller_started_at": 10.0,
             "reply_text": "Let me connect you.", "intent": "route",
             "reason_codes": ["route:person", "rule:person", "intent:human"]},
            {"caller_text": "try another colleague", "caller_started_at": 40.0,
             "reply_text": "Trying another colleague.", "intent": "transfer_choice",
             "reason_codes": ["choice:next_agent"]}]
    turns = [TurnRecord.from_row(row) for row in rows]
    assert turns[1].intent == "human"
    state = CallState(business="support", caller_number=ALEX, call_sid="CAR")
    b = build_briefing(call_sid="CAR", caller_number=ALEX, state=state, turns=turns,
                       tool_calls=[], transfer=Transfer("support", "caller_asked_for_person"),
                       now=T0)
    text = " ".join([b.summary, b.suggested_next_step, *b.bullets])
    assert "route" not in text and "transfer choice" not in text, text
    assert b.summary == f"An unverified caller from {ALEX} asked for a person."
    assert "records" not in b.customer
