"""Route a call turn by the business's rules: a pure function of the rules and what is known.

``route(rules, context)`` is the one evaluator that live calls, the admin's dry run and the
shadow evaluation (``frontdesk routes eval``) all use: same input, same decision. It reads no
clock (the local time comes in the context) and does no I/O.

Order of evaluation:
1. the rules, in file order; the first whose ``when`` holds decides. A rule that transfers to a
   queue outside its hours is skipped (reason ``skip:<rule>:queue_closed``), so a later rule
   (after hours: take a message) can catch the call;
2. keypad input at a menu: that menu's option, or its ``on_no_match`` / ``on_timeout``;
3. a recognised intent: the catalogue's action for it (transfer -> the default queue,
   hangup -> hang up, anything else -> the AI agent answers);
4. the start of the call: the business's entry menu, or the AI agent answers.
A transfer that steps 2-3 would make to a closed queue becomes ``take_message`` for that queue.

Hours and holidays are evaluated in the business's time zone (queues: their own, if set); a
queue with hours is closed on the business's holidays, one without hours never closes.

Tool names live here, not in config (config imports nothing of ours): ``known_tools`` lists
them per business and ``load_routing_rules`` passes them to ``config.rules.load_rules``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from config.intents import IntentSet
from config.languages import SPOKEN
from config.rules import Menu, RouteAction, Rule, Rules, Then, load_rules, parse_window
from config.settings import HttpToolSettings

__all__ = [
    "BUILTIN_TOOLS",
    "BUSINESS_TOOLS",
    "RouteContext",
    "RouteDecision",
    "is_open",
    "known_tools",
    "language_keys",
    "load_routing_rules",
    "route",
]

# The tools of dialog/toolset.py and dialog/business/*.py (tests/unit/dialog/test_routing.py
# checks these against the real registry).
BUILTIN_TOOLS = ("search_knowledge", "transfer_to_agent", "end_call")
BUSINESS_TOOLS: Mapping[str, tuple[str, ...]] = {
    "hotel": ("find_reservation", "verify_guest", "check_in", "assign_room",
              "set_arrival_details", "send_confirmation", "request_late_checkout", "get_folio",
              "cancel_reservation"),
    "support": ("lookup_customer", "verify_customer", "get_order_status", "create_ticket",
                "request_refund"),
}


def known_tools(http_tools: Iterable[HttpToolSettings] = ()) -> dict[str, frozenset[str]]:
    """Business kind -> every tool a route of that business may name."""
    declared = list(http_tools)
    return {
        business: frozenset(BUILTIN_TOOLS) | frozenset(own) | frozenset(
            t.name for t in declared if not t.businesses or business in t.businesses)
        for business, own in BUSINESS_TOOLS.items()
    }


def load_routing_rules(source: Path | str, *, catalogue: IntentSet | None = None,
                       http_tools: Iterable[HttpToolSettings] = (),
                       name: str | None = None) -> Rules:
    """``load_rules`` with the tool names checked against the real tools (raises RulesError)."""
    return load_rules(source, catalogue=catalogue, tools=known_tools(http_tools), name=name)


@dataclass(frozen=True)
class RouteContext:
    """What is known when a turn is routed."""

    now: datetime  # aware; converted to the business's zone
    language: str = ""  # the caller's language ("" : the business's default)
    intent: str | None = None  # the classifier's intent for the caller's words
    confidence: float = 0.0
    # The intent's action in the classifier's intent set (``Intent.action``: the catalogue's,
    # or the rules file's override when the classifier was built from ``Rules.intent_set``).
    intent_action: str | None = None
    tier: str | None = None  # ``Rules.tier_for`` of the caller
    sentiment: float | None = None  # the latest sentiment score, -1..1
    failed_turns: int = 0  # turns the agent could not help with so far
    menu: str | None = None  # the keypad menu the caller is at
    # Keys pressed at ``menu``; "" : nothing pressed after the menu's retries (timed out);
    # None: no keypad input this turn.
    digits: str | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("RouteContext.now must be timezone-aware")


@dataclass(frozen=True)
class RouteDecision:
    action: RouteAction
    reasons: tuple[str, ...]  # "rule:after_hours", "hours:closed", "intent:human", "default"
    rule: str | None = None  # the rule that decided; None: a default
    queue: str | None = None
    priority: int = 0
    menu: str | None = None
    tool: str | None = None
    question: str | None = None  # answer: asked of the knowledge as if the caller said it
    message: str | None = None  # said first, in the call's language
    allowed_tools: tuple[str, ...] | None = None  # None: every tool of the business
    local_time: str = ""  # the business's local time the decision was made at (ISO)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        if self.allowed_tools is not None:
            data["allowed_tools"] = list(self.allowed_tools)
        return data


def language_keys(rules: Rules) -> dict[str, str]:
    """Keypad key -> language, for the languages both the business and the agent speak: a key
    pressed wherever a menu takes keys switches the call's language (before any menu option)."""
    business = rules.business
    return {key: language for key, language in business.language_keys.items()
            if language in business.languages and language in SPOKEN}


def is_open(hours: Mapping[str, str], local: datetime, *, holiday: bool = False) -> bool:
    """Whether ``local`` (already in the right zone) falls in the weekly ``hours``.

    Empty hours: always open (holidays included); a day not listed: closed.
    """
    if not hours:
        return True
    if holiday:
        return False
    text = hours.get(local.strftime("%a").lower())
    window = parse_window(text) if text else None
    if window is None:
        return False
    start, end = window
    now = local.time().replace(tzinfo=None)
    return start <= now and (now < end or end == time.max)


@dataclass
class _Facts:
    """The context, evaluated once: local time, hours, holiday, language."""

    local: datetime
    holiday: bool
    open: bool
    language: str
    skipped: list[str] = field(default_factory=list)


def _facts(rules: Rules, context: RouteContext) -> _Facts:
    business = rules.business
    local = context.now.astimezone(ZoneInfo(business.timezone))
    holiday = any(h.date == local.date() for h in business.holidays)
    language = context.language if context.language in business.languages else (
        business.default_language)
    return _Facts(local, holiday, is_open(business.hours, local, holiday=holiday), language)


def _queue_open(rules: Rules, name: str, now: datetime) -> bool:
    """A queue with hours is closed outside them and on the business's holidays."""
    local = now.astimezone(ZoneInfo(rules.queue_timezone(name)))
    holiday = any(h.date == local.date() for h in rules.business.holidays)
    return is_open(rules.queues[name].hours, local, holiday=holiday)


def _matches(rule: Rule, context: RouteContext, facts: _Facts) -> list[str] | None:
    """The reason codes of every condition when all hold; None when one does not."""
    w = rule.when
    reasons: list[str] = []
    if w.intent:
        if context.intent not in w.intent:
            return None
        reasons.append(f"intent:{context.intent}")
    if w.min_confidence is not None and context.confidence < w.min_confidence:
        return None
    if w.language:
        if facts.language not in w.language:
            return None
        reasons.append(f"language:{facts.language}")
    if w.tier:
        if context.tier not in w.tier:
            return None
        reasons.append(f"tier:{context.tier}")
    if w.sentiment_below is not None:
        if context.sentiment is None or context.sentiment >= w.sentiment_below:
            return None
        reasons.append("sentiment:below")
    if w.sentiment_above is not None:
        if context.sentiment is None or context.sentiment <= w.sentiment_above:
            return None
        reasons.append("sentiment:above")
    if w.hours is not None:
        if ("open" if facts.open else "closed") != w.hours:
            return None
        reasons.append(f"hours:{w.hours}")
    if w.holiday is not None:
        if facts.holiday != w.holiday:
            return None
        reasons.append("holiday" if w.holiday else "holiday:no")
    if w.failed_turns_at_least is not None:
        if context.failed_turns < w.failed_turns_at_least:
            return None
        reasons.append(f"failed_turns:{context.failed_turns}")
    if w.menu is not None:
        if context.menu != w.menu:
            return None
        reasons.append(f"menu:{w.menu}")
    if w.keypad is not None:
        if context.digits != w.keypad:
            return None
        reasons.append(f"keypad:{w.keypad}")
    return reasons


def _decide(rules: Rules, then: Then, facts: _Facts, reasons: list[str],
            rule: str | None = None) -> RouteDecision:
    say = then.say.get(facts.language) or then.say.get(rules.business.default_language)
    tools = then.tools if then.tools is not None else rules.tools
    return RouteDecision(
        action=then.action, reasons=tuple(reasons), rule=rule, queue=then.queue,
        priority=then.priority, menu=then.menu, tool=then.tool, question=then.question,
        message=say, allowed_tools=None if tools is None else tuple(tools),
        local_time=facts.local.isoformat(timespec="minutes"))


def _fallback(rules: Rules, context: RouteContext, facts: _Facts) -> tuple[Then, list[str]]:
    """What happens when no rule matches: the menu's option, the intent's action, the start."""
    if context.digits is not None and context.menu in rules.menus:
        menu: Menu = rules.menus[context.menu]
        where = f"menu:{context.menu}"
        if context.digits == "":
            return menu.on_timeout, [where, "keypad:timeout"]
        option = menu.options.get(context.digits)
        if option is None:
            return menu.on_no_match, [where, "keypad:no_match"]
        return option, [where, f"keypad:{context.digits}"]
    if context.intent is not None:
        action = _intent_action(rules, context)
        reasons = [f"intent:{context.intent}"]
        if action == "transfer":
            return Then(action="transfer", queue=rules.business.default_queue), reasons
        if action == "hangup":
            return Then(action="hangup"), reasons
        return Then(action="answer"), reasons
    if rules.business.menu is not None:
        return Then(action="menu", menu=rules.business.menu), ["call_start"]
    return Then(action="answer"), ["call_start"]


def _intent_action(rules: Rules, context: RouteContext) -> str:
    """The rules file's override of the intent's action, else the classifier's."""
    override = rules.intents.get(context.intent or "")
    if override is not None and override.action is not None:
        return override.action
    return context.intent_action or "answer"


def route(rules: Rules, context: RouteContext) -> RouteDecision:
    """The decision for this turn, with the reason codes that led to it."""
    facts = _facts(rules, context)
    hours = "hours:open" if facts.open else "hours:closed"
    for rule in rules.rules:
        matched = _matches(rule, context, facts)
        if matched is None:
            continue
        then = rule.then
        if then.action == "transfer" and then.queue and not _queue_open(
                rules, then.queue, context.now):
            facts.skipped.append(f"skip:{rule.name}:queue_closed")
            continue
        return _decide(rules, then, facts,
                       [f"rule:{rule.name}", *facts.skipped, *matched], rule.name)
    then, reasons = _fallback(rules, context, facts)
    if then.action == "transfer" and then.queue and not _queue_open(rules, then.queue,
                                                                      context.now):
        reasons.append(f"queue:{then.queue}:closed")
        then = Then(action="take_message", queue=then.queue)
    if hours not in reasons:
        reasons.append(hours)
    return _decide(rules, then, facts, ["default", *facts.skipped, *reasons])
