"""`frontdesk routes check` and `frontdesk routes eval`, as functions returning JSON-able dicts.

``check_command`` validates a rules file offline (for CI in the admin's own repository).
``eval_command`` is the shadow evaluation: labeled calls (what the caller said or pressed, who
called, when, and the route a person chose) replayed through a rules version with the real
intent classifier and sentiment analyzer, then ``route``; it reports the accuracy and every
disagreement, so a change is measured before it goes live. ``evaluate`` is its model-free core.
``dry_run`` is the admin console's try-it-out: one turn built the same way (``turn_context``,
``Understanding``) and routed by the same ``route``.

The CLI (telephony/cli/main.py) parses arguments, loads the encoder and prints what these return.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from config.intents import IntentSet, load_intents
from config.rules import RouteAction, Rules, RulesError, bundled_rules_file
from config.settings import HttpToolSettings
from dialog.routing.evaluate import (
    RouteContext,
    RouteDecision,
    language_keys,
    load_routing_rules,
    route,
)

__all__ = [
    "Expected",
    "LabeledCall",
    "Labels",
    "LabelsError",
    "Understanding",
    "check_command",
    "dry_run",
    "eval_command",
    "evaluate",
    "format_check",
    "format_eval",
    "load_labels",
    "turn_context",
]


class LabelsError(ValueError):
    """The labels file is unreadable or invalid."""


def _digits_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expected(_Strict):
    action: RouteAction
    queue: str | None = None


class LabeledCall(_Strict):
    """One caller turn and the route a person chose for it."""

    text: str | None = None  # what the caller said (as speech recognition wrote it)
    keypad: Annotated[str | None, BeforeValidator(_digits_text)] = None  # "" : timed out
    menu: str | None = None  # the menu the keys were pressed at (default: the entry menu)
    language: str = "en"
    # Local wall-clock time in the business's zone ("2025-06-10 14:30"), or with an offset.
    time: datetime
    tier: str | None = None
    failed_turns: int = Field(default=0, ge=0)
    sentiment: float | None = Field(default=None, ge=-1, le=1)  # None: measured from the text
    expected: Expected
    note: str = ""


class Labels(_Strict):
    business: Literal["hotel", "support"]
    calls: list[LabeledCall] = Field(min_length=1)


def load_labels(path: Path) -> Labels:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        labels = Labels.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise LabelsError(f"{path}: cannot read labels: {e}") from e
    except ValidationError as e:
        problems = "\n".join(f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                             for err in e.errors())
        raise LabelsError(f"{path}: invalid labels:\n{problems}") from None
    for i, call in enumerate(labels.calls):
        if (call.text is None) == (call.keypad is None):
            raise LabelsError(f"{path}: calls[{i}]: give either text or keypad")
    return labels


# -- check -----------------------------------------------------------------------------------------


def check_command(path: Path, *, catalogue: IntentSet | None = None,
                  http_tools: Iterable[HttpToolSettings] = ()) -> dict[str, Any]:
    """{"file", "ok", "problems": [{"line", "path", "message"}], "summary"}."""
    try:
        rules = load_routing_rules(path, catalogue=catalogue, http_tools=http_tools)
    except RulesError as e:
        return {"file": str(path), "ok": False, "problems": [
            {"line": p.line, "path": p.path, "message": p.message, "text": str(p)}
            for p in e.problems]}
    return {"file": str(path), "ok": True, "problems": [], "summary": {
        "business": rules.business.name, "kind": rules.business.kind,
        "languages": list(rules.business.languages), "rules": len(rules.rules),
        "menus": len(rules.menus), "queues": sorted(rules.queues), "tiers": sorted(rules.tiers),
    }}


def format_check(report: dict[str, Any]) -> str:
    if not report["ok"]:
        return "\n".join(p["text"] for p in report["problems"])
    s = report["summary"]
    return (f"{report['file']}: ok ({s['business']}, {s['kind']}: {s['rules']} rules, "
            f"{s['menus']} menus, queues {', '.join(s['queues'])}; "
            f"languages {', '.join(s['languages'])})")


# -- eval ------------------------------------------------------------------------------------------


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


def _context(rules: Rules, call: LabeledCall, classify: Classify,
             measure: Measure) -> tuple[RouteContext, dict[str, Any]]:
    return turn_context(rules, when=call.time, language=call.language, classify=classify,
                        measure=measure, text=call.text, keypad=call.keypad, menu=call.menu,
                        tier=call.tier, failed_turns=call.failed_turns,
                        sentiment=call.sentiment if call.keypad is None else None)


class Understanding:
    """How a caller's words are understood under a rules version: the intent classifier built
    from the catalogue with that version's intent overrides, and the sentiment analyzer.

    One per process (it holds the encoder); classifiers are built once per distinct set of
    overrides (about 60 ms for the hotel's) and kept, the last ``keep`` of them. Thread-safe.
    """

    def __init__(self, encoder: Any, catalogue: IntentSet | None = None, *,
                 keep: int = 8) -> None:
        self.encoder = encoder
        self.catalogue = catalogue if catalogue is not None else load_intents()
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


def _agrees(decision: RouteDecision, expected: Expected) -> bool:
    return decision.action == expected.action and decision.queue == expected.queue


def evaluate(rules: Rules, labels: Labels, *, classify: Classify,
             measure: Measure) -> dict[str, Any]:
    """Replay every labeled call through ``route``; accuracy overall, per language and per
    expected action, and the disagreements (with what was heard and why the route was taken)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    disagreements = []
    correct = 0
    for i, call in enumerate(labels.calls):
        context, seen = _context(rules, call, classify, measure)
        decision = route(rules, context)
        ok = _agrees(decision, call.expected)
        correct += ok
        for key in (f"language:{call.language}", f"expected:{call.expected.action}",
                    "input:keypad" if call.keypad is not None else "input:speech"):
            totals[key][0] += ok
            totals[key][1] += 1
        if not ok:
            disagreements.append({
                "index": i, "text": call.text, "keypad": call.keypad, "menu": context.menu,
                "language": call.language, "time": context.now.isoformat(), "tier": call.tier,
                "expected": call.expected.model_dump(),
                "got": {"action": decision.action, "queue": decision.queue},
                "rule": decision.rule, "reasons": list(decision.reasons), **seen,
                "note": call.note})
    total = len(labels.calls)
    return {
        "business": rules.business.kind, "total": total, "correct": correct,
        "accuracy": round(correct / total, 4),
        "breakdown": {key: {"correct": c, "total": n, "accuracy": round(c / n, 4)}
                      for key, (c, n) in sorted(totals.items())},
        "disagreements": disagreements,
    }


def eval_command(labels_path: Path, encoder: Any, *, rules_path: Path | None = None,
                 intents_file: Path | None = None,
                 http_tools: Iterable[HttpToolSettings] = ()) -> dict[str, Any]:
    """Load the labels and rules (default: the bundled rules of the labels' business), build the
    classifier from the catalogue with the rules' intent overrides, and ``evaluate``.
    Raises ``LabelsError`` / ``RulesError``."""
    labels = load_labels(labels_path)
    path = rules_path or bundled_rules_file(labels.business)
    catalogue = load_intents(intents_file)
    rules = load_routing_rules(path, catalogue=catalogue, http_tools=http_tools)
    if rules.business.kind != labels.business:
        raise LabelsError(f"{labels_path}: labels for {labels.business!r}, rules for "
                          f"{rules.business.kind!r}")
    understanding = Understanding(encoder, catalogue)
    report = evaluate(rules, labels, classify=understanding.classifier(rules).classify,
                      measure=understanding.measure)
    return {"rules": str(path), "labels": str(labels_path), **report}


def format_eval(report: dict[str, Any]) -> str:
    lines = [f"{report['business']}: {report['correct']}/{report['total']} routed as labeled "
             f"(accuracy {report['accuracy']:.3f}) with {report['rules']}"]
    for key, row in report["breakdown"].items():
        lines.append(f"  {key:24} {row['correct']:3}/{row['total']:<3} {row['accuracy']:.3f}")
    if report["disagreements"]:
        lines.append("disagreements:")
    for d in report["disagreements"]:
        said = f"keypad {d['keypad']!r} at {d['menu']}" if d["keypad"] is not None else (
            f"{d['text']!r} -> {d.get('intent')} {d.get('confidence')}, "
            f"sentiment {d.get('sentiment')}")
        want, got = d["expected"], d["got"]
        lines.append(f"  [{d['index']}] ({d['language']}, {d['time']}) {said}\n"
                     f"      expected {want['action']} {want['queue'] or ''}".rstrip()
                     + f"; got {got['action']} {got['queue'] or ''}".rstrip()
                     + f" by {d['rule'] or 'default'} ({', '.join(d['reasons'])})")
    return "\n".join(lines)

