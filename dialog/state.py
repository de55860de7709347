"""Per-call dialog state: who the caller is, what has been verified, and the escalation signals.

One ``CallState`` per call, owned by the dialog engine of that call. Tools never change it
directly: they return a ``ToolResult`` and the registry applies identity changes, so only a
verification tool can make a caller verified. It serialises to JSON so that
``frontdesk try --session FILE`` can carry it from one turn to the next, and a handoff stores
it so that a caller back from a transfer no agent took resumes with it.

A task's progress is a ``TaskProgress``; state stored before it existed (the progress as
``slots`` strings, bookkeeping under keys starting with "_") still loads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["CallState", "TaskProgress"]


@dataclass
class TaskProgress:
    """How far the embedded engine's task in progress has got (empty when there is none)."""

    values: dict[str, str] = field(default_factory=dict)  # the values collected, by slot name
    awaiting: str | None = None  # the slot whose question was just asked
    misses: int = 0  # misses of that slot in a row
    search_misses: int = 0  # searches by other values (a name and a date) that found nothing
    asked_instead: bool = False  # the caller was asked for other values instead (a name)
    request: str = ""  # what the caller said to start the task (a ticket's, a refund's reason)
    intent: str = ""  # the intent that started the task (each of its replies carries it)
    checked: bool = False  # the value acted on was found on the caller's account (an order)
    partial: str = ""  # the first digits of a number the caller paused in the middle of
    record: str = ""  # the record whose details the task has read (kept in ``facts``)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskProgress:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown task progress fields: {sorted(unknown)}")
        return cls(**{**data, "values": dict(data.get("values", {}))})

    @classmethod
    def from_slots(cls, slots: dict[str, str]) -> TaskProgress:
        """The progress stored by earlier versions as strings: slot values under their names,
        bookkeeping under keys starting with "_" (unknown ones are dropped)."""
        return cls(
            values={k: v for k, v in slots.items() if not k.startswith("_")},
            awaiting=slots.get("_awaiting"),
            misses=int(slots.get("_misses", "0")),
            search_misses=int(slots.get("_name_misses", "0")),
            asked_instead="_name_asked" in slots,
            request=slots.get("_request", ""),
            intent=slots.get("_intent", ""),
            checked="_order_checked" in slots,
            partial=slots.get("_partial", ""),
            record=slots.get("_stay", ""),
        )


@dataclass
class CallState:
    business: str  # "hotel" | "support": which sample business's tools and data apply
    caller_number: str = ""  # E.164 From of the call (Twilio's caller ID), "" when unknown
    called_number: str = ""  # E.164 To: the business's number the caller dialled
    call_sid: str = ""
    language: str = "en"
    # The record the caller has been matched to but not yet verified (a reservation id for the
    # hotel, a customer id for the support line). Set by a lookup tool.
    candidate_id: str | None = None
    # The verified customer (guest id / customer id). Set only by a verification tool; every
    # tool acts on this customer's records whatever the model puts in the arguments.
    customer_id: str | None = None
    verified: bool = False
    verification_failures: int = 0
    # Embedded engine: the task in progress and how far it has got.
    task: str | None = None
    progress: TaskProgress = field(default_factory=TaskProgress)
    # Escalation signals.
    low_confidence_streak: int = 0
    tool_failures: int = 0
    recent_questions: list[str] = field(default_factory=list)  # newest last, a few kept
    recent_replies: list[str] = field(default_factory=list)  # newest last, a few kept
    # What the embedded engine or the LLM has been told and found, for the briefing/handoff.
    facts: dict[str, Any] = field(default_factory=dict)
    # Routing: the rules version the call started with (kept for the whole call), and the keypad
    # menu the caller is at (None: the rules' entry menu).
    rules_version: int | None = None
    menu: str | None = None
    # The tools the current route lets the AI use (None: all of the business's); set when a
    # turn is routed, kept through the task it starts.
    allowed_tools: list[str] | None = None
    # Back from a transfer no agent took: the options offered ("callback", "next_agent") and
    # how many times the caller was asked; None when no choice is pending.
    pending_choice: list[str] | None = None
    choice_asked: int = 0
    # Past exchanges (caller, agent) kept for `frontdesk try`; live calls take theirs from
    # the pipeline's context (cut to what the caller heard).
    history: list[tuple[str, str]] = field(default_factory=list)

    def remember(self, kind: str, text: str, keep: int = 4) -> None:
        """Append ``text`` to ``recent_questions`` or ``recent_replies``, keeping ``keep``."""
        items: list[str] = getattr(self, f"recent_{kind}")
        items.append(text)
        del items[:-keep]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, text: str) -> CallState:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        data = dict(data)
        if "slots" in data and "progress" not in data:  # stored before ``TaskProgress``
            data["progress"] = TaskProgress.from_slots(data.pop("slots"))
        elif isinstance(data.get("progress"), dict):
            data["progress"] = TaskProgress.from_dict(data["progress"])
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown session fields: {sorted(unknown)}")
        data["history"] = [tuple(pair) for pair in data.get("history", [])]
        return cls(**data)
