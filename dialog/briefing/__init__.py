"""The briefing: what the person taking a transferred call is told before anything is dialed.

When the dialog decides to transfer, the call's data becomes one ``Briefing``: who the caller
is and whether they are verified, their record as the tools returned it, the language, what
they wanted, a one-sentence summary and a few bullet points, their sentiment (per turn, now and
its trend) and how frustrated they seem and why, the transcript (the agent's side as the caller
*heard* it), every tool call with its result, why the AI is transferring, the request a person
must act on, and a suggested next step.

- ``build_briefing`` (here) is pure: the summary, bullets and next step are English template
  sentences built only from the call's intents, tool results and transfer
  (``dialog.briefing.text``, ``dialog.briefing.findings``), so a briefing exists even with no
  LLM and when the LLM is down.
- ``summarize_with_llm`` (``dialog.briefing.llm``) optionally replaces the summary and bullets
  with a model's.
- ``spoken_briefing`` (``dialog.briefing.spoken``) is what an agent reached by phone hears.
- Sentiment trend and frustration: ``dialog.briefing.mood``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dialog.briefing.findings import SILENT_TOOLS
from dialog.briefing.llm import summarize_with_llm
from dialog.briefing.mood import caller_frustration, label_of, sentiment_trend
from dialog.briefing.spoken import MAX_SPOKEN_WORDS, spoken_briefing
from dialog.briefing.text import REASON_TEXTS, Ask, bullets, next_step, reason_text, summary
from dialog.briefing.types import MINOR_INTENTS, Briefing, TurnRecord, jsonable
from dialog.state import CallState
from dialog.tools.spec import ToolOutcome
from dialog.types import Transfer

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

# Turns that say nothing about what the caller wanted.
_FALLBACK_INTENTS = ("question", "human")  # what mattered when no task did


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
        label = label_of(now_score)
    customer = _customer(state, entries)
    said = [t.caller_text.strip() for t in turns if t.caller_text.strip()]
    frustration = caller_frustration(turns, transfer.reason)
    return Briefing(
        call_sid=call_sid, caller_number=caller_number, verified=state.verified,
        customer_id=state.customer_id if state.verified else None, customer=customer,
        language=state.language, intent=intent,
        summary=summary(_who(state, customer, caller_number), asks, entries, transfer),
        bullets=tuple(bullets(state, customer, caller_number, entries, transfer, said)),
        sentiment_now=now_score, sentiment_label=label, sentiment_trend=sentiment_trend(scores),
        transcript=tuple(_transcript(turns)), tools=tuple(entries), queue=transfer.queue,
        reason=transfer.reason, reason_text=reason_text(transfer.reason),
        request=transfer.request,
        suggested_next_step=next_step(state, transfer, intent, asks, entries, said),
        created_at=now, sentiment_scores=tuple(scores),
        frustration=frustration.level if frustration else None,
        frustration_reasons=frustration.reasons if frustration else ())


def _tool_entry(call: Mapping[str, Any] | ToolOutcome) -> dict[str, Any]:
    """A tool call in the briefing's shape, from an audit row, a turn's list or an outcome."""
    if isinstance(call, ToolOutcome):
        call = {"name": call.name, "args": call.args, "allowed": call.allowed,
                "reason": call.reason, "result": call.result}
    args = call.get("args")
    return jsonable({"name": str(call.get("name") or call.get("tool") or ""),
                     "args": dict(args) if isinstance(args, Mapping) else {},
                     "allowed": bool(call.get("allowed")),
                     "reason": str(call.get("reason") or ""), "result": call.get("result")})


def _main_intent(turns: Sequence[TurnRecord]) -> str | None:
    """The last task the caller asked for; else a question; else a person."""
    intents = [t.intent for t in turns if t.intent]
    tasks = [i for i in intents if i not in MINOR_INTENTS and i not in _FALLBACK_INTENTS]
    if tasks:
        return tasks[-1]
    return next((i for i in _FALLBACK_INTENTS if i in intents), None)


def _asks(turns: Sequence[TurnRecord], entries: list[dict[str, Any]]) -> list[Ask]:
    """What the caller asked for, in order, each with the tool calls made for it.

    A turn's tools are matched to the call's tool calls by name, in order; a tool call made
    in a turn that asked for nothing new (a ZIP code, chatter) belongs to the ask before it.
    """
    tasks = {t.intent for t in turns
             if t.intent and t.intent not in MINOR_INTENTS and t.intent not in _FALLBACK_INTENTS}
    wanted = tasks or next(({i} for i in _FALLBACK_INTENTS
                            if any(t.intent == i for t in turns)), set())
    asks: list[Ask] = []
    used: set[int] = set()
    cursor = 0
    for turn in turns:
        if turn.intent in wanted and (not asks or asks[-1].intent != turn.intent):
            asks.append(Ask(turn.intent or "", turn.caller_text.strip()))
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
            asks.append(Ask("", ""))
        asks[0].entries[:0] = leftover
    return asks


def _customer(state: CallState, entries: list[dict[str, Any]]) -> dict[str, Any]:
    records: dict[str, Any] = {}
    for entry in entries:  # what the LLM path found (it keeps no facts), then the engine's
        if entry["allowed"] and isinstance(entry["result"], dict) \
                and entry["name"] not in SILENT_TOOLS:
            records[entry["name"]] = entry["result"]
    records.update(jsonable(dict(state.facts)))
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
    if records:  # what the AI looked up; nothing to show when it looked nothing up
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
    if found := (records.get("find_reservation") or {}).get("guest"):
        return str(found)
    # A business pack's HTTP tools: a "name" in a response.
    for result in records.values():
        body = result.get("body") if isinstance(result, dict) else None
        if isinstance(body, dict) and isinstance(body.get("name"), str) and body["name"]:
            return body["name"]
    return ""


def _who(state: CallState, customer: Mapping[str, Any], caller_number: str) -> str:
    if state.verified:
        name = customer.get("name")
        return f"{name} (verified)" if name else \
            f"A verified caller (customer {state.customer_id})"
    return f"An unverified caller from {caller_number}" if caller_number \
        else "An unverified caller"


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
