"""Automated QA: every call scored, after it ends, on its rules' scorecard (pure checks of its
records; ``config.rules.QaItem``).

Each item is passed, failed (with the turn it failed at) or not applicable (nothing in the call
it applies to); the score is passed / applicable. The checks are deterministic, read only what
was stored (turns, events, the tool audit), and make no model call:

greeted                          the first line is the greeting and names the business
verified_before_account_action   no tool that changes records (write, restricted) ran before
                                 the caller was verified
offered_person_when_asked        a caller who asked for a person was transferred (or offered a
                                 message or a callback) in that turn or the next
no_card_digits_read_back         no reply read out private data (card numbers, phone numbers,
                                 e-mail addresses, a ZIP code: what ``dialog.privacy`` masks in
                                 the stored reply)
answered_in_caller_language      each reply of six words or more is in the language the caller
                                 spoke in that turn
routed_to_right_queue            a caller asking for one of the item's intents who was
                                 transferred reached its queue
judge                            the item's question, answered by the LLM from the transcript
                                 (``telephony.records.judge``); marked ``by: "llm"``, and not
                                 applicable when no LLM is configured or it does not answer
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from config.languages import normalise
from config.rules import QaItem
from dialog.briefing.types import caller_intent
from dialog.privacy import MASK
from knowledge.language import detect_language

__all__ = ["ItemResult", "Judge", "QaScore", "score_call"]

_HANDED_OVER = ("transfer", "callback")  # call events of a decision that reaches a person
_MIN_WORDS = 6  # shorter replies ("Mm-hm, go on.") say too little to tell a language


@dataclass(frozen=True)
class ItemResult:
    check: str
    passed: bool | None  # None: the item does not apply to this call
    turn: int | None = None  # the turn it failed at (or the one it rests on)
    detail: str = ""
    by: str = "rule"  # who decided: "rule" (a check of the records) or "llm" (the judge)


# The LLM judge: (the item, the call's record) -> its verdict.
Judge = Callable[[QaItem, Mapping[str, Any]], ItemResult]


@dataclass(frozen=True)
class QaScore:
    score: float | None  # passed / applicable; None: nothing applied
    items: tuple[ItemResult, ...]

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(item) for item in self.items]


def score_call(call: Mapping[str, Any], audit: Sequence[Mapping[str, Any]],
               scorecard: Sequence[QaItem], business_name: str,
               judge: Judge | None = None) -> QaScore:
    """``call``: the record (``Records.call``: turns and events); ``audit``: its tool calls in
    order (``tool_audit`` rows); ``judge``: the LLM judge (None: judge items do not apply)."""
    turns = list(call.get("turns") or [])
    events = list(call.get("events") or [])
    results = []
    for item in scorecard:
        if item.check == "greeted":
            results.append(_greeted(turns, business_name))
        elif item.check == "verified_before_account_action":
            results.append(_verified_first(turns, audit))
        elif item.check == "offered_person_when_asked":
            results.append(_offered_person(turns, events))
        elif item.check == "no_card_digits_read_back":
            results.append(_nothing_private_said(turns))
        elif item.check == "answered_in_caller_language":
            results.append(_in_caller_language(turns))
        elif item.check == "judge":
            results.append(judge(item, call) if judge is not None else ItemResult(
                "judge", None, detail=f"no LLM to judge: {item.question}", by="llm"))
        else:
            results.append(_right_queue(turns, events, item.queues))
    applied = [r for r in results if r.passed is not None]
    score = round(sum(1 for r in applied if r.passed) / len(applied), 4) if applied else None
    return QaScore(score, tuple(results))


def _greeted(turns: list[Mapping[str, Any]], name: str) -> ItemResult:
    first = turns[0] if turns else None
    if first is None or first.get("intent") != "greeting":
        return ItemResult("greeted", False, 0, "the call did not open with the greeting")
    if name and name.casefold() not in (first.get("reply_text") or "").casefold():
        return ItemResult("greeted", False, 0, f"the greeting does not name {name}")
    return ItemResult("greeted", True, 0)


def _turn_of(turns: list[Mapping[str, Any]], tool: str) -> int | None:
    return next((t["turn_index"] for t in turns
                 if any(x.get("name") == tool for x in t.get("tools") or ())), None)


def _verified_first(turns: list[Mapping[str, Any]],
                    audit: Sequence[Mapping[str, Any]]) -> ItemResult:
    verified, acted = False, False
    for row in audit:
        result = row.get("result") if isinstance(row.get("result"), dict) else {}
        if row.get("reason") == "ok" and result.get("verified") is True:
            verified = True
        if row.get("tier") in ("write", "restricted") and row.get("allowed") \
                and row.get("reason") == "ok":
            acted = True
            if not verified:
                return ItemResult("verified_before_account_action", False,
                                  _turn_of(turns, row["tool"]),
                                  f"{row['tool']} ran before the caller was verified")
    return ItemResult("verified_before_account_action", True if acted else None)


def _asked_for_person(turn: Mapping[str, Any]) -> bool:
    return caller_intent(turn.get("intent"), turn.get("reason_codes") or ()) == "human" or \
        "intent:human" in (turn.get("reason_codes") or ())


def _offered_person(turns: list[Mapping[str, Any]],
                    events: list[Mapping[str, Any]]) -> ItemResult:
    asked = [i for i, t in enumerate(turns) if _asked_for_person(t)]
    if not asked:
        return ItemResult("offered_person_when_asked", None)
    handed = [e["at"] for e in events if e.get("kind") in _HANDED_OVER]
    for i in asked:
        turn = turns[i]
        since = turn.get("caller_started_at") or turn.get("replied_at") or 0.0
        following = turns[i + 2] if i + 2 < len(turns) else None
        until = (following.get("caller_started_at") or following.get("replied_at")
                 or float("inf")) if following else float("inf")
        if not any(since <= at < until for at in handed):
            return ItemResult("offered_person_when_asked", False, turn["turn_index"],
                              "the caller asked for a person and was not handed over")
    return ItemResult("offered_person_when_asked", True, turns[asked[0]]["turn_index"])


def _nothing_private_said(turns: list[Mapping[str, Any]]) -> ItemResult:
    for turn in turns:
        if MASK in (turn.get("reply_text") or ""):
            return ItemResult("no_card_digits_read_back", False, turn["turn_index"],
                              "a reply read out private data (masked in the record)")
    return ItemResult("no_card_digits_read_back", True)


def _in_caller_language(turns: list[Mapping[str, Any]]) -> ItemResult:
    checked = False
    for turn in turns:
        language, reply = turn.get("caller_language"), turn.get("reply_text") or ""
        if not (turn.get("caller_text") or turn.get("caller_dtmf")) or not language \
                or len(reply.split()) < _MIN_WORDS:
            continue
        checked = True
        said = detect_language(reply, default=language)
        if said != normalise(language):
            return ItemResult("answered_in_caller_language", False, turn["turn_index"],
                              f"the caller spoke {language}, the reply is in {said}")
    return ItemResult("answered_in_caller_language", True if checked else None)


def _right_queue(turns: list[Mapping[str, Any]], events: list[Mapping[str, Any]],
                 queues: Mapping[str, str]) -> ItemResult:
    transfers = [e for e in events if e.get("kind") in _HANDED_OVER]
    for turn in turns:
        intent = caller_intent(turn.get("intent"), turn.get("reason_codes") or ())
        wanted = queues.get(intent or "")
        if wanted is None:
            continue
        since = turn.get("caller_started_at") or turn.get("replied_at") or 0.0
        later = [e for e in transfers if e["at"] >= since]
        if not later:
            continue  # not handed over: the AI dealt with it
        queue = (later[0].get("detail") or {}).get("queue")
        if queue != wanted:
            return ItemResult("routed_to_right_queue", False, turn["turn_index"],
                              f"{intent} went to {queue}, not {wanted}")
        return ItemResult("routed_to_right_queue", True, turn["turn_index"])
    return ItemResult("routed_to_right_queue", None)
