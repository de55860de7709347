"""The per-call dialog manager: guardrails and escalation around the embedded engine and the LLM.

A turn goes:
1. keypad digits and noise go to the embedded engine (menus, numbers for a task in progress);
2. an obvious prompt-injection attempt is refused and logged, without running anything;
3. the caller's words are classified (intent, confidence) and searched in the knowledge;
4. escalation signals are checked (asked for a person, low confidence or rephrasing N times in
   a row, back-end failures, a dialog loop, failed verification): any one transfers the call
   with its reason code;
5. the embedded engine answers when there is no LLM, or as the fast path for intents it is sure
   of (a person, goodbye, thanks, off-topic); otherwise the LLM streams the answer with tools;
6. the call's state is updated (streaks, failures, recent questions and replies).

At ~317 lines: the steps above, in order, so the turn reads top to bottom; the decisions
themselves are pure functions elsewhere (``dialog.routing``, ``dialog.understanding``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from loguru import logger

from config.policy import CallPolicy
from config.rules import Rules
from dialog.deps import DialogDeps
from dialog.embedded.choice import CALLBACK, NEXT_AGENT, read_choice, spoken_digits
from dialog.embedded.engine import EmbeddedDialog
from dialog.engine import Say
from dialog.llm.client import LlmDialog
from dialog.llm.grounding import figures
from dialog.phrases.lines import Lines
from dialog.routing.live import CallRouter
from dialog.state import CallState
from dialog.types import Callback, CallerTurn, Exchange, Reply, Transfer, Withdraw
from dialog.understanding.classifier import Intent, IntentClassifier
from dialog.understanding.escalation import (
    Signals,
    escalation_reason,
    repeat_count,
    rephrase_count,
)
from dialog.understanding.guard import detect_injection
from dialog.understanding.language import requested_language
from dialog.understanding.sentiment import Sentiment
from knowledge.index import Hit
from knowledge.passages import Passage

__all__ = ["FAST_PATH_INTENTS", "DialogManager"]

# Intents the embedded engine answers even when an LLM is configured, when it is sure of them.
FAST_PATH_INTENTS = frozenset({"human", "goodbye", "thanks", "off_topic"})
_KEEP_QUESTIONS = 4


class DialogManager:
    """A ``DialogEngine`` for one call."""

    def __init__(self, deps: DialogDeps, state: CallState, rules: Rules | None = None,
                 classifier: IntentClassifier | None = None) -> None:
        self.deps = deps
        self.state = state
        self.classifier = classifier or deps.classifier
        settings = deps.settings
        self.lines = Lines(deps.lines, business=settings.dialog.business_name)
        # The call's thresholds and queues, fixed for the whole call: its routing rules' when
        # it has them, else the settings' (``config.policy``). Everything below reads them here.
        self.policy = CallPolicy.build(settings, rules)
        self.embedded = EmbeddedDialog(deps, state, self.lines, self.policy, deps.tasks)
        self.router: CallRouter | None = None
        if rules is not None:
            self.router = CallRouter(rules, state.rules_version, state, self.lines, self.policy,
                                     deps.clock)
        self.llm: LlmDialog | None = None
        if deps.llm_client is not None and settings.llm.enabled:
            self.llm = LlmDialog(
                deps.llm_client, settings.llm, registry=deps.registry, state=state,
                business_name=settings.dialog.business_name, lines=self.lines,
                policy=self.policy,
            )
        self._question_vectors: list[np.ndarray] = []
        self._feeling: Sentiment | None = None  # the current turn's, once understood
        self._asked_before = 0  # how many times the caller has now asked this turn's question

    def greeting(self, language: str) -> str:
        return " ".join(part for part in self.greeting_parts(language) if part)

    def greeting_parts(self, language: str) -> tuple[str, str]:
        """What the call says at once, and what it says after a silence (the menu's keys and
        the language offers; "" for none): ``dialog.routing.live.CallRouter.greeting_parts``."""
        self.state.language = language or self.state.language
        if self.router is not None:
            return self.router.greeting_parts()
        return self.embedded.greeting(language), ""

    def offer_choice(self, options: Sequence[str]) -> str:
        """The caller is back from a transfer no agent took: offer ``options`` (``CALLBACK``,
        ``NEXT_AGENT``); the caller's next turn answers (``dialog.embedded.choice``)."""
        self.state.pending_choice = list(options)
        self.state.choice_asked = 0
        return self._choice_line(options)

    async def respond(self, history: Sequence[Exchange], turn: CallerTurn, say: Say) -> Reply:
        self.state.language = turn.language or self.state.language
        self._feeling = None
        self._asked_before = 0
        self._route: dict | None = None
        if self.state.pending_choice:
            chosen = self._choose(turn)
            if chosen is not None:
                return await self._finish(turn, chosen, say)
        if not turn.dtmf and (wanted := requested_language(turn.text)):
            return await self._finish(turn, self._switch_language(wanted), say)
        if turn.dtmf and self.router is not None and not self.embedded.expects_slot():
            if keyed := self.router.language_key(turn.dtmf):
                return await self._finish(turn, self._switch_by_key(keyed), say)
            routed = self.router.keypad(turn.dtmf)
            if routed is not None:  # the rules' keypad menu
                self._route = routed.log
                if routed.reply is not None:
                    return await self._finish(turn, routed.reply, say)
                if not routed.question:
                    text = routed.preface or self.lines.get("help_prompt", self.state.language)
                    reply = Reply(text, "keypad", 1.0, reason_codes=("route:menu",))
                    return await self._finish(turn, reply, say)
                if routed.preface:
                    await say(routed.preface)
                turn = CallerTurn(text=routed.question, language=turn.language)
        if turn.dtmf or self.classifier.is_noise(turn.text):
            reply = await self.embedded.respond(history, turn, None, [])
            return await self._finish(turn, reply, say)
        guard = self.deps.settings.governance.detect_injection
        injection = detect_injection(turn.text) if guard else None
        if injection:
            logger.warning(f"call {self.state.call_sid}: injection attempt ({injection})")
            text = self.lines.get("injection", self.state.language)
            reply = Reply(text, "injection", 1.0, reason_codes=("injection_detected", injection),
                          language=self.state.language)
            return await self._finish(turn, reply, say)
        intent, hits, vector, feeling = await asyncio.to_thread(self._understand, turn.text)
        self._feeling = feeling
        reason = self._escalation(vector)
        if reason is not None:
            return await self._finish(turn, self._handoff(intent, reason), say)
        if self.router is not None and self._route is None and not self.embedded.expects_slot():
            routed = self.router.speech(intent, feeling.score)
            self._route = routed.log
            if routed.reply is not None:
                return await self._finish(turn, routed.reply, say)
            if routed.preface:
                await say(routed.preface)
            if routed.question:  # a rule answers a question of its own
                turn = CallerTurn(text=routed.question, language=turn.language)
                intent, hits, vector, feeling = await asyncio.to_thread(self._understand,
                                                                        turn.text)
        if self._embedded_answers(intent, hits):
            reply = await self.embedded.respond(history, turn, intent, hits)
            return await self._finish(turn, reply, say)
        assert self.llm is not None
        passages = [h.passage for h in hits if h.score >= self._min_score]
        answer = await self.llm.respond(history, turn, say, passages=passages)
        cited = {c for t in answer.tools for c in t.citations}
        cited |= {p.id for p in _supporting(answer.passages, answer.text)}
        reply = Reply(
            answer.text, intent.name, intent.score, decision=answer.decision,
            citations=tuple(sorted(cited)), tools=tuple(answer.tools),
            reason_codes=("llm", *answer.reason_codes), language=self.state.language,
            llm_usage=answer.usage,
        )
        return await self._finish(turn, reply, say, streamed=True)

    def _switch_language(self, language: str) -> Reply:
        """The caller asked for another language: from now on the call speaks it (telephony
        switches recognition and voice when the reply's language changes)."""
        self.state.language = language
        follow = self.embedded.tasks.pending_question() or self.lines.get("help_prompt",
                                                                          language)
        return Reply(f"{self.lines.get('language_switched', language)} {follow}", "language", 1.0,
                     reason_codes=(f"language:{language}",))

    def _switch_by_key(self, language: str) -> Reply:
        """A language key of the rules: the call switches as when the caller asks aloud, and
        the menu the caller is at is offered again in the new language."""
        assert self.router is not None
        switched = self._switch_language(language)
        line = self.lines.get("language_switched", language)
        return replace(switched, text=f"{line} {self.router.prompt()}",
                       reason_codes=(*switched.reason_codes, "route:language_key"))

    # -- the choice after a failed transfer ------------------------------------------------
    def _choice_line(self, options: Sequence[str]) -> str:
        key = "choice_next_or_callback" if NEXT_AGENT in options else "choice_callback_only"
        return self.lines.get(key, self.state.language, number=self._callback_number())

    def _callback_number(self) -> str:
        digits = spoken_digits(self.state.caller_number)
        if not digits:
            return ""
        return self.lines.get("choice_number", self.state.language, digits=digits)

    def _choose(self, turn: CallerTurn) -> Reply | None:
        """The caller's answer to the choice; None: not an answer, the turn goes on as usual."""
        state = self.state
        offered = state.pending_choice or []
        choice = read_choice(turn.text, turn.dtmf, state.language, offered)
        if choice is None:
            if state.choice_asked >= 1:  # asked twice: the caller is saying something else
                state.pending_choice = None
                return None
            state.choice_asked += 1
            text = self.lines.get("choice_again", state.language) \
                if NEXT_AGENT in offered else self._choice_line(offered)
            return Reply(text, "transfer_choice", 1.0, reason_codes=("choice:unclear",))
        state.pending_choice = None
        if choice == CALLBACK:
            text = self.lines.get("callback_booked", state.language,
                                  number=self._callback_number())
            return Reply(text, "transfer_choice", 1.0, decision=Callback(state.caller_number),
                         reason_codes=("choice:callback",))
        if choice == NEXT_AGENT:
            transfer = Transfer(self.policy.default_queue, "caller_chose_next_agent")
            return Reply(self.lines.get("retrying", state.language), "transfer_choice", 1.0,
                         decision=transfer, reason_codes=("choice:next_agent",))
        return Reply(self.lines.get("anything_else", state.language), "transfer_choice", 1.0,
                     decision=Withdraw(), reason_codes=("choice:decline",))

    # -- helpers ---------------------------------------------------------------------------
    @property
    def _min_score(self) -> float:
        return self.deps.settings.knowledge.min_score

    def _understand(self, text: str) -> tuple[Intent, list[Hit], np.ndarray, Sentiment]:
        """Intent, knowledge hits, the utterance's embedding and the caller's sentiment
        (blocking: run in a thread)."""
        intent = self.classifier.classify(text)
        hits = self.deps.index.search_preferring(text, self.state.language, 3)
        vector = self.deps.encoder.embed([text])[0]
        feeling = self.deps.sentiment.analyze(text, self.state.language, vector=vector)
        return intent, hits, vector, feeling

    def _embedded_answers(self, intent: Intent, hits: list[Hit]) -> bool:
        llm = self.deps.settings.llm
        if self.llm is None:
            return True
        if not llm.fast_path:
            return False
        if self.state.task is not None and self.embedded.expects_slot():
            return False  # the LLM owns tasks when it is configured
        return intent.name in FAST_PATH_INTENTS and intent.score >= llm.fast_path_min_confidence

    def _escalation(self, vector: np.ndarray) -> str | None:
        """The escalation reason that applies before this turn is answered, if any.

        Low confidence is the embedded engine's to count (it knows when it had to ask again);
        an LLM has no comparable score. An answer to a question the engine asked (a number, a
        ZIP code) is not a question of the caller's and is not compared for rephrasing.
        """
        thresholds = self.policy.escalation
        rephrases = 0
        if not self.embedded.expects_slot():
            rephrases = rephrase_count(vector, self._question_vectors,
                                       thresholds.rephrase_similarity)
            self._asked_before = rephrases
            self._question_vectors = [*self._question_vectors, vector][-_KEEP_QUESTIONS:]
        signals = Signals(
            low_confidence_streak=self.state.low_confidence_streak,
            rephrases=rephrases,
            tool_failures=self.state.tool_failures,
            repeated_replies=_repeats(self.state.recent_replies),
            verification_failures=self.state.verification_failures,
        )
        return escalation_reason(signals, thresholds)

    def _handoff(self, intent: Intent, reason: str) -> Reply:
        text = self.lines.get("connecting", self.state.language)
        transfer = Transfer(self.policy.default_queue, reason)
        return Reply(text, intent.name, intent.score, decision=transfer,
                     reason_codes=(f"escalate:{reason}",), language=self.state.language)

    async def _finish(self, turn: CallerTurn, reply: Reply, say: Say, *,
                      streamed: bool = False) -> Reply:
        """Say the reply (what was not streamed already), then update the call's signals."""
        state = self.state
        state.tool_failures += sum(1 for t in reply.tools if t.failed)
        extra = ""
        failures = self.policy.escalation.tool_failures
        if reply.decision is None and state.tool_failures >= failures:
            extra = self.lines.get("connecting", state.language)
            transfer = Transfer(self.policy.default_queue, "backend_failure")
            reply = replace(reply, text=f"{reply.text} {extra}".strip(), decision=transfer,
                            reason_codes=(*reply.reason_codes, "escalate:backend_failure"))
        to_say = extra if streamed else reply.text
        if to_say:
            await say(to_say)
        state.remember("replies", reply.text)
        caller = f"DTMF: {turn.dtmf}" if turn.dtmf else turn.text
        state.history = [*state.history, (caller, reply.text)][-20:]
        feeling = self._feeling
        if self._asked_before >= 2:  # a frustration signal for the briefing
            reply = replace(reply, reason_codes=(*reply.reason_codes, "rephrased"))
        expects = "choice" if state.pending_choice else self.embedded.tasks.awaiting()
        return replace(reply, language=state.language, route=self._route, expects=expects,
                       private=self.embedded.tasks.awaiting_private(),
                       sentiment=None if feeling is None else round(feeling.score, 3),
                       sentiment_label=None if feeling is None else feeling.label)


def _repeats(replies: Sequence[str]) -> int:
    return repeat_count(replies[-1], replies[:-1]) if replies else 0


def _supporting(passages: Sequence[Passage], text: str) -> list[Passage]:
    """Passages the spoken text draws on: a shared figure or several shared content words."""
    words = {w for w in text.lower().split() if len(w) >= 5}
    spoken_figures = figures(text)
    out = []
    for passage in passages:
        body = passage.text.lower()
        shared = sum(1 for w in words if w in body)
        if shared >= 3 or spoken_figures & figures(passage.text):
            out.append(passage)
    return out

