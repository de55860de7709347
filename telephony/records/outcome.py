"""What a call came to: its outcome, decided from its records when it ends.

``decide_outcome`` and ``repeat_of`` are pure; ``settle_outcome`` reads the records, decides and
stores.

Outcomes:
    resolved      the AI answered and the caller was done (said goodbye, or hung up after an
                  answer): ``answered`` / ``goodbye``
    transferred   a person took the call: ``warm:<queue>`` (the agent joined), ``cold:<queue>``
                  (Twilio dialled the queue; whether someone answered is Twilio's to know)
    callback      no person was free: the caller asked to be called back (or left before
                  choosing, and is called back): ``callback:<queue>``
    abandoned     the caller hung up first; ``where``: ``greeting`` (before saying anything),
                  ``hold`` (waiting for an agent), ``task:<name>`` (in the middle of a task),
                  ``unanswered`` (after a turn the agent did not understand), ``silence``
    failed        the call broke; ``where``: ``tool:<name>`` (the back end failed in the last
                  turn), ``error``, ``protocol_errors``, ``server_lost``, ``no_stream``,
                  ``server_shutdown``, ``idle_timeout``
None while a transfer is still in progress (the agent is ringing): decided again when it settles.

A call is resolved at first contact unless the same number calls again within the repeat
window (``repeat_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from telephony.records.store import Records

__all__ = ["OUTCOMES", "Outcome", "decide_outcome", "repeat_of", "settle_outcome"]

OUTCOMES = ("resolved", "transferred", "callback", "abandoned", "failed")
_IN_PROGRESS = frozenset({"pending", "dialing", "briefing", "accepted", "returned", "offered"})
_MISSES = frozenset({"low_confidence", "noise", "injection_detected", "choice:unclear"})
_FAILURES = frozenset({"error", "protocol_errors", "server_lost", "no_stream",
                       "server_shutdown", "idle_timeout"})


@dataclass(frozen=True)
class Outcome:
    outcome: str  # one of OUTCOMES
    reason: str  # why, e.g. "warm:front_desk", "task:check_in", "tool:get_order_status"


def decide_outcome(call: Mapping[str, Any], turns: Sequence[Mapping[str, Any]],
                   handoffs: Sequence[Mapping[str, Any]]) -> Outcome | None:
    """The outcome of an ended call from its row (``end_reason``), its turns (in order) and its
    handoffs; None while it has not ended or a transfer is under way."""
    end = str(call.get("end_reason") or "")
    if not call.get("ended_at"):
        return None
    statuses = [str(h["status"]) for h in handoffs]
    by_status = {str(h["status"]): h for h in handoffs}
    if any(s in _IN_PROGRESS for s in statuses):
        return None
    for status in ("connected", "completed"):
        if status in by_status:
            return Outcome("transferred", f"warm:{by_status[status]['queue']}")
    if "callback" in by_status:
        return Outcome("callback", f"callback:{by_status['callback']['queue']}")
    if "abandoned" in by_status:
        return Outcome("abandoned", "hold")
    kind, _, detail = end.partition(":")
    if kind == "transferred":
        return Outcome("transferred", f"cold:{detail}")
    if kind in _FAILURES:
        return Outcome("failed", kind)
    if kind == "caller_silent":
        return Outcome("abandoned", "silence")
    spoken = [t for t in turns if t.get("intent") != "greeting"]
    if kind == "agent_hung_up":
        return Outcome("resolved", "goodbye")
    if not spoken:
        return Outcome("abandoned", "greeting")
    last = spoken[-1]
    failed = [t["name"] for t in last.get("tools") or () if t.get("reason") in ("error", "timeout")]
    if failed:
        return Outcome("failed", f"tool:{failed[-1]}")
    codes = set(last.get("reason_codes") or ())
    task = next((c.removeprefix("task:") for c in codes
                 if c.startswith("task:") and c != "task:done"), None)
    if task is not None:
        return Outcome("abandoned", f"task:{task}")
    if codes & _MISSES:
        return Outcome("abandoned", "unanswered")
    return Outcome("resolved", "answered")


def repeat_of(call: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]],
              window_seconds: float) -> str | None:
    """The call this one repeats: the latest earlier call from the same number that started
    within ``window_seconds`` before it (None: a first contact)."""
    number = call.get("from_number")
    if not number:
        return None
    started = float(call["started_at"])
    candidates = [c for c in earlier if c.get("from_number") == number
                  and c["call_sid"] != call["call_sid"]
                  and started - window_seconds <= float(c["started_at"]) < started]
    if not candidates:
        return None
    return str(max(candidates, key=lambda c: float(c["started_at"]))["call_sid"])


class _Handoffs(Protocol):
    def for_call(self, call_sid: str) -> list[dict[str, Any]]: ...


def settle_outcome(records: Records, handoffs: _Handoffs, call_sid: str, *,
                   repeat_window_seconds: float,
                   decided: Callable[[Outcome, dict[str, Any]], None] | None = None,
                   ) -> Outcome | None:
    """Decide the call's outcome from its records and store it (blocking: run it in a thread
    or the call's record writer). The first time a call is decided, ``decided`` is told its
    outcome and the call's record (with it), and an earlier call from the same number within
    the window is marked repeated."""
    call = records.call(call_sid)
    if call is None:
        return None
    outcome = decide_outcome(call, call["turns"], handoffs.for_call(call_sid))
    if outcome is None:
        return None
    before = records.set_outcome(call_sid, outcome.outcome, outcome.reason)
    if before is None:
        if decided is not None:
            decided(outcome, {**call, "outcome": outcome.outcome,
                              "outcome_reason": outcome.reason})
        number = call.get("from_number")
        if number and repeat_window_seconds > 0:
            started = float(call["started_at"])
            earlier = records.calls_from(number, since=started - repeat_window_seconds,
                                         before=started)
            repeated = repeat_of(call, earlier, repeat_window_seconds)
            if repeated is not None:
                records.mark_repeated(repeated, call_sid)
    return outcome
