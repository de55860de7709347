"""When the dialog hands a caller to a person: pure decisions over the call's signals.

Each signal has a threshold in ``EscalationSettings`` and a reason code that the transfer,
the call record and the briefing carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from config import EscalationSettings

__all__ = [
    "ASKED_FOR_PERSON",
    "BACKEND_FAILURE",
    "DIALOG_LOOP",
    "LOW_CONFIDENCE",
    "REPHRASED",
    "VERIFICATION_FAILED",
    "Signals",
    "escalation_reason",
    "rephrase_count",
    "repeat_count",
]

ASKED_FOR_PERSON = "caller_asked_for_person"
LOW_CONFIDENCE = "low_confidence_repeated"
REPHRASED = "caller_rephrased"
BACKEND_FAILURE = "backend_failure"
DIALOG_LOOP = "dialog_loop"
VERIFICATION_FAILED = "verification_failed"


@dataclass(frozen=True)
class Signals:
    asked_for_person: bool = False
    low_confidence_streak: int = 0  # turns in a row understood with low confidence
    rephrases: int = 0  # times the caller has now asked the same thing (1 = first time)
    tool_failures: int = 0  # back-end failures (timeouts, errors) in this call
    repeated_replies: int = 0  # times the agent has now given the same reply
    verification_failures: int = 0


def escalation_reason(signals: Signals, settings: EscalationSettings) -> str | None:
    """The reason code to transfer for, or None to carry on; the first that applies wins."""
    if signals.asked_for_person:
        return ASKED_FOR_PERSON
    if signals.tool_failures >= settings.tool_failures:
        return BACKEND_FAILURE
    if signals.verification_failures >= settings.verification_attempts:
        return VERIFICATION_FAILED
    if signals.low_confidence_streak >= settings.low_confidence_turns:
        return LOW_CONFIDENCE
    if signals.rephrases >= settings.rephrase_turns:
        return REPHRASED
    if signals.repeated_replies >= settings.loop_turns:
        return DIALOG_LOOP
    return None


def rephrase_count(new: np.ndarray, earlier: Sequence[np.ndarray], similarity: float) -> int:
    """How many times the caller has now asked this (1 + the run of similar previous asks).

    ``new`` and ``earlier`` are L2-normalised sentence embeddings, ``earlier`` oldest first.
    """
    count = 1
    for vector in reversed(earlier):
        if float(vector @ new) < similarity:
            break
        count += 1
    return count


def repeat_count(reply: str, earlier: Sequence[str]) -> int:
    """How many times in a row the agent has now said ``reply`` (compared case-insensitively)."""
    key = " ".join(reply.lower().split())
    count = 1
    for text in reversed(earlier):
        if " ".join(text.lower().split()) != key:
            break
        count += 1
    return count
