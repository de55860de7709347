"""The QA scorecard's checks (telephony.records.qa): each one passed by one call and failed by
another, and the scorecard as part of the rules."""

from __future__ import annotations

import pytest

from config.rules import QaItem, RulesError, load_rules
from telephony.records.qa import score_call

NAME = "Northwind Electronics"
GREETING = {"turn_index": 0, "intent": "greeting", "replied_at": 1.0,
            "reply_text": f"Thank you for calling {NAME}. How can I help?"}


def turn(index: int, said: str, reply: str, *, intent: str = "question", codes=(),
         language: str = "en", tools=()) -> dict:
    return {"turn_index": index, "caller_text": said, "caller_language": language,
            "caller_started_at": 10.0 * index, "replied_at": 10.0 * index + 1,
            "intent": intent, "reason_codes": list(codes), "reply_text": reply,
            "tools": [{"name": t} for t in tools]}


def result(check: str, call: dict, audit=(), item: QaItem | None = None):
    [found] = score_call(call, list(audit), [item or QaItem(check=check)], NAME).items
    return found.passed, found.turn


def test_greeted() -> None:
    assert result("greeted", {"turns": [GREETING]}) == (True, 0)
    other = {**GREETING, "reply_text": "Hello, how can I help?"}
    assert result("greeted", {"turns": [other]}) == (False, 0)
    assert result("greeted", {"turns": []}) == (False, 0)


def test_verified_before_account_action() -> None:
    turns = [GREETING, turn(1, "refund order 551234", "Done.", tools=["request_refund"])]
    refund = {"tool": "request_refund", "tier": "write", "allowed": True, "reason": "ok",
              "result": {"refunded": True}}
    verify = {"tool": "verify_customer", "tier": "read", "allowed": True, "reason": "ok",
              "result": {"verified": True}}
    assert result("verified_before_account_action", {"turns": turns}, [verify, refund]) == (
        True, None)
    assert result("verified_before_account_action", {"turns": turns}, [refund, verify]) == (
        False, 1)
    refused = {**refund, "allowed": False, "reason": "not_verified"}
    assert result("verified_before_account_action", {"turns": turns}, [refused]) == (None, None)


def test_offered_person_when_asked() -> None:
    asked = turn(1, "I want a person", "Connecting you.", intent="route",
                 codes=["rule:person", "intent:human"])
    handed = [{"kind": "transfer", "at": 11.0, "detail": {"queue": "support"}}]
    assert result("offered_person_when_asked", {"turns": [GREETING, asked],
                                                "events": handed}) == (True, 1)
    ignored = [GREETING, asked, turn(2, "hello?", "How can I help?"),
               turn(3, "bye", "Goodbye.")]
    assert result("offered_person_when_asked", {"turns": ignored, "events": []}) == (False, 1)
    assert result("offered_person_when_asked", {"turns": [GREETING], "events": []}) == (
        None, None)


def test_no_card_digits_read_back() -> None:
    clean = [GREETING, turn(1, "my card?", "I can't read card details on the phone.")]
    assert result("no_card_digits_read_back", {"turns": clean}) == (True, None)
    said = [GREETING, turn(1, "my card?", "The card on file is [redacted].")]
    assert result("no_card_digits_read_back", {"turns": said}) == (False, 1)


def test_answered_in_caller_language() -> None:
    spanish = turn(1, "¿a qué hora es el desayuno?",
                   "El desayuno se sirve de siete a diez y media en el restaurante.",
                   language="es")
    assert result("answered_in_caller_language", {"turns": [GREETING, spanish]}) == (True, None)
    english = {**spanish, "reply_text": "Breakfast is served from seven to ten thirty in the "
               "restaurant."}
    assert result("answered_in_caller_language", {"turns": [GREETING, english]}) == (False, 1)
    short = {**english, "reply_text": "Mm-hm, go on."}
    assert result("answered_in_caller_language", {"turns": [GREETING, short]}) == (None, None)


def test_routed_to_right_queue() -> None:
    item = QaItem(check="routed_to_right_queue", queues={"refund": "billing"})
    refund = turn(1, "I want a refund", "Let me connect you.", intent="refund")
    to = [{"kind": "transfer", "at": 11.0, "detail": {"queue": "billing"}}]
    assert result("", {"turns": [GREETING, refund], "events": to}, item=item) == (True, 1)
    wrong = [{"kind": "transfer", "at": 11.0, "detail": {"queue": "support"}}]
    assert result("", {"turns": [GREETING, refund], "events": wrong}, item=item) == (False, 1)
    assert result("", {"turns": [GREETING, refund], "events": []}, item=item) == (None, None)


def test_the_score_is_passed_over_applicable() -> None:
    call = {"turns": [GREETING, turn(1, "hi", "The card on file is [redacted].")],
            "events": []}
    score = score_call(call, [], [QaItem(check="greeted"),
                                  QaItem(check="no_card_digits_read_back"),
                                  QaItem(check="offered_person_when_asked")], NAME)
    assert score.score == 0.5
    assert [r["passed"] for r in score.rows()] == [True, False, None]


def test_the_scorecard_lives_in_the_rules(tmp_path) -> None:
    from config.rules import bundled_rules_file

    supported = load_rules(bundled_rules_file("support"))  # its own scorecard
    assert supported.scorecard()[-1].queues == {"refund": "billing"}
    text = bundled_rules_file("hotel").read_text(encoding="utf-8")
    rules = load_rules(text)  # no qa section: every check that needs no parameters
    assert [i.check for i in rules.scorecard()] == [
        "greeted", "verified_before_account_action", "offered_person_when_asked",
        "no_card_digits_read_back", "answered_in_caller_language"]
    own = text + "\nqa:\n  - check: greeted\n  - check: routed_to_right_queue\n" \
        "    queues: {late_checkout: front_desk}\n"
    assert [i.check for i in load_rules(own).scorecard()] == ["greeted",
                                                              "routed_to_right_queue"]
    with pytest.raises(RulesError) as error:
        load_rules(own.replace("{late_checkout: front_desk}", "{late_checkout: bills}"))
    assert "qa[1].queues.late_checkout: unknown queue 'bills'" in str(error.value)
    with pytest.raises(RulesError) as error:
        load_rules(text + "\nqa:\n  - check: routed_to_right_queue\n")
    assert "goes with routed_to_right_queue" in str(error.value)


# -- the LLM judge (a scripted OpenAI-compatible server on loopback) -----------------------------

RUDE = {"turns": [GREETING, turn(1, "Where is my order, you idiots?", "Calm down, sir."),
                  turn(2, "My ZIP is [redacted].", "Thanks, you're verified.")]}
POLITE = QaItem(check="judge", question="Did the agent stay polite when the caller was rude?")


def _judge(llm, **llm_settings):
    from config.settings import LlmSettings
    from telephony.records.judge import LlmJudge

    return LlmJudge(LlmSettings(base_url=f"{llm.url}/v1", model="judge-model", retries=0,
                                total_timeout_seconds=3, **llm_settings))


def _judged(llm, *answers) -> list:
    from fake_llm import say

    llm.script(*(say(a) if isinstance(a, str) else a for a in answers))
    return list(score_call(RUDE, [], [POLITE, QaItem(check="greeted")], NAME,
                           judge=_judge(llm)).items)


def test_the_judge_answers_an_item_no_rule_can_check(llm) -> None:
    judged, greeted = _judged(llm, 'Sure. {"passed": false, "turn": 1, '
                                   '"reason": "Told an upset caller to calm down."}')
    assert (judged.check, judged.passed, judged.turn, judged.by) == ("judge", False, 1, "llm")
    assert judged.detail == f"{POLITE.question} Told an upset caller to calm down."
    assert (greeted.passed, greeted.by) == (True, "rule")
    [request] = llm.requests
    assert request["model"] == "judge-model" and request["temperature"] == 0
    asked = request["messages"][1]["content"]
    assert asked.startswith(f"Question: {POLITE.question}")
    assert "[turn 1] Caller: Where is my order, you idiots?" in asked
    assert "[turn 2] Caller: My ZIP is [redacted]." in asked  # as stored: masked
    [passed, _] = _judged(llm, '{"passed": true, "turn": 99, "reason": "Polite."}')
    assert (passed.passed, passed.turn) == (True, None)  # a turn the call does not have


def test_a_judge_that_does_not_judge_moves_no_score(llm) -> None:
    from fake_llm import Step

    for answer, why in [("It was mostly fine.", "the judge's answer was not understood"),
                        ('{"passed": "maybe"}', "the judge's answer was not understood"),
                        (Step(status=500), "the judge did not answer (InternalServerError)")]:
        judged, _ = _judged(llm, answer)
        assert (judged.passed, judged.by) == (None, "llm") and judged.detail.startswith(why)
    score = score_call(RUDE, [], [POLITE, QaItem(check="greeted")], NAME)
    assert score.score == 1.0 and score.items[0].passed is None  # no LLM: not applicable
    assert score.items[0].detail.startswith("no LLM to judge")


def test_a_judge_item_needs_its_question_and_only_it_has_one() -> None:
    with pytest.raises(ValueError, match="'question'"):
        QaItem(check="judge")
    with pytest.raises(ValueError, match="'question'"):
        QaItem(check="greeted", question="Was it nice?")
