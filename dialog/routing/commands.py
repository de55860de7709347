"""`frontdesk routes check` and `frontdesk routes eval`, as functions returning JSON-able dicts.

``check_command`` validates a rules file offline (for CI in the admin's own repository).
``eval_command`` is the shadow evaluation: labeled calls (what the caller said or pressed, who
called, when, and the route a person chose) replayed through a rules version with the real
intent classifier and sentiment analyzer, then ``route``; it reports the accuracy and every
disagreement, so a change is measured before it goes live. ``evaluate`` is its model-free core.
Each labeled turn is built as the admin console's dry run builds it (``dialog.routing.turns``).

The CLI (telephony/cli/main.py) parses arguments, loads the encoder and prints what these return.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from config.intents import IntentSet, load_intents, sample_intents
from config.rules import RouteAction, Rules, RulesError, bundled_rules_file
from config.settings import HttpToolSettings
from dialog.routing.evaluate import RouteContext, RouteDecision, load_routing_rules, route
from dialog.routing.turns import Classify, Measure, Understanding, turn_context

__all__ = [
    "Expected",
    "LabeledCall",
    "Labels",
    "LabelsError",
    "check_command",
    "eval_command",
    "evaluate",
    "format_check",
    "format_eval",
    "load_labels",
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


def _context(rules: Rules, call: LabeledCall, classify: Classify,
             measure: Measure) -> tuple[RouteContext, dict[str, Any]]:
    return turn_context(rules, when=call.time, language=call.language, classify=classify,
                        measure=measure, text=call.text, keypad=call.keypad, menu=call.menu,
                        tier=call.tier, failed_turns=call.failed_turns,
                        sentiment=call.sentiment if call.keypad is None else None)



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
    catalogue = sample_intents(load_intents(intents_file))
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

