"""The briefing: what the person taking a transferred call is told before anything is dialed.

When the dialog decides to transfer, the call's data becomes one ``Briefing``: who the caller
is and whether they are verified, their record as the tools returned it, the language, what
they wanted, a one-sentence summary and a few bullet points, their sentiment and its trend, the
transcript (the agent's side as the caller *heard* it), every tool call with its result, why
the AI is transferring, the request a person must act on, and a suggested next step.

- ``build_briefing`` is pure: the summary, bullets and next step are English template
  sentences built only from the call's intents, tool results and transfer (nothing invented,
  nothing from a model), so a briefing exists even with no LLM and when the LLM is down.
- ``summarize_with_llm`` optionally replaces the summary and bullets with a model's, under a
  timeout; any failure (timeout, HTTP error, bad JSON, a figure the data does not contain)
  keeps the template ones and logs why.
- ``spoken_briefing`` is what an agent reached by phone hears before pressing 1 to accept.

Sentiment scores are read from the turns as given: a float in [-1, 1] (below 0 unhappy) and an
optional label ("negative", "frustrated", "neutral", "positive"...).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import openai
from loguru import logger

from config import LlmSettings
from dialog.grounding import unsupported_figures
from dialog.phrasing import spoken_date, spoken_time
from dialog.state import CallState
from dialog.tools import ToolOutcome
from dialog.types import Transfer
from knowledge.passages import split_sentences

__all__ = [
    "MAX_SPOKEN_WORDS",
    "REASON_TEXTS",
    "Briefing",
    "TurnRecord",
    "build_briefing",
    "reason_text",
    "sentiment_trend",
    "spoken_briefing",
    "summarize_with_llm",
]

MAX_SPOKEN_WORDS = 60  # ~25 s of speech at a telephone pace of ~2.5 words a second
MAX_BULLETS = 5
_MIN_BULLETS = 2
_SUMMARY_FINDINGS = 3  # tool findings per part of the summary; the rest are in the bullets
_BULLET_CHARS = 160  # a bullet quoting the caller (a refund's reason) is cut here
_QUOTE_WORDS = 12  # a caller's question quoted in the summary is cut here
# Sentiment: a change of this much between the earlier and the latest turns is a trend.
_TREND_DELTA = 0.2
_NEGATIVE, _POSITIVE = -0.25, 0.25  # a score without a label: below / above is neg / pos
_LLM_PAYLOAD_CHARS = 12_000  # the call's data sent to the model (oldest transcript dropped)
_LLM_MIN_TOKENS = 400  # room for a sentence and five bullets of JSON

# Why the AI transfers (``Transfer.reason``), for a person: one plain sentence per code.
REASON_TEXTS: dict[str, str] = {
    "caller_asked_for_person": "The caller asked to speak with a person.",
    "keypad_operator": "The caller pressed 0 to reach a person.",
    "needs_human": "The request needs a person's approval.",
    "verification_failed": "The caller could not be verified.",
    "backend_failure": "A back-end system did not respond.",
    "unsupported_answer": "The AI could not confirm an answer from its sources.",
    "llm_unavailable": "The AI's language model was not available.",
    "tool_rounds_exhausted": "The AI could not complete the request.",
    "low_confidence_repeated": "The AI could not understand the caller several times in a row.",
    "caller_rephrased": "The caller asked the same question several times.",
    "dialog_loop": "The AI was repeating itself.",
    "agent_transfer": "The AI decided a person should take over.",
    "customer_not_found": "No account matches the number the caller is calling from.",
    "task_unsupported": "The caller asked for something the AI cannot do by phone.",
    "order_not_found": "The AI could not find the order the caller named.",
    "reservation_not_found": "The AI could not find the reservation the caller named.",
}
_SLOT_WORDS = {"order_number": "order number", "confirmation": "confirmation number",
               "postal_code": "ZIP code", "verification": "ZIP code or card digits",
               "amount": "amount", "checkout_time": "check-out time"}
# Turns that say nothing about what the caller wanted.
_MINOR_INTENTS = frozenset({"greeting", "noise", "unclear", "chatter", "keypad", "thanks",
                            "goodbye", "injection", "off_topic", "task"})
_FALLBACK_INTENTS = ("question", "human")  # what mattered when no task did
_IDENTITY_TOOLS = frozenset({"lookup_customer", "verify_customer", "verify_guest"})
_SILENT_TOOLS = frozenset({"search_knowledge", "transfer_to_agent", "end_call"})
_SYSTEMS = {"get_order_status": "order system", "request_refund": "order system",
            "create_ticket": "ticketing system", "lookup_customer": "customer account system",
            "verify_customer": "customer account system",
            "search_knowledge": "knowledge base"}
_HOTEL_TOOLS = frozenset({"find_reservation", "verify_guest", "check_in",
                          "request_late_checkout", "get_folio", "cancel_reservation"})
_MOODS = {"negative": "unhappy", "neutral": "calm", "positive": "satisfied"}
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_DIGIT_RUN = re.compile(r"(?<![\d$.,])\d{5,}(?![\d])")  # order, ZIP and phone numbers


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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TurnRecord:
        """From a row of the call records' ``turns`` table (sentiment columns optional)."""
        at = row.get("caller_started_at") or row.get("replied_at") or 0.0
        return cls(at=float(at), caller_text=row.get("caller_text") or "",
                   caller_dtmf=row.get("caller_dtmf") or None,
                   reply_text=row.get("reply_text") or "", heard_text=row.get("heard_text"),
                   intent=row.get("intent"), sentiment=row.get("sentiment"),
                   sentiment_label=row.get("sentiment_label"),
                   tools=[dict(t) for t in row.get("tools") or []],
                   replied_at=row.get("replied_at"))


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

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("bullets", "transcript", "tools"):
            data[name] = list(data[name])
        return _jsonable(data)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Briefing:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown briefing fields: {sorted(unknown)}")
        values = dict(data)
        for name in ("bullets", "transcript", "tools"):
            values[name] = tuple(values.get(name) or ())
        try:
            return cls(**values)
        except TypeError as e:  # a field missing
            raise ValueError(f"not a briefing: {e}") from e


# -- building (pure) ----------------------------------------------------------------------------

@dataclass
class _Ask:
    """One thing the caller asked for, with the tool calls made for it."""

    intent: str
    text: str  # the caller's words that started it
    entries: list[dict[str, Any]] = field(default_factory=list)


def build_briefing(*, call_sid: str, caller_number: str, state: CallState,
                   turns: Sequence[TurnRecord],
                   tool_calls: Sequence[Mapping[str, Any] | ToolOutcome],
                   transfer: Transfer, now: float) -> Briefing:
    """The briefing of a call being transferred, from its state, turns and tool calls.

    ``tool_calls`` are the call's tool audit rows (``tool`` or ``name``, ``args``,
    ``allowed``, ``reason``, ``result``) or ``ToolOutcome``s, oldest first; when empty, the
    turns' own tool lists are used.
    """
    entries = [_tool_entry(c) for c in tool_calls] or \
        [_tool_entry(t) for turn in turns for t in turn.tools]
    asks = _asks(turns, entries)
    intent = _main_intent(turns)
    scores = [t.sentiment for t in turns if t.sentiment is not None]
    labelled = [t for t in turns if t.sentiment is not None or t.sentiment_label]
    label = labelled[-1].sentiment_label if labelled else None
    now_score = scores[-1] if scores else None
    if label is None and now_score is not None:
        label = _label_of(now_score)
    customer = _customer(state, entries)
    who = _who(state, customer, caller_number)
    request = transfer.request
    return Briefing(
        call_sid=call_sid, caller_number=caller_number, verified=state.verified,
        customer_id=state.customer_id if state.verified else None, customer=customer,
        language=state.language, intent=intent,
        summary=_summary(who, asks, entries, transfer, turns),
        bullets=tuple(_bullets(state, customer, caller_number, entries, transfer, turns)),
        sentiment_now=now_score, sentiment_label=label, sentiment_trend=sentiment_trend(scores),
        transcript=tuple(_transcript(turns)), tools=tuple(entries), queue=transfer.queue,
        reason=transfer.reason, reason_text=reason_text(transfer.reason), request=request,
        suggested_next_step=_next_step(state, transfer, intent, asks, entries, turns),
        created_at=now)


def reason_text(code: str) -> str:
    """A plain English sentence for a transfer reason code."""
    if code in REASON_TEXTS:
        return REASON_TEXTS[code]
    if code.startswith("slot_not_understood:"):
        slot = code.split(":", 1)[1]
        return f"The AI could not understand the caller's {_SLOT_WORDS.get(slot, slot)}."
    return f"The AI transferred the call ({code.replace('_', ' ')})."


def sentiment_trend(scores: Sequence[float]) -> str:
    """improving / worsening / steady from the caller's per-turn scores (oldest first):
    the latest two turns against the two before them; "unknown" with fewer than two."""
    if len(scores) < 2:
        return "unknown"
    recent = list(scores[-2:]) if len(scores) >= 3 else list(scores[-1:])
    before = list(scores[: len(scores) - len(recent)])[-2:]
    delta = sum(recent) / len(recent) - sum(before) / len(before)
    if delta >= _TREND_DELTA:
        return "improving"
    if delta <= -_TREND_DELTA:
        return "worsening"
    return "steady"


def _label_of(score: float) -> str:
    return "negative" if score < _NEGATIVE else "positive" if score > _POSITIVE else "neutral"


def _tool_entry(call: Mapping[str, Any] | ToolOutcome) -> dict[str, Any]:
    """A tool call in the briefing's shape, from an audit row, a turn's list or an outcome."""
    if isinstance(call, ToolOutcome):
        call = {"name": call.name, "args": call.args, "allowed": call.allowed,
                "reason": call.reason, "result": call.result}
    args = call.get("args")
    return _jsonable({"name": str(call.get("name") or call.get("tool") or ""),
                      "args": dict(args) if isinstance(args, Mapping) else {},
                      "allowed": bool(call.get("allowed")),
                      "reason": str(call.get("reason") or ""), "result": call.get("result")})


def _main_intent(turns: Sequence[TurnRecord]) -> str | None:
    """The last task the caller asked for; else a question; else a person."""
    intents = [t.intent for t in turns if t.intent]
    tasks = [i for i in intents if i not in _MINOR_INTENTS and i not in _FALLBACK_INTENTS]
    if tasks:
        return tasks[-1]
    return next((i for i in _FALLBACK_INTENTS if i in intents), None)


def _asks(turns: Sequence[TurnRecord], entries: list[dict[str, Any]]) -> list[_Ask]:
    """What the caller asked for, in order, each with the tool calls made for it.

    A turn's tools are matched to the call's tool calls by name, in order; a tool call made
    in a turn that asked for nothing new (a ZIP code, chatter) belongs to the ask before it.
    """
    tasks = {t.intent for t in turns
             if t.intent and t.intent not in _MINOR_INTENTS and t.intent not in _FALLBACK_INTENTS}
    wanted = tasks or next(({i} for i in _FALLBACK_INTENTS
                            if any(t.intent == i for t in turns)), set())
    asks: list[_Ask] = []
    used: set[int] = set()
    cursor = 0
    for turn in turns:
        if turn.intent in wanted and (not asks or asks[-1].intent != turn.intent):
            asks.append(_Ask(turn.intent or "", turn.caller_text.strip()))
        for tool in turn.tools:
            name = tool.get("name") or tool.get("tool")
            match = next((j for j in range(cursor, len(entries))
                          if j not in used and entries[j]["name"] == name), None)
            if match is None:
                continue
            used.add(match)
            cursor = match + 1
            if asks:
                asks[-1].entries.append(entries[match])
    leftover = [e for j, e in enumerate(entries) if j not in used]
    if leftover:  # tool calls the turns do not list: the first ask (or a bare one) has them
        if not asks:
            asks.append(_Ask("", ""))
        asks[0].entries[:0] = leftover
    return asks


def _customer(state: CallState, entries: list[dict[str, Any]]) -> dict[str, Any]:
    records: dict[str, Any] = {}
    for entry in entries:  # what the LLM path found (it keeps no facts), then the engine's
        if entry["allowed"] and isinstance(entry["result"], dict) \
                and entry["name"] not in _SILENT_TOOLS:
            records[entry["name"]] = entry["result"]
    records.update(_jsonable(dict(state.facts)))
    out: dict[str, Any] = {}
    if state.verified:
        out["id"] = state.customer_id
        name = _name(records)
        if name:
            out["name"] = name
        tier = (records.get("verify_customer") or {}).get("tier")
        if tier:
            out["tier"] = tier
    elif state.candidate_id:
        out["candidate_id"] = state.candidate_id  # matched, identity not confirmed
    out["records"] = records
    return out


def _name(records: Mapping[str, Any]) -> str:
    for tool in ("verify_customer", "lookup_customer"):
        name = (records.get(tool) or {}).get("name")
        if name:
            return str(name)
    guest = records.get("verify_guest") or {}
    if guest.get("first_name"):
        return f"{guest['first_name']} {guest.get('last_name') or ''}".strip()
    return str((records.get("find_reservation") or {}).get("guest") or "")


def _who(state: CallState, customer: Mapping[str, Any], caller_number: str) -> str:
    if state.verified:
        name = customer.get("name")
        return f"{name} (verified)" if name else \
            f"A verified caller (customer {state.customer_id})"
    return f"An unverified caller from {caller_number}" if caller_number \
        else "An unverified caller"


# -- sentences from tool results --------------------------------------------------------------

def _money(amount: Any) -> str:
    try:
        value = abs(float(amount))
    except (TypeError, ValueError):
        return str(amount)
    return f"${value:,.0f}" if value == int(value) else f"${value:,.2f}"


def _object(entry: Mapping[str, Any]) -> str:
    """What a tool call was about: "order 551234", "reservation 472913" or ""."""
    args, result = entry["args"], entry["result"] if isinstance(entry["result"], dict) else {}
    order = args.get("order_number") or result.get("order_number")
    if order:
        return f"order {order}"
    confirmation = args.get("confirmation") or result.get("confirmation")
    return f"reservation {confirmation}" if confirmation else ""


def _system(name: str) -> str:
    return _SYSTEMS.get(name) or ("reservation system" if name in _HOTEL_TOOLS
                                  else f"{name.replace('_', ' ')} system")


def _finding(entry: Mapping[str, Any], *, it: str = "", detail: bool = False) -> str | None:
    """What the AI found or did, as a verb phrase ("found order 551234 shipped with UPS"),
    from the tool's result only; None for calls the agent need not hear about. ``it``: the
    object already named (said as "it")."""
    name, reason = entry["name"], entry["reason"]
    data: dict[str, Any] = entry["result"] if isinstance(entry["result"], dict) else {}
    what = _object(entry)
    thing = "it" if what and what == it else what
    if name in _SILENT_TOOLS or reason == "needs_human":
        return None
    if reason in ("timeout", "error"):
        return f"could not reach the {_system(name)}"
    if reason == "injection":
        return "refused a request that looked like an attempt to get around the rules"
    if reason == "not_owner":
        return f"found that {what or 'the record'} is not on the caller's account"
    if reason not in ("ok", "refused_by_business") or name in _IDENTITY_TOOLS:
        return None
    if data.get("found") is False:
        return f"could not find {what or 'the record'}"
    phrase = _PHRASES.get(name)
    if phrase is not None:
        return phrase(data, entry["args"], thing or "the order", detail)
    return f"called {name.replace('_', ' ')}" + ("" if reason == "ok" else " (it declined)")


def _order_found(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if "orders" in d:
        return f"listed {len(d['orders'])} recent orders"
    status = d.get("status") or "in an unknown state"
    if status == "shipped":
        text = f"found {thing} shipped with {d.get('carrier') or 'the carrier'}"
        if detail and d.get("tracking"):
            text += f", tracking {d['tracking']}"
        if detail and d.get("eta"):
            text += f", due {spoken_date(d['eta'])}"
        return text
    text = f"found {thing} {status}"
    if detail and d.get("total") is not None:
        text += f" (total {_money(d['total'])})"
    return text


def _refund_done(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    order = d.get("order_number") or args.get("order_number") or "?"
    if d.get("refunded"):
        return f"refunded {_money(d.get('amount', args.get('amount')))} on order {order}"
    if d.get("status"):
        return f"could not refund order {order}: it is {d['status']}"
    if "refundable" in d:
        return (f"could not refund {_money(args.get('amount'))} on order {order}: only "
                f"{_money(d['refundable'])} is left to refund")
    return f"could not refund order {order}"


def _ticket(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if not d.get("ticket"):
        return "could not open a ticket"
    return f"opened ticket {d['ticket']}" if d.get("created", True) else \
        f"found ticket {d['ticket']} already open"


def _reservation(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if d.get("needs_verification"):
        return f"found a reservation arriving {spoken_date(d.get('arrival_date'))}"
    room = str(d.get("room_type") or "room").replace("_", " ")
    return (f"found reservation {d.get('confirmation') or '?'} ({room}, "
            f"{spoken_date(d.get('arrival_date'))} to {spoken_date(d.get('departure_date'))})")


def _check_in(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if d.get("checked_in"):
        return f"checked the guest in to room {d.get('room')}"
    if d.get("arrival_date"):
        return ("could not check the guest in before the arrival date, "
                f"{spoken_date(d['arrival_date'])}")
    return f"could not check the guest in: {d.get('message') or 'no reason given'}"


def _late_checkout(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    if d.get("granted"):
        return f"granted a late check-out at {spoken_time(d.get('checkout_time'))}"
    if d.get("latest"):
        return f"could not grant a check-out later than {spoken_time(d['latest'])}"
    return "could not change the check-out"


def _folio(d: dict[str, Any], args: dict[str, Any], thing: str, detail: bool) -> str:
    charges = d.get("charges") or []
    return f"read the bill: {len(charges)} charges, balance {_money(d.get('balance', 0))}"


_PHRASES = {"get_order_status": _order_found, "request_refund": _refund_done,
            "create_ticket": _ticket, "find_reservation": _reservation, "check_in": _check_in,
            "request_late_checkout": _late_checkout, "get_folio": _folio}


def _needs_human(entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((e for e in reversed(entries) if e["reason"] == "needs_human"), None)


def _request_phrase(entry: Mapping[str, Any], article: str = "a") -> str:
    """The thing a person must approve: "a refund of $899 on order 551251"."""
    args = entry["args"]
    if entry["name"] == "request_refund":
        return (f"{article} refund of {_money(args.get('amount'))} on order "
                f"{args.get('order_number')}")
    if entry["name"] == "cancel_reservation":
        return f"the cancellation of reservation {args.get('confirmation') or '?'}"
    return f"{entry['name'].replace('_', ' ')}"


def _ask_phrase(ask: _Ask, transfer: Transfer) -> str:
    """What the caller asked for, as a verb phrase, with its object when a tool names it."""
    urgent = _needs_human(ask.entries) if transfer.reason == "needs_human" else None
    if urgent is not None:
        return f"asked for {_request_phrase(urgent)}, which needs a person's approval"
    objects = [_object(e) for e in ask.entries if _object(e)]
    first = objects[0] if objects else ""
    intent = ask.intent
    if intent == "order_status":
        return f"asked about {first or 'an order'}"
    if intent == "refund":
        refund = next((e for e in ask.entries if e["name"] == "request_refund"), None)
        if refund is not None:
            return f"asked for {_request_phrase(refund)}"
        return f"asked for a refund{' on ' + first if first else ''}"
    if intent == "report_problem":
        return f"reported a problem{' with ' + first if first else ''}"
    if intent == "return":
        return "asked about returning an item"
    if intent == "check_in":
        return "wanted to check in"
    if intent == "reservation":
        return f"asked about {first or 'their reservation'}"
    if intent == "late_checkout":
        return "asked for a late check-out"
    if intent == "folio":
        return "asked about their bill"
    if intent == "cancel":
        return f"asked to cancel {first or 'their reservation'}"
    if intent == "question" and ask.text:
        return f'asked "{_cut_words(ask.text, _QUOTE_WORDS)}"'
    if intent == "human":
        return "asked for a person"
    if intent:
        return f"asked about {intent.replace('_', ' ')}"
    return "called"


def _summary(who: str, asks: list[_Ask], entries: list[dict[str, Any]], transfer: Transfer,
             turns: Sequence[TurnRecord]) -> str:
    """One sentence: who asked what, what the AI found, and what the caller asked last."""
    if not asks:
        return f"{who} {_no_ask_phrase(transfer.reason)}."
    urgent = _needs_human(entries) if transfer.reason == "needs_human" else None
    # An order looked up as part of the refund that needs approval says nothing of its own.
    skip = _object(urgent) if urgent is not None else ""
    first = asks[0]
    # The later ask the summary names: the one a person must approve, else the last one
    # about something else than the first (asks in between are in the bullets).
    later = [a for a in asks[1:] if a.intent != first.intent]
    last = next((a for a in later if urgent is not None and urgent in a.entries),
                later[-1] if later else None)
    subject = next((_object(e) for e in first.entries if _object(e)), "")

    def findings(ask: _Ask, it: str) -> str:
        found = _unique(_finding(e, it=it) for e in ask.entries
                        if not (skip and _object(e) == skip and e["name"] == "get_order_status"))
        return f", and the AI {_and(found[:_SUMMARY_FINDINGS])}" if found else ""

    parts = [f"{who} {_ask_phrase(first, transfer)}{findings(first, subject)}"]
    if last is not None:
        parts.append(f"the caller then {_ask_phrase(last, transfer)}{findings(last, '')}")
    elif urgent is not None and _needs_human(first.entries) is None:
        parts.append(f"the caller then asked for {_request_phrase(urgent)}, which needs a "
                     "person's approval")
    if transfer.reason == "needs_human" and urgent is None and transfer.request:
        parts.append(f"the request needs a person's approval: {transfer.request}")
    return "; ".join(parts) + "."


def _no_ask_phrase(reason: str) -> str:
    return {"keypad_operator": "pressed 0 to reach a person",
            "caller_asked_for_person": "asked for a person",
            "low_confidence_repeated": "could not be understood"}.get(reason, "called")


def _bullets(state: CallState, customer: Mapping[str, Any], caller_number: str,
             entries: list[dict[str, Any]], transfer: Transfer,
             turns: Sequence[TurnRecord]) -> list[str]:
    bullets = [_identity_bullet(state, customer, caller_number, entries)]
    if transfer.request:
        bullets.append(f"Request: {_cut(transfer.request, _BULLET_CHARS)}")
    for finding in _unique(_finding(e, detail=True) for e in entries):
        bullets.append(f"The AI {finding}.")
    failed = [e for e in entries if e["reason"] in ("timeout", "error")]
    if len(failed) > 1:
        bullets.append(f"{len(failed)} back-end calls failed ("
                       f"{', '.join(sorted({e['name'] for e in failed}))}).")
    said = [t.caller_text.strip() for t in turns if t.caller_text.strip()]
    if said:
        bullets.append(f'Caller\'s last words: "{_cut(said[-1], _BULLET_CHARS)}"')
    bullets = _unique(bullets)
    if len(bullets) < _MIN_BULLETS:
        bullets.append(f"Transferred: {reason_text(transfer.reason)}")
    return bullets[:MAX_BULLETS]


def _identity_bullet(state: CallState, customer: Mapping[str, Any], caller_number: str,
                     entries: list[dict[str, Any]]) -> str:
    if state.verified:
        tier = f", {customer['tier']} tier" if customer.get("tier") else ""
        name = customer.get("name") or "the caller"
        return f"Verified as {name} (customer {state.customer_id}{tier})."
    number = f" calling from {caller_number}" if caller_number else ""
    if state.verification_failures:
        tries = state.verification_failures
        return (f"Not verified{number}: {tries} failed verification "
                f"attempt{'s' if tries != 1 else ''}.")
    if state.candidate_id:
        return f"Not verified{number}; matched record {state.candidate_id}, not yet confirmed."
    lookup = next((e for e in entries if e["name"] == "lookup_customer"), None)
    if lookup is not None and isinstance(lookup["result"], dict) \
            and lookup["result"].get("found") is False:
        return f"Not verified; no account matches {caller_number or 'the caller ID'}."
    return f"Not verified{number}."


def _next_step(state: CallState, transfer: Transfer, intent: str | None, asks: list[_Ask],
               entries: list[dict[str, Any]], turns: Sequence[TurnRecord]) -> str:
    """A rule per reason code: what the person should do first."""
    reason = transfer.reason
    topic = _topic(asks[-1] if asks else None, turns)
    verify_first = "" if state.verified else "Verify the caller's identity, then "
    said = [t.caller_text.strip() for t in turns if t.caller_text.strip()]
    last_words = f'"{_cut_words(said[-1], _QUOTE_WORDS)}"' if said else ""
    if reason == "needs_human":
        urgent = _needs_human(entries)
        if urgent is not None and urgent["name"] == "request_refund":
            return f"Review and approve {_request_phrase(urgent, 'the')}"
        if urgent is not None and urgent["name"] == "cancel_reservation":
            return f"Review {_request_phrase(urgent)} and confirm it with the guest"
        return f"Review and act on the request: {_cut(transfer.request, _BULLET_CHARS)}" \
            if transfer.request else "Review the caller's request"
    if reason == "verification_failed":
        return "Verify the caller's identity before discussing the account"
    if reason == "backend_failure":
        failed = [e for e in entries if e["reason"] in ("timeout", "error")]
        system = _system(failed[-1]["name"]) if failed else "back-end systems"
        return f"Check the {system}; the AI could not reach it" + \
            (f", then help with {topic}" if topic else "")
    if reason == "customer_not_found":
        return ("Find the caller's account another way (name or email); the number they are "
                "calling from matches none")
    if reason == "order_not_found":
        return "Confirm the order number with the caller; the AI could not find it on the account"
    if reason == "reservation_not_found":
        return "Confirm the confirmation number with the caller; the AI could not find it"
    if reason.startswith("slot_not_understood:"):
        slot = reason.split(":", 1)[1]
        return f"Take the caller's {_SLOT_WORDS.get(slot, slot)} directly; the AI could not " \
            "understand it"
    if reason in ("unsupported_answer", "caller_rephrased") and last_words:
        return f"Answer the caller's question: {last_words}"
    if reason == "agent_transfer" and transfer.request:
        return _upper_first(f"{verify_first}help with: {_cut(transfer.request, _BULLET_CHARS)}")
    if reason in ("low_confidence_repeated", "dialog_loop") and not topic:
        return "Ask the caller what they need; the AI could not work it out"
    if topic:
        step = f"help the caller with {topic}"
        needs_identity = intent not in (None, "question", "human", "return")
        return _upper_first(verify_first + step if needs_identity else step)
    return "Ask the caller how you can help"


def _topic(ask: _Ask | None, turns: Sequence[TurnRecord]) -> str:
    """The caller's business, as a noun phrase ("order 551234", "a refund")."""
    if ask is None or not ask.intent:
        return ""
    objects = [_object(e) for e in ask.entries if _object(e)]
    nouns = {"order_status": objects[0] if objects else "an order",
             "refund": "a refund" + (f" on {objects[0]}" if objects else ""),
             "report_problem": "a problem" + (f" with {objects[0]}" if objects else ""),
             "return": "a return", "check_in": "check-in",
             "reservation": objects[0] if objects else "their reservation",
             "late_checkout": "a late check-out", "folio": "their bill",
             "cancel": "a cancellation", "human": ""}
    if ask.intent == "question":
        return f'their question "{_cut_words(ask.text, _QUOTE_WORDS)}"' if ask.text else ""
    return nouns.get(ask.intent, ask.intent.replace("_", " "))


def _transcript(turns: Sequence[TurnRecord]) -> list[dict[str, Any]]:
    """Both sides in order; the agent's side is what the caller heard when that is known."""
    out: list[dict[str, Any]] = []
    for turn in turns:
        if turn.caller_dtmf:
            out.append({"at": turn.at, "speaker": "caller",
                        "text": f"[keypad] {' '.join(turn.caller_dtmf)}"})
        elif turn.caller_text.strip():
            out.append({"at": turn.at, "speaker": "caller", "text": turn.caller_text.strip()})
        text = _heard(turn)
        if text:
            at = turn.replied_at if turn.replied_at is not None else turn.at
            out.append({"at": at, "speaker": "agent", "text": text})
    return out


def _heard(turn: TurnRecord) -> str:
    reply = " ".join(turn.reply_text.split())
    if turn.heard_text is None:
        return reply
    heard = " ".join(turn.heard_text.split())
    if heard and heard != reply and len(heard) < len(reply):
        return f"{heard} [interrupted]"  # the caller barged in: the rest was not heard
    return heard  # "" when the caller heard none of it: nothing to show


# -- the model's summary ------------------------------------------------------------------------

_SYSTEM_PROMPT = (
    "You write the briefing a support agent reads before taking over a phone call that an AI "
    "agent is transferring to them. Use only facts in the call data you are given; never add "
    "a name, number, date, amount or outcome that is not in it. Answer with JSON only, no "
    'other text: {"summary": "<one sentence, at most 40 words: who the caller is, what they '
    'wanted, what the AI found or did>", "bullets": ["<2 to 5 short points the agent needs>"]}'
    ". Write in English."
)


async def summarize_with_llm(client: openai.AsyncOpenAI, settings: LlmSettings,
                             briefing: Briefing, *, timeout_seconds: float = 4.0) -> Briefing:
    """``briefing`` with the model's summary and bullets; unchanged (the template's) when the
    model does not answer within ``timeout_seconds``, fails, or answers something unusable.
    Never raises: a transfer must not wait on, or fail because of, its briefing."""
    payload = _llm_payload(briefing)
    why = ""
    try:
        async with asyncio.timeout(timeout_seconds):
            text = await _complete(client, settings, payload)
        summary, bullets = _parse_answer(text, payload, briefing)
    except TimeoutError:
        why = f"no answer within {timeout_seconds:g} s"
    except openai.OpenAIError as e:
        why = f"{type(e).__name__}: {e}"
    except ValueError as e:  # bad JSON, wrong shape, an invented figure
        why = str(e)
    except Exception as e:  # anything else: still never in the way of the transfer
        logger.exception("briefing summary failed for call {}", briefing.call_sid or "-")
        why = f"{type(e).__name__}: {e}"
    if why:
        logger.warning("briefing for call {}: LLM summary not used ({}); template kept",
                       briefing.call_sid or "-", why[:300])
        return briefing
    return replace(briefing, summary=summary, bullets=bullets, summary_source="llm")


async def _complete(client: openai.AsyncOpenAI, settings: LlmSettings, payload: str) -> str:
    """One chat completion, streamed (what every OpenAI-compatible server supports) and
    joined."""
    stream = await client.chat.completions.create(
        model=settings.model, stream=True, temperature=settings.temperature,
        max_tokens=max(settings.max_tokens, _LLM_MIN_TOKENS),
        messages=[{"role": "system", "content": _SYSTEM_PROMPT},
                  {"role": "user", "content": payload}])
    parts: list[str] = []
    try:
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
    finally:
        await stream.close()  # on a timeout too: the connection goes back to the pool
    return "".join(parts)


def _llm_payload(b: Briefing) -> str:
    """The call's data for the model, as JSON, at most ``_LLM_PAYLOAD_CHARS`` (the oldest
    transcript lines go first)."""
    customer = {k: v for k, v in b.customer.items() if k != "records"}
    transcript = [{"speaker": t["speaker"], "text": t["text"]} for t in b.transcript]
    tools = [{k: t[k] for k in ("name", "args", "allowed", "reason", "result")}
             for t in b.tools if t["name"] not in _SILENT_TOOLS]
    while True:
        data = {"caller_number": b.caller_number, "verified": b.verified,
                "customer": customer, "language": b.language, "intent": b.intent,
                "transfer_reason": b.reason_text, "request": b.request,
                "sentiment": b.sentiment_label, "tools": tools, "transcript": transcript}
        text = json.dumps(data, ensure_ascii=False, default=str)
        if len(text) <= _LLM_PAYLOAD_CHARS or not (transcript or tools):
            return text[:_LLM_PAYLOAD_CHARS * 2]
        if transcript:
            transcript = transcript[1:]
        else:
            tools = tools[1:]


def _parse_answer(text: str, evidence: str, briefing: Briefing) -> tuple[str, tuple[str, ...]]:
    """The summary (its first sentence) and 2-5 bullets; ValueError for anything unusable."""
    start, end = text.find("{"), text.rfind("}")  # models like to wrap JSON in ``` fences
    if start < 0 or end < start:
        raise ValueError(f"answer is not JSON: {text[:120]!r}")
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError as e:
        raise ValueError(f"answer is not JSON: {e}") from e
    summary = data.get("summary") if isinstance(data, dict) else None
    bullets = data.get("bullets") if isinstance(data, dict) else None
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError("answer has no summary")
    if not isinstance(bullets, list) or not all(isinstance(x, str) for x in bullets):
        raise ValueError("answer's bullets are not a list of strings")
    sentences = split_sentences(" ".join(summary.split()))
    summary = sentences[0] if sentences else summary.strip()
    points = _unique(" ".join(x.split()) for x in bullets if x.strip())[:MAX_BULLETS]
    for extra in briefing.bullets:  # too few: the template's fill in
        if len(points) >= _MIN_BULLETS:
            break
        if extra not in points:
            points.append(extra)
    # Dates as the model may write them ("Friday, June 6") count as the ISO ones they are.
    spoken = [_spoken_iso(iso) for iso in set(_ISO_DATE.findall(evidence))]
    invented = unsupported_figures(" ".join([summary, *points]), [evidence, *spoken])
    if invented:
        raise ValueError(f"answer has figures the call data does not: {invented}")
    return summary, tuple(points)


def _spoken_iso(iso: str) -> str:
    try:
        return spoken_date(iso)
    except ValueError:  # not a real date: nothing to add
        return ""


# -- the spoken briefing --------------------------------------------------------------------

def spoken_briefing(b: Briefing) -> str:
    """What an agent reached by phone hears before accepting: who, the summary, the caller's
    mood, the reason, the keys. At most ``MAX_SPOKEN_WORDS`` words (the summary is shortened
    to fit: the part about what the caller asked last is kept)."""
    name = b.customer.get("name")
    intro = f"Incoming transfer from {name}, verified." if b.verified and name else \
        "Incoming transfer from a verified caller." if b.verified else \
        "Incoming transfer from an unverified caller."
    mood = _mood_sentence(b)
    reason = f"Reason: {_lower_first(b.reason_text.rstrip('.'))}."
    keys = "Press 1 to accept, 2 to decline."
    fixed = [intro, mood, reason, keys]
    budget = MAX_SPOKEN_WORDS - sum(_words(s) for s in fixed)
    summary = _fit(_speakable(b.summary), budget)
    return " ".join(s for s in [intro, summary, mood, reason, keys] if s)


def _mood_sentence(b: Briefing) -> str:
    label = b.sentiment_label or (_label_of(b.sentiment_now) if b.sentiment_now is not None
                                  else None)
    if not label:
        return ""
    mood = _MOODS.get(label.lower(), label.lower().replace("_", " "))
    trend = {"worsening": ", getting worse", "improving": ", improving"}.get(
        b.sentiment_trend, "")
    return f"The caller sounds {mood}{trend}."


def _speakable(text: str) -> str:
    """The summary for the ear: no "(verified)" asides, long numbers read digit by digit."""
    text = re.sub(r"\s*\((?:not )?verified\)", "", text)
    return _DIGIT_RUN.sub(lambda m: " ".join(m.group()), " ".join(text.split()))


def _fit(summary: str, budget: int) -> str:
    """``summary`` in at most ``budget`` words: whole, else its last part ("the caller then
    asked..."), else cut."""
    if budget <= 0 or not summary:
        return ""
    if _words(summary) <= budget:
        return summary
    last = summary.rstrip(".").split("; ")[-1]
    last = re.sub(r"^the caller then ", "the caller ", last)
    last = last[:1].upper() + last[1:] + "."
    if _words(last) <= budget:
        return last
    words = summary.split()[:budget]
    return " ".join(words).rstrip(",;:") + "..."


# -- small helpers ------------------------------------------------------------------------------

def _words(text: str) -> int:
    return len(text.split())


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def _cut_words(text: str, limit: int) -> str:
    words = text.split()
    return " ".join(words) if len(words) <= limit else " ".join(words[:limit]) + "..."


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _unique(items: Any) -> list[str]:
    """Non-empty items, first occurrence kept, order kept."""
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
