"""The briefing's messages: a call's turn as the call records hold it, and the briefing itself.

``TurnRecord`` is what the briefing is built from; ``Briefing`` is the handoff package the
person taking a transferred call reads (``to_json`` / ``from_json`` carry it through the
database, and briefings stored before a field was added still load: new fields have defaults).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["MINOR_INTENTS", "Briefing", "TurnRecord", "caller_intent", "jsonable"]

_SEQUENCES = ("bullets", "transcript", "tools", "sentiment_scores", "frustration_reasons")


@dataclass(frozen=True)
class TurnRecord:
    """One turn of the call as the call records hold it (turn 0 is the greeting: no caller
    text). ``tools`` are the turn's tool calls: at least ``name``, ``allowed``, ``reason``;
    ``args`` and ``result`` too when known (else they come from the tool audit)."""

    at: float  # unix seconds: when the caller started speaking (the greeting: when said)
    caller_text: str
    caller_dtmf: str | None
    reply_text: str
    heard_text: str | None  # what the caller heard of the reply; None: not known (yet)
    intent: str | None
    sentiment: float | None  # [-1, 1], below 0 unhappy
    sentiment_label: str | None
    tools: list[dict[str, Any]]
    replied_at: float | None = None  # when the reply started; None: ``at``
    interrupted: bool = False  # the caller talked over this turn's reply
    reason_codes: list[str] = field(default_factory=list)  # "escalate:caller_rephrased"...
    caller_level_db: float | None = None  # RMS level of the caller's utterance, dBFS; None: unknown

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TurnRecord:
        """From a row of the call records' ``turns`` table (sentiment, interruption, reason
        and level columns optional)."""
        at = row.get("caller_started_at") or row.get("replied_at") or 0.0
        level = row.get("caller_level_db")
        return cls(at=float(at), caller_text=row.get("caller_text") or "",
                   caller_dtmf=row.get("caller_dtmf") or None,
                   reply_text=row.get("reply_text") or "", heard_text=row.get("heard_text"),
                   intent=caller_intent(row.get("intent"), row.get("reason_codes") or ()),
                   sentiment=row.get("sentiment"),
                   sentiment_label=row.get("sentiment_label"),
                   tools=[dict(t) for t in row.get("tools") or []],
                   replied_at=row.get("replied_at"),
                   interrupted=bool(row.get("interrupted")),
                   reason_codes=[str(c) for c in row.get("reason_codes") or []],
                   caller_level_db=None if level is None else float(level))


# Turns that ask for nothing of their own: the call's lines, and the rules' (a keypad menu, a
# language switch: "route" with no caller intent) and the choice after a failed transfer.
MINOR_INTENTS = frozenset({"greeting", "noise", "unclear", "chatter", "keypad", "thanks",
                           "goodbye", "injection", "off_topic", "task", "route",
                           "transfer_choice"})


def caller_intent(intent: str | None, reason_codes: Iterable[str]) -> str | None:
    """What the caller asked for in a turn: a turn the routing rules answered is labelled
    "route", and the caller's own intent is in its reason codes ("intent:human")."""
    if intent != "route":
        return intent
    return next((str(c).removeprefix("intent:") for c in reason_codes
                 if str(c).startswith("intent:")), None)


@dataclass(frozen=True)
class Briefing:
    """The handoff package; ``to_json`` / ``from_json`` carry it through the database."""

    call_sid: str
    caller_number: str
    verified: bool
    customer_id: str | None  # the verified customer; None when not verified
    # What the tools returned about the caller: id, name, tier when verified (else the
    # matched-but-unverified ``candidate_id``) and ``records``, each tool's last result.
    customer: dict[str, Any]
    language: str
    intent: str | None  # the last task (else question, else person) the caller asked for
    summary: str  # one sentence
    bullets: tuple[str, ...]  # 2 to 5 short points
    sentiment_now: float | None
    sentiment_label: str | None
    sentiment_trend: str  # improving | worsening | steady | unknown
    transcript: tuple[dict[str, Any], ...]  # {"at", "speaker": caller|agent, "text"}
    tools: tuple[dict[str, Any], ...]  # {"name", "args", "allowed", "reason", "result"}
    queue: str
    reason: str  # the transfer's reason code
    reason_text: str
    request: str  # what a person is asked to do ("Refund of $899.00 on order 551251 ...")
    suggested_next_step: str
    created_at: float
    summary_source: str = "template"  # "template" | "llm": where summary and bullets came from
    sentiment_scores: tuple[float, ...] = ()  # the caller's per-turn scores, oldest first
    frustration: float | None = None  # 0 calm .. 1 clearly frustrated; None: no caller turns
    # dialog.understanding.sentiment.REASONS, strongest first
    frustration_reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in _SEQUENCES:
            data[name] = list(data[name])
        return jsonable(data)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Briefing:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown briefing fields: {sorted(unknown)}")
        values = dict(data)
        for name in _SEQUENCES:
            values[name] = tuple(values.get(name) or ())
        try:
            return cls(**values)
        except TypeError as e:  # a field missing
            raise ValueError(f"not a briefing: {e}") from e


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (anything else as its ``str``)."""
    return json.loads(json.dumps(value, default=str))
