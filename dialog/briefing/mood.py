"""The caller's mood in the briefing: sentiment label and trend, and frustration with its reasons.

Sentiment scores are read from the turns as given: a float in [-1, 1] (below 0 unhappy) and an
optional label ("negative", "frustrated", "neutral", "positive"...). Frustration combines the
call's signals (``dialog.understanding.sentiment.frustration``): rephrasing, talking over the AI,
asking for a person, a raised voice and a run of unhappy turns.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialog.briefing.types import TurnRecord
from dialog.understanding.sentiment import (
    Frustration,
    FrustrationSignals,
    frustration,
    raised_level,
)

__all__ = [
    "FRUSTRATION_WORDS",
    "NOTABLE_FRUSTRATION",
    "caller_frustration",
    "frustration_signals",
    "label_of",
    "sentiment_trend",
]

# Sentiment: a change of this much between the earlier and the latest turns is a trend.
_TREND_DELTA = 0.2
_NEGATIVE, _POSITIVE = -0.25, 0.25  # a score without a label: below / above is neg / pos
_NEGATIVE_LABELS = frozenset({"negative", "frustrated", "angry"})
_PERSON = "caller_asked_for_person"
_FOR_A_PERSON = frozenset({_PERSON, "keypad_operator"})  # transfer reasons: asked for one
NOTABLE_FRUSTRATION = 0.5  # from here the spoken briefing says the caller sounds frustrated
# ``dialog.understanding.sentiment.REASONS`` as a verb phrase about the caller ("they ...").
FRUSTRATION_WORDS = {
    "rephrasing": "rephrased their question",
    "talking_over": "talked over the AI",
    "asked_for_person": "asked for a person",
    "raised_voice": "raised their voice",
    "negative_streak": "sounded unhappy several turns in a row",
}


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


def label_of(score: float) -> str:
    """The label of a score that came without one."""
    return "negative" if score < _NEGATIVE else "positive" if score > _POSITIVE else "neutral"


def frustration_signals(turns: Sequence[TurnRecord], transfer_reason: str) -> FrustrationSignals:
    """The call's frustration signals, from its turns (oldest first) and why it is transferred.

    Rephrasing: each turn whose reason codes mention it (the transfer for it counts once when
    no turn says so). Talking over: replies the caller interrupted. The caller's level: their
    turns whose level is known. The streak: the latest caller turns with a sentiment, unhappy.
    """
    said = [t for t in turns if t.caller_text.strip() or t.caller_dtmf]
    rephrases = sum(1 for t in turns if any("rephras" in c for c in t.reason_codes))
    if transfer_reason == "caller_rephrased":
        rephrases = max(rephrases, 1)
    asked = transfer_reason in _FOR_A_PERSON or any(
        t.intent == "human" or f"escalate:{_PERSON}" in t.reason_codes for t in turns)
    levels = [t.caller_level_db for t in said if t.caller_level_db is not None]
    return FrustrationSignals(
        rephrases=rephrases, barge_ins=sum(1 for t in turns if t.interrupted),
        asked_for_person=asked, raised_level=raised_level(levels),
        negative_streak=_negative_streak(said))


def caller_frustration(turns: Sequence[TurnRecord], transfer_reason: str) -> Frustration | None:
    """How frustrated the caller seems and why; None when the caller said nothing."""
    if not any(t.caller_text.strip() or t.caller_dtmf for t in turns):
        return None
    found = frustration(frustration_signals(turns, transfer_reason))
    return Frustration(round(found.level, 3), found.reasons)


def _negative_streak(said: Sequence[TurnRecord]) -> int:
    streak = 0
    for turn in reversed(said):
        label = turn.sentiment_label or (
            label_of(turn.sentiment) if turn.sentiment is not None else None)
        if label is None:
            continue  # no sentiment (a keypad turn): neither breaks nor extends the run
        if label.lower() not in _NEGATIVE_LABELS:
            break
        streak += 1
    return streak
