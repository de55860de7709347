"""Intent classification: nearest example phrases (any language), with keyword and noise checks.

A classifier serves one business: it knows that business's intents and the shared ones, from an
``IntentSet`` (config/data/intents.yaml unless told otherwise). An utterance's score for an
intent is the mean cosine of its ``top_k`` nearest examples of that intent. The best intent is
taken when it scores at least its threshold and beats the best counterweight intent (question,
chatter) by ``margin``; otherwise the utterance is that counterweight, for the knowledge to
answer. When the best intent and the runner-up are within ``margin``, the set's
``preferred_when_close`` may pick the runner-up (goodbye -> thanks). Very short utterances
("agent", "bye") are matched by keyword first, after dropping fillers ("uh", "please").
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config.intents import Action, IntentDef, IntentSet, load_intents, normalise, sample_intents
from dialog.understanding.intents import DEFAULT_INTENTS
from knowledge.encoder import SentenceEncoder

__all__ = ["Intent", "IntentClassifier", "is_noise", "normalise"]

# Nearest examples averaged per intent. Measured on tests/data/intent_utterances.yaml, the mean of
# the 2 or 3 nearest was no better than the single nearest (0.959 and 0.950 against 0.962).
DEFAULT_TOP_K = 1


@dataclass(frozen=True)
class Intent:
    name: str
    score: float  # mean cosine of the nearest examples; 1.0 for a keyword match
    action: Action
    task: str | None = None  # the task to run when action is "task"


def _strip_fillers(words: str, fillers: tuple[str, ...]) -> str:
    """Drop filler words from both ends of a normalised utterance: "uh agent please" -> "agent"."""
    changed = True
    while changed and words:
        changed = False
        for filler in fillers:
            if words == filler:
                return ""
            if words.startswith(filler + " "):
                words, changed = words[len(filler) + 1:], True
            elif words.endswith(" " + filler):
                words, changed = words[: -len(filler) - 1], True
    return words


def _noise_set(intents: IntentSet) -> frozenset[str]:
    return frozenset(normalise(text) for text in intents.noise_transcripts)


_DEFAULT_NOISE = _noise_set(DEFAULT_INTENTS)


def is_noise(text: str) -> bool:
    """Silence, a filler sound or a transcript Whisper makes up from silence (bundled list)."""
    return normalise(text) in _DEFAULT_NOISE


class IntentClassifier:
    """Read-only after build; share one per (encoder, intents file, business): ``for_encoder``."""

    _shared: weakref.WeakKeyDictionary[
        SentenceEncoder, dict[tuple[object, str], IntentClassifier]
    ] = weakref.WeakKeyDictionary()
    _shared_lock = threading.Lock()

    def __init__(
        self,
        encoder: SentenceEncoder,
        intents: IntentSet | None = None,
        business: str = "hotel",
        *,
        top_k: int = DEFAULT_TOP_K,
    ) -> None:
        if top_k < 1:
            raise ValueError("top_k must be >= 1")
        self.encoder = encoder
        self.intents = intents if intents is not None else DEFAULT_INTENTS
        self.business = business
        self.top_k = top_k
        self.threshold = self.intents.threshold
        self.margin = self.intents.margin
        self.defs: tuple[IntentDef, ...] = tuple(self.intents.for_business(business))
        self._by_name = {intent.name: intent for intent in self.defs}
        # The set guarantees at least one counterweight and one other intent per business.
        self._counterweights = [i for i, d in enumerate(self.defs) if d.action == "counterweight"]
        self._others = [i for i, d in enumerate(self.defs) if d.action != "counterweight"]
        self._thresholds = [
            self.threshold if d.threshold is None else d.threshold for d in self.defs
        ]
        self._preferred = {
            name: preferred
            for name, preferred in self.intents.preferred_when_close.items()
            if name in self._by_name and preferred in self._by_name
        }
        # All examples embedded in one batch; row ranges per intent, in ``defs`` order.
        examples = [d.all_examples() for d in self.defs]
        self._vectors = encoder.embed([text for texts in examples for text in texts])
        bounds = np.cumsum([0] + [len(texts) for texts in examples])
        self._slices = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        self._fillers = tuple(
            sorted({normalise(f) for f in self.intents.fillers} - {""}, key=len, reverse=True)
        )
        self._keywords: dict[str, IntentDef] = {}
        # Per intent, its keywords padded with spaces, to find them inside longer utterances.
        self._contained: list[tuple[str, ...]] = []
        for d in self.defs:
            words = [_strip_fillers(normalise(word), self._fillers) for word in d.all_keywords()]
            self._keywords.update((word, d) for word in words if word)
            self._contained.append(tuple(f" {word} " for word in words if word))
        self._noise = _noise_set(self.intents)

    @classmethod
    def for_encoder(
        cls,
        encoder: SentenceEncoder,
        intents: IntentSet | Path | None = None,
        business: str = "hotel",
    ) -> IntentClassifier:
        """The shared classifier for ``encoder``, these intents and ``business`` (built once).

        ``intents`` is an intents file (``DialogSettings.intents_file``), an ``IntentSet``, or
        None for the bundled file. A file is read once per encoder and business.
        """
        key: tuple[object, str]
        if intents is None:
            key = (None, business)
        elif isinstance(intents, Path):
            key = (intents.resolve(), business)
        else:
            key = (id(intents), business)  # the classifier keeps the set alive
        with cls._shared_lock:
            per_encoder = cls._shared.setdefault(encoder, {})
            classifier = per_encoder.get(key)
            if classifier is None:
                loaded = (sample_intents(load_intents(intents)) if isinstance(intents, Path)
                          else intents)
                classifier = per_encoder[key] = cls(encoder, loaded, business)
            return classifier

    def is_noise(self, text: str) -> bool:
        """``is_noise`` with this classifier's intents file."""
        return normalise(text) in self._noise

    def scores(self, text: str) -> dict[str, float]:
        """Every intent's score for ``text`` (mean cosine of its ``top_k`` nearest examples)."""
        return dict(zip((d.name for d in self.defs), self._scores(text), strict=True))

    def classify(self, text: str) -> Intent:
        words = _strip_fillers(normalise(text), self._fillers)
        keyword = self._keywords.get(words)
        if keyword is not None:
            return self._intent(keyword, 1.0)
        scores = self._scores(text)
        against = max(self._counterweights, key=scores.__getitem__)
        ranked = sorted(self._others, key=scores.__getitem__, reverse=True)
        best = ranked[0]
        score = scores[best]
        if score < self._thresholds[best] or score - scores[against] < self.margin:
            return self._intent(self.defs[against], scores[against])
        if len(ranked) > 1:
            runner = ranked[1]
            preferred = self._preferred.get(self.defs[best].name)
            close = score - scores[runner] < self.margin
            # A caller who says one of the best intent's keywords ("thanks, bye") meant it.
            if close and preferred == self.defs[runner].name and not self._says(words, best):
                return self._intent(self.defs[runner], scores[runner])
        return self._intent(self.defs[best], score)

    def _says(self, words: str, index: int) -> bool:
        """Whether the normalised utterance contains one of intent ``index``'s keywords."""
        padded = f" {words} "
        return any(keyword in padded for keyword in self._contained[index])

    def _scores(self, text: str) -> list[float]:
        similarities = self._vectors @ self.encoder.embed([text])[0]
        scores = []
        for rows in self._slices:
            values = similarities[rows]
            k = min(self.top_k, len(values))
            if k == 1:
                scores.append(float(values.max()))
            else:
                scores.append(float(np.partition(values, len(values) - k)[-k:].mean()))
        return scores

    @staticmethod
    def _intent(definition: IntentDef, score: float) -> Intent:
        return Intent(definition.name, score, definition.action, definition.task)
