"""Intent classification: nearest example phrases (any language), with keyword and noise checks.

An utterance takes an intent (human, goodbye, thanks) when its nearest example of that intent
scores at least ``threshold`` and beats the nearest counterweight example (question, chatter) by
``margin``; otherwise it is a question or chatter, for the knowledge to answer. When two intents
are within ``margin`` of each other, ``PREFERRED_WHEN_CLOSE`` picks the one that keeps the call
going. Very short utterances ("agent", "bye") are matched by keyword first.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from dialog.intents import (
    COUNTERWEIGHTS,
    INTENT_EXAMPLES,
    KEYWORDS,
    NOISE_TRANSCRIPTS,
    PREFERRED_WHEN_CLOSE,
)
from knowledge.encoder import SentenceEncoder

__all__ = ["Intent", "IntentClassifier", "is_noise", "normalise"]

_NOT_WORD = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class Intent:
    name: str
    score: float  # cosine of the nearest example; 1.0 for a keyword match


def normalise(text: str) -> str:
    """Lower-case words without punctuation: "Agent!" -> "agent", "That's all." -> "thats all"."""
    return " ".join(_NOT_WORD.sub("", text.lower()).split())


_NOISE = frozenset(normalise(t) for t in NOISE_TRANSCRIPTS)


def is_noise(text: str) -> bool:
    """Silence, a filler sound or a transcript Whisper makes up from silence."""
    return normalise(text) in _NOISE


class IntentClassifier:
    """Read-only after build; share one per encoder (``for_encoder``)."""

    _shared: weakref.WeakKeyDictionary[SentenceEncoder, IntentClassifier] = (
        weakref.WeakKeyDictionary()
    )
    _shared_lock = threading.Lock()

    def __init__(
        self,
        encoder: SentenceEncoder,
        examples: Mapping[str, tuple[str, ...]] = INTENT_EXAMPLES,
        *,
        threshold: float = 0.5,
        margin: float = 0.08,
    ) -> None:
        if not set(COUNTERWEIGHTS) <= set(examples) or len(examples) < len(COUNTERWEIGHTS) + 2:
            raise ValueError(f"examples need {COUNTERWEIGHTS} and at least two other intents")
        self.encoder = encoder
        self.threshold = threshold
        self.margin = margin
        self._names = tuple(examples)
        labels = [i for i, name in enumerate(self._names) for _ in examples[name]]
        self._labels = np.array(labels)
        self._vectors = encoder.embed([t for name in self._names for t in examples[name]])
        self._keywords = {
            normalise(word): name for name, words in KEYWORDS.items() for word in words
        }

    @classmethod
    def for_encoder(cls, encoder: SentenceEncoder) -> IntentClassifier:
        """The classifier with the default examples for ``encoder``, built on first use."""
        with cls._shared_lock:
            classifier = cls._shared.get(encoder)
            if classifier is None:
                classifier = cls._shared[encoder] = cls(encoder)
            return classifier

    def classify(self, text: str) -> Intent:
        words = normalise(text)
        if words in self._keywords:
            return Intent(self._keywords[words], 1.0)
        similarities = self._vectors @ self.encoder.embed([text])[0]
        best = np.full(len(self._names), -1.0, dtype=np.float32)
        np.maximum.at(best, self._labels, similarities)
        scores = dict(zip(self._names, best.tolist(), strict=True))
        against = max((scores.pop(name), name) for name in COUNTERWEIGHTS)
        (score, name), (runner_score, runner) = sorted(
            ((score, name) for name, score in scores.items()), reverse=True
        )[:2]
        if score < self.threshold or score - against[0] < self.margin:
            return Intent(against[1], against[0])
        if score - runner_score < self.margin and PREFERRED_WHEN_CLOSE.get(name) == runner:
            return Intent(runner, runner_score)
        return Intent(name, score)
