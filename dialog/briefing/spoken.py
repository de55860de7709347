"""The spoken briefing: what an agent reached by phone hears before pressing 1 to accept."""

from __future__ import annotations

import re

from dialog.briefing.mood import FRUSTRATION_WORDS, NOTABLE_FRUSTRATION, label_of
from dialog.briefing.types import Briefing

__all__ = ["MAX_SPOKEN_WORDS", "spoken_briefing"]

MAX_SPOKEN_WORDS = 60  # ~25 s of speech at a telephone pace of ~2.5 words a second
_SPOKEN_REASONS = 2  # frustration reasons said at the most
_MOODS = {"negative": "unhappy", "neutral": "calm", "positive": "satisfied"}
_DIGIT_RUN = re.compile(r"(?<![\d$.,])\d{5,}(?![\d])")  # order, ZIP and phone numbers


def spoken_briefing(b: Briefing) -> str:
    """Who, the summary, the caller's mood, the reason, the keys. At most ``MAX_SPOKEN_WORDS``
    words (the summary is shortened to fit: the part about what the caller asked last is
    kept)."""
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
    """"The caller sounds unhappy, getting worse." When the caller's frustration is notable:
    "The caller sounds frustrated: they rephrased their question and raised their voice." (a
    run of unhappy turns is what "frustrated" says already, so it is not repeated)."""
    label = b.sentiment_label or (label_of(b.sentiment_now) if b.sentiment_now is not None
                                  else None)
    mood = _MOODS.get(label.lower(), label.lower().replace("_", " ")) if label else ""
    notable = b.frustration is not None and b.frustration >= NOTABLE_FRUSTRATION
    if notable and mood in ("", *_MOODS.values()):
        mood = "frustrated"
    if not mood:
        return ""
    trend = {"worsening": ", getting worse", "improving": ", improving"}.get(
        b.sentiment_trend, "")
    why = [FRUSTRATION_WORDS.get(r, r.replace("_", " ")) for r in b.frustration_reasons
           if r != "negative_streak"][:_SPOKEN_REASONS] if notable else []
    because = f": they {' and '.join(why)}" if why else ""
    return f"The caller sounds {mood}{trend}{because}."


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


def _words(text: str) -> int:
    return len(text.split())


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
