"""The briefing's sentences: the one-sentence summary, the bullets, the suggested next step and
the transfer reason in words.

English templates filled only from the call's intents, tool results and transfer: nothing is
invented and nothing comes from a model, so these exist with no LLM and when it is down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dialog.briefing.findings import finding, needs_human, object_of, request_phrase, system_of
from dialog.state import CallState
from dialog.types import Transfer

__all__ = [
    "MAX_BULLETS",
    "MIN_BULLETS",
    "REASON_TEXTS",
    "Ask",
    "bullets",
    "next_step",
    "reason_text",
    "summary",
    "unique",
]

MAX_BULLETS = 5
MIN_BULLETS = 2
_SUMMARY_FINDINGS = 3  # tool findings per part of the summary; the rest are in the bullets
_BULLET_CHARS = 160  # a bullet quoting the caller (a refund's reason) is cut here
_QUOTE_WORDS = 12  # a caller's question quoted in the summary is cut here

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


@dataclass
class Ask:
    """One thing the caller asked for, with the tool calls made for it."""

    intent: str
    text: str  # the caller's words that started it
    entries: list[dict[str, Any]] = field(default_factory=list)


def reason_text(code: str) -> str:
    """A plain English sentence for a transfer reason code."""
    if code in REASON_TEXTS:
        return REASON_TEXTS[code]
    if code.startswith("rule:"):
        return f"The routing rule {code.split(':', 1)[1].replace('_', ' ')!r} sent the call here."
    if code.startswith("slot_not_understood:"):
        return f"The AI could not understand the caller's {_slot_words(code)}."
    return f"The AI transferred the call ({code.replace('_', ' ')})."


def _slot_words(code: str) -> str:
    slot = code.split(":", 1)[1]
    return _SLOT_WORDS.get(slot, slot)


# -- the summary ----------------------------------------------------------------------------

def summary(who: str, asks: list[Ask], entries: list[dict[str, Any]],
            transfer: Transfer) -> str:
    """One sentence: who asked what, what the AI found, and what the caller asked last."""
    if not asks:
        return f"{who} {_no_ask_phrase(transfer.reason)}."
    urgent = needs_human(entries) if transfer.reason == "needs_human" else None
    # An order looked up as part of the refund that needs approval says nothing of its own.
    skip = object_of(urgent) if urgent is not None else ""
    first = asks[0]
    # The later ask the summary names: the one a person must approve, else the last one
    # about something else than the first (asks in between are in the bullets).
    later = [a for a in asks[1:] if a.intent != first.intent]
    last = next((a for a in later if urgent is not None and urgent in a.entries),
                later[-1] if later else None)
    subject = next((object_of(e) for e in first.entries if object_of(e)), "")

    def findings(ask: Ask, it: str) -> str:
        found = unique(finding(e, it=it) for e in ask.entries
                       if not (skip and object_of(e) == skip
                               and e["name"] == "get_order_status"))
        return f", and the AI {_and(found[:_SUMMARY_FINDINGS])}" if found else ""

    parts = [f"{who} {_ask_phrase(first, transfer)}{findings(first, subject)}"]
    if last is not None:
        parts.append(f"the caller then {_ask_phrase(last, transfer)}{findings(last, '')}")
    elif urgent is not None and needs_human(first.entries) is None:
        parts.append(f"the caller then asked for {request_phrase(urgent)}, which needs a "
                     "person's approval")
    if transfer.reason == "needs_human" and urgent is None and transfer.request:
        parts.append(f"the request needs a person's approval: {transfer.request}")
    return "; ".join(parts) + "."


def _ask_phrase(ask: Ask, transfer: Transfer) -> str:
    """What the caller asked for, as a verb phrase, with its object when a tool names it."""
    urgent = needs_human(ask.entries) if transfer.reason == "needs_human" else None
    if urgent is not None:
        return f"asked for {request_phrase(urgent)}, which needs a person's approval"
    objects = [object_of(e) for e in ask.entries if object_of(e)]
    first = objects[0] if objects else ""
    intent = ask.intent
    if intent == "refund":
        refund = next((e for e in ask.entries if e["name"] == "request_refund"), None)
        if refund is not None:
            return f"asked for {request_phrase(refund)}"
        return f"asked for a refund{' on ' + first if first else ''}"
    if intent == "question" and ask.text:
        return f'asked "{_cut_words(ask.text, _QUOTE_WORDS)}"'
    phrases = {"order_status": f"asked about {first or 'an order'}",
               "report_problem": f"reported a problem{' with ' + first if first else ''}",
               "return": "asked about returning an item", "check_in": "wanted to check in",
               "reservation": f"asked about {first or 'their reservation'}",
               "late_checkout": "asked for a late check-out", "folio": "asked about their bill",
               "cancel": f"asked to cancel {first or 'their reservation'}",
               "human": "asked for a person"}
    if intent in phrases:
        return phrases[intent]
    return f"asked about {intent.replace('_', ' ')}" if intent else "called"


def _no_ask_phrase(reason: str) -> str:
    return {"keypad_operator": "pressed 0 to reach a person",
            "caller_asked_for_person": "asked for a person",
            "low_confidence_repeated": "could not be understood"}.get(reason, "called")


# -- the bullets ----------------------------------------------------------------------------

def bullets(state: CallState, customer: Mapping[str, Any], caller_number: str,
            entries: list[dict[str, Any]], transfer: Transfer, said: Sequence[str]) -> list[str]:
    """2 to ``MAX_BULLETS`` points: identity, the request, what the AI found, failures and
    the caller's last words (``said``: what the caller said, oldest first)."""
    points = [_identity_bullet(state, customer, caller_number, entries)]
    if transfer.request:
        points.append(f"Request: {_cut(transfer.request, _BULLET_CHARS)}")
    for found in unique(finding(e, detail=True) for e in entries):
        points.append(f"The AI {found}.")
    failed = [e for e in entries if e["reason"] in ("timeout", "error")]
    if len(failed) > 1:
        points.append(f"{len(failed)} back-end calls failed ("
                      f"{', '.join(sorted({e['name'] for e in failed}))}).")
    if said:
        points.append(f'Caller\'s last words: "{_cut(said[-1], _BULLET_CHARS)}"')
    points = unique(points)
    if len(points) < MIN_BULLETS:
        points.append(f"Transferred: {reason_text(transfer.reason)}")
    return points[:MAX_BULLETS]


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


# -- the next step --------------------------------------------------------------------------

def next_step(state: CallState, transfer: Transfer, intent: str | None, asks: list[Ask],
              entries: list[dict[str, Any]], said: Sequence[str]) -> str:
    """A rule per reason code: what the person should do first."""
    reason = transfer.reason
    topic = _topic(asks[-1] if asks else None)
    verify_first = "" if state.verified else "Verify the caller's identity, then "
    last_words = f'"{_cut_words(said[-1], _QUOTE_WORDS)}"' if said else ""
    fixed = {
        "verification_failed": "Verify the caller's identity before discussing the account",
        "customer_not_found": ("Find the caller's account another way (name or email); the "
                               "number they are calling from matches none"),
        "order_not_found": ("Confirm the order number with the caller; the AI could not find "
                            "it on the account"),
        "reservation_not_found": ("Confirm the confirmation number with the caller; the AI "
                                  "could not find it"),
    }
    if reason == "needs_human":
        return _approval_step(transfer, entries)
    if reason in fixed:
        return fixed[reason]
    if reason == "backend_failure":
        failed = [e for e in entries if e["reason"] in ("timeout", "error")]
        system = system_of(failed[-1]["name"]) if failed else "back-end systems"
        return f"Check the {system}; the AI could not reach it" + \
            (f", then help with {topic}" if topic else "")
    if reason.startswith("slot_not_understood:"):
        return f"Take the caller's {_slot_words(reason)} directly; the AI could not " \
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


def _approval_step(transfer: Transfer, entries: list[dict[str, Any]]) -> str:
    urgent = needs_human(entries)
    if urgent is not None and urgent["name"] == "request_refund":
        return f"Review and approve {request_phrase(urgent, 'the')}"
    if urgent is not None and urgent["name"] == "cancel_reservation":
        return f"Review {request_phrase(urgent)} and confirm it with the guest"
    return f"Review and act on the request: {_cut(transfer.request, _BULLET_CHARS)}" \
        if transfer.request else "Review the caller's request"


def _topic(ask: Ask | None) -> str:
    """The caller's business, as a noun phrase ("order 551234", "a refund")."""
    if ask is None or not ask.intent:
        return ""
    objects = [object_of(e) for e in ask.entries if object_of(e)]
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


# -- small helpers ------------------------------------------------------------------------------

def unique(items: Iterable[str | None]) -> list[str]:
    """Non-empty items, first occurrence kept, order kept."""
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


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
