"""The routing rules in a live call: what a ``route`` decision makes the dialog do.

A call keeps the rules version it started with (``CallState.rules_version``), so an admin's
change reaches new calls at once and never a call in progress. Each caller turn outside a task
step is routed with the same ``dialog.routing.evaluate.route`` the admin's dry run and the shadow
evaluation use; the decision is logged with the turn (``Reply.route``). A matched rule, or a
keypad menu option, decides: transfer (to its queue, with its priority), take a message (a
transfer to a closed queue becomes the callback offer), hang up, go to a menu, or answer (the
rule's question, or the caller's words). No rule matched: the dialog handles the intent as it
always does. A language key (``business.language_keys``) pressed where a menu takes keys switches
the call's language instead, and the menu is offered again in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from config.policy import CallPolicy
from config.rules import Rules
from dialog.phrases.lines import Lines
from dialog.routing.evaluate import RouteContext, RouteDecision, language_keys, route
from dialog.state import CallState
from dialog.types import Hangup, Reply, Transfer
from dialog.understanding.classifier import Intent
from dialog.understanding.escalation import ASKED_FOR_PERSON
from knowledge.passages import split_sentences

__all__ = ["CallRouter", "Clock", "Routed", "local_now"]

Clock = Callable[[], datetime]
TRANSFERS = ("transfer", "take_message", "callback")
# A rule doing what the intent asks anyway keeps the intent's reason (for the briefing).
_INTENT_REASONS = {"transfer": ASKED_FOR_PERSON, "hangup": "caller_goodbye"}


def local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class Routed:
    """What a routing decision makes of a turn: its own ``reply`` (transfer, hang-up, menu), or
    the dialog answers — ``question`` instead of the caller's words when the route names one,
    after ``preface``. ``log`` is the decision as recorded with the turn."""

    log: dict
    reply: Reply | None = None
    question: str | None = None
    preface: str = ""


class CallRouter:
    def __init__(self, rules: Rules, version: int | None, state: CallState, lines: Lines,
                 policy: CallPolicy, clock: Clock = local_now) -> None:
        self.rules = rules
        self.policy = policy  # the call's (built with these rules): its default queue
        self.version = version
        self.state = state
        self.lines = lines
        self.clock = clock

    def _language(self) -> str:
        business = self.rules.business
        language = self.state.language
        return language if language in business.languages else business.default_language

    def greeting(self) -> str:
        """The rules' greeting in the caller's language, then the entry menu's prompt (or an
        invitation to speak), then each other language's key, offered in that language."""
        return " ".join(part for part in self.greeting_parts() if part)

    def greeting_parts(self) -> tuple[str, str]:
        """The greeting in two parts: what is said at once (the rules' greeting and the first
        sentence of the entry menu's prompt, the invitation to speak) and what is said only to a
        caller who stays silent after it (the rest of the prompt, its keys, and the language
        offers). A caller is invited to speak within a few seconds, not after every option."""
        language = self._language()
        text = self.rules.greetings.get(language) or self.rules.greetings[
            self.rules.business.default_language]
        invitation, *keys = split_sentences(self._prompt(self.rules.business.menu))
        offers = [self.lines.get("language_key_offer", other, digit=key)
                  for key, other in language_keys(self.rules).items() if other != language]
        return f"{text} {invitation}", " ".join([*keys, *offers])

    def prompt(self) -> str:
        """The prompt of the menu the caller is at, in the caller's language (an invitation to
        speak when the rules have no menu)."""
        return self._prompt(self.state.menu or self.rules.business.menu)

    def language_key(self, digits: str) -> str | None:
        """The language the keys pressed switch the call to; None: they are no language key."""
        return language_keys(self.rules).get(digits)

    def keypad(self, digits: str) -> Routed | None:
        """Keys pressed at the caller's menu; None when the rules have no menus."""
        menu = self.state.menu or self.rules.business.menu
        if menu is None or menu not in self.rules.menus:
            return None
        return self._act(route(self.rules, self._context(menu=menu, digits=digits)))

    def speech(self, intent: Intent, sentiment: float | None) -> Routed:
        decision = route(self.rules, self._context(
            intent=intent.name, confidence=intent.score, intent_action=intent.action,
            sentiment=sentiment))
        if decision.rule is None:  # no rule: the intent's own handling
            return Routed(self._log(decision))
        same = intent.action == decision.action or (
            intent.action == "transfer" and decision.action in TRANSFERS)
        return self._act(decision, _INTENT_REASONS.get(intent.action or "") if same else None)

    def _context(self, **facts: object) -> RouteContext:
        state = self.state
        return RouteContext(
            now=self.clock(), language=state.language,
            tier=self.rules.tier_for(state.caller_number, state.facts.get("tier")),
            failed_turns=state.low_confidence_streak + state.tool_failures,
            **facts)  # type: ignore[arg-type]

    def _log(self, decision: RouteDecision) -> dict:
        """The decision as recorded with the turn; its tools become the call's allowed ones."""
        allowed = decision.allowed_tools
        self.state.allowed_tools = None if allowed is None else list(allowed)
        return {**decision.as_dict(), "version": self.version}

    def _act(self, decision: RouteDecision, because: str | None = None) -> Routed:
        log = self._log(decision)
        language = self._language()
        say = decision.message or ""
        reason = because or (f"rule:{decision.rule}" if decision.rule else "keypad_menu")
        codes = (f"route:{decision.rule or 'menu'}", *decision.reasons)
        action = decision.action
        if action in TRANSFERS:
            # A closed queue's transfer is placed as a handoff and becomes the callback offer.
            queue = decision.queue or self.policy.default_queue
            text = say or self.lines.get("connecting", language)
            return Routed(log, Reply(text, "route", 1.0, Transfer(queue, reason,
                                                                    priority=decision.priority),
                                     reason_codes=codes))
        if action == "hangup":
            text = say or self.lines.get("goodbye", language)
            return Routed(log, Reply(text, "route", 1.0, Hangup(reason), reason_codes=codes))
        if action == "menu" and decision.menu:
            self.state.menu = decision.menu
            text = f"{say} {self._menu_prompt(decision.menu)}".strip()
            return Routed(log, Reply(text, "route", 1.0, reason_codes=codes))
        # answer (or a tool: the dialog's task for the question): the dialog answers.
        return Routed(log, question=decision.question, preface=say)

    def _prompt(self, menu: str | None) -> str:
        if menu is not None and menu in self.rules.menus:
            return self._menu_prompt(menu)
        return self.lines.get("help_prompt", self._language())

    def _menu_prompt(self, name: str) -> str:
        prompt = self.rules.menus[name].prompt
        return prompt.get(self._language()) or prompt[self.rules.business.default_language]
