"""One caller turn routed under a rules version, built the same way for the shadow evaluation
(``dialog.routing.commands.evaluate``) and the admin console's dry run.

``turn_context`` makes the ``RouteContext`` from what was said or pressed; ``Understanding``
holds the intent classifier and the sentiment analyzer for a rules version; ``dry_run`` routes
one turn as a live call would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from config.intents import IntentSet, sample_intents
from config.rules import Rules
from dialog.routing.evaluate import RouteContext, RouteDecision, language_keys, route

__all__ = ["Classify", "Measure", "Understanding", "dry_run", "turn_context"]


class _Intent(Protocol):
    """What ``evaluate`` needs of ``dialog.understanding.classifier.Intent``."""

    @property
    def name(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def action(self) -> str: ...


Classify = Callable[[str], _Intent]
Measure = Callable[[str, str], float]  # (text, language) -> sentiment score


def turn_context(rules: Rules, *, when: datetime, language: str, classify: Classify,
                 measure: Measure, text: str | None = None, keypad: str | None = None,
                 menu: str | None = None, tier: str | None = None, failed_turns: int = 0,
                 sentiment: float | None = None) -> tuple[RouteContext, dict[str, Any]]:
    """The ``RouteContext`` of one caller turn, and what was heard (intent, confidence,
    sentiment): the shadow evaluation's and the admin's dry run's one way to build it.

    ``when`` without a zone is the business's local time. Keypad input (``keypad``; "" : timed
    out) is at ``menu`` (default: the entry menu) and is not classified; ``text`` is, and its
    sentiment is measured unless ``sentiment`` is given.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(rules.business.timezone))
    seen: dict[str, Any] = {}
    if keypad is not None:
        return RouteContext(now=when, language=language, tier=tier, sentiment=sentiment,
                            failed_turns=failed_turns, menu=menu or rules.business.menu,
                            digits=keypad), seen
    assert text is not None, "give text or keypad"
    intent = classify(text)
    sentiment = sentiment if sentiment is not None else measure(text, language)
    seen.update(intent=intent.name, confidence=round(float(intent.score), 3),
                sentiment=round(sentiment, 3))
    return RouteContext(now=when, language=language, intent=intent.name,
                        confidence=float(intent.score), intent_action=str(intent.action),
                        tier=tier, sentiment=sentiment, failed_turns=failed_turns,
                        menu=menu), seen



class Understanding:
    """How a caller's words are understood under a rules version: the intent classifier built
    from the catalogue with that version's intent overrides, and the sentiment analyzer.

    One per process (it holds the encoder); classifiers are built once per distinct set of
    overrides (about 60 ms for the hotel's) and kept, the last ``keep`` of them. Thread-safe.
    """

    def __init__(self, encoder: Any, catalogue: IntentSet | None = None, *,
                 keep: int = 8) -> None:
        self.encoder = encoder
        self.catalogue = catalogue if catalogue is not None else sample_intents()
        self.keep = keep
        self._classifiers: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def classifier(self, rules: Rules) -> Any:
        """The ``IntentClassifier`` for ``rules``' business kind and intent overrides."""
        from dialog.understanding.classifier import IntentClassifier

        overrides = json.dumps({name: o.model_dump(mode="json")
                                for name, o in rules.intents.items()}, sort_keys=True)
        key = (rules.business.kind, overrides)
        with self._lock:
            found = self._classifiers.get(key)
            if found is None:
                found = IntentClassifier(self.encoder, rules.intent_set(self.catalogue),
                                         rules.business.kind)
                while len(self._classifiers) >= self.keep:
                    self._classifiers.pop(next(iter(self._classifiers)))
                self._classifiers[key] = found
            return found

    def classify(self, rules: Rules, text: str) -> _Intent:
        return self.classifier(rules).classify(text)  # type: ignore[no-any-return]

    def measure(self, text: str, language: str) -> float:
        from dialog.understanding.sentiment import SentimentAnalyzer

        return SentimentAnalyzer.for_encoder(self.encoder).analyze(text, language).score


def dry_run(rules: Rules, understanding: Understanding | None, *, when: datetime,
            language: str = "", text: str | None = None, keypad: str | None = None,
            menu: str | None = None, caller: str | None = None, record_tier: str | None = None,
            failed_turns: int = 0, sentiment: float | None = None) -> dict[str, Any]:
    """One turn through ``route`` as a live call would take it: the decision, its reasons, and
    what was heard. ``caller`` (and the customer record's tier) give the caller's tier.
    ``understanding`` may be None for keypad input (nothing is classified)."""
    if text is not None and understanding is None:
        raise ValueError("a dry run of what the caller says needs an Understanding")
    language = language or rules.business.default_language
    tier = rules.tier_for(caller, record_tier)
    context, seen = turn_context(
        rules, when=when, language=language, text=text, keypad=keypad, menu=menu, tier=tier,
        failed_turns=failed_turns, sentiment=sentiment,
        classify=lambda said: understanding.classify(rules, said),  # type: ignore[union-attr]
        measure=lambda said, lang: understanding.measure(said, lang))  # type: ignore[union-attr]
    decision = route(rules, context)
    if keypad and (switch := language_keys(rules).get(keypad)):
        # A language key, as a live call takes it before any menu option: the call switches
        # language and the menu the caller is at is said again in it.
        decision = RouteDecision("language", (f"language_key:{switch}",),  # type: ignore[arg-type]
                                 menu=context.menu, local_time=decision.local_time)
    return {"decision": decision.as_dict(), "reasons": list(decision.reasons),
            "intent": seen.get("intent"), "confidence": seen.get("confidence"),
            "sentiment": seen.get("sentiment", sentiment), "tier": tier,
            "language": context.language, "menu": context.menu, "digits": context.digits,
            "local_time": decision.local_time}
