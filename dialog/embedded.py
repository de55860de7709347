"""The embedded dialog engine: intents, knowledge answers, a keypad menu and tasks, with no LLM.

One ``EmbeddedDialog`` per call; its state lives in the call's ``CallState``. It is the whole
dialog when no LLM is configured, and the fast path in front of one. The manager has already
classified the utterance and searched the knowledge (``intent``, ``hits``); this engine decides:
- a task in progress waiting for a value (a confirmation number, a ZIP code) reads it from the
  words or the keypad (``dialog.tasks``);
- otherwise the intent's action: transfer, goodbye, thanks, decline (off-topic), a task, or an
  answer from the best knowledge passage; a clarifying question when nothing is close enough,
  and a transfer after ``low_confidence_turns`` misses in a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dialog.classifier import Intent, normalise
from dialog.escalation import ASKED_FOR_PERSON, LOW_CONFIDENCE
from dialog.lines import Lines
from dialog.state import CallState
from dialog.tasks import Tasks
from dialog.types import CallerTurn, Exchange, Hangup, Reply, Transfer
from knowledge.index import Hit

if TYPE_CHECKING:
    from dialog.manager import DialogDeps

__all__ = ["EmbeddedDialog"]

MENU_TOPICS = 6  # topics named in the clarifying question
NOISE = "noise"
UNCLEAR = "unclear"
KEYPAD = "keypad"
NOT_CAUGHT = "Sorry, I didn't catch that."
WELCOME = "You're welcome. Is there anything else I can help you with?"
NO_KEYPAD_ANSWER = "I'm sorry, I don't have that information."
KEYPAD_HINT = "You can press 0 at any time to reach {desk}."
HANDOFF_AFTER_MISSES = ("Sorry, I'm having trouble understanding, so let me connect you with a "
                        "colleague. Please hold.")
_KEY_NAMES = {"*": "star", "#": "pound"}


class EmbeddedDialog:
    def __init__(self, deps: DialogDeps, state: CallState, lines: Lines) -> None:
        self.deps = deps
        self.state = state
        self.lines = lines
        self.settings = deps.settings
        self.tasks = Tasks(deps, state, lines)
        self.keypad_topics = deps.classifier.intents.keypad_topics(state.business)
        self._last_intent: str | None = None

    def greeting(self, language: str) -> str:
        desk = "the front desk" if self.state.business == "hotel" else "a colleague"
        return f"{self.settings.dialog.greeting} {KEYPAD_HINT.format(desk=desk)}"

    def expects_slot(self) -> bool:
        return self.tasks.expects_slot()

    async def respond(self, history: Sequence[Exchange], turn: CallerTurn,
                      intent: Intent | None, hits: list[Hit]) -> Reply:
        if turn.dtmf:
            if self.tasks.expects_slot():
                reply = await self.tasks.answer(turn)
            else:
                reply = self._keypad(turn.dtmf)
        elif intent is None:
            reply = Reply(NOT_CAUGHT, NOISE, 1.0, reason_codes=("noise",))
        elif self.tasks.expects_slot() and (slot_reply := await self.tasks.answer(turn, intent)):
            reply = slot_reply
        else:
            reply = await self._speech(turn, intent, hits)
        self._last_intent = reply.intent
        return reply

    async def _speech(self, turn: CallerTurn, intent: Intent, hits: list[Hit]) -> Reply:
        negative = {normalise(a) for a in self.deps.classifier.intents.negative_answers}
        if self._last_intent == "thanks" and normalise(turn.text) in negative:
            return self._goodbye(1.0)
        action = intent.action
        if action == "transfer":
            return Reply(self.lines.get("handoff", self.state.language), intent.name,
                         intent.score, self._transfer(ASKED_FOR_PERSON),
                         reason_codes=("intent:transfer",))
        if action == "hangup":
            return self._goodbye(intent.score)
        if action == "thanks":
            return Reply(WELCOME, intent.name, intent.score, reason_codes=("intent:thanks",))
        if action == "decline":
            return Reply(self.lines.get("off_topic", self.state.language), intent.name,
                         intent.score, reason_codes=("off_topic",))
        if action == "task" and intent.task:
            return await self.tasks.start(intent, turn)
        return self._answer(turn.text, hits)

    def _answer(self, question: str, hits: list[Hit]) -> Reply:
        min_score = self.settings.knowledge.min_score
        if hits and hits[0].score >= min_score:
            hit = hits[0]
            text = self.deps.index.answer_sentences(hit.passage, question)
            self.state.low_confidence_streak = 0
            return Reply(text, "question", hit.score, citations=(hit.passage.id,),
                         reason_codes=("kb_answer",))
        score = hits[0].score if hits else 0.0
        self.state.low_confidence_streak += 1
        if self.state.low_confidence_streak >= self.settings.escalation.low_confidence_turns:
            self.state.low_confidence_streak = 0
            return Reply(HANDOFF_AFTER_MISSES, UNCLEAR, score, self._transfer(LOW_CONFIDENCE),
                         reason_codes=("low_confidence", f"escalate:{LOW_CONFIDENCE}"))
        return Reply(self._clarify(), UNCLEAR, score, reason_codes=("low_confidence",))

    def _keypad(self, digits: str) -> Reply:
        if digits == "0":
            return Reply(self.lines.get("handoff", self.state.language), KEYPAD, 1.0,
                         self._transfer("keypad_operator"), reason_codes=("keypad",))
        if digits == "9":
            return Reply(self.menu(), KEYPAD, 1.0, reason_codes=("keypad",))
        if digits in self.keypad_topics:
            question = self.keypad_topics[digits][1]
            hits = self.deps.index.search(question, k=1)
            if hits and hits[0].score >= self.settings.knowledge.min_score:
                text = self.deps.index.answer_sentences(hits[0].passage, question)
                return Reply(text, KEYPAD, 1.0, citations=(hits[0].passage.id,),
                             reason_codes=("keypad", "kb_answer"))
            return Reply(f"{NO_KEYPAD_ANSWER} {self.menu()}", KEYPAD, 1.0,
                         reason_codes=("keypad",))
        spoken = " ".join(_KEY_NAMES.get(key, key) for key in digits)
        return Reply(f"You pressed {spoken}. {self.menu()}", KEYPAD, 1.0,
                     reason_codes=("keypad",))

    def menu(self) -> str:
        options = [f"For {label}, press {digit}."
                   for digit, (label, _) in self.keypad_topics.items()]
        options += ["To hear this menu again, press 9.", "To reach a person, press 0."]
        return " ".join(options)

    def _goodbye(self, confidence: float) -> Reply:
        text = f"Thank you for calling {self.settings.dialog.business_name}. Goodbye!"
        return Reply(text, "goodbye", confidence, Hangup("caller_goodbye"),
                     reason_codes=("intent:hangup",))

    def _transfer(self, reason: str) -> Transfer:
        return Transfer(queue=self.settings.dialog.default_queue, reason=reason)

    def _clarify(self) -> str:
        topics = [_lower_first(t) for t in self.deps.index.topics()[:MENU_TOPICS]]
        if not topics:
            return "I'm not sure I understood. Say 'agent' to reach a person."
        listed = topics[0] if len(topics) == 1 else f"{', '.join(topics[:-1])} or {topics[-1]}"
        return (f"I'm not sure I understood. You can ask me about {listed}, "
                "or say 'agent' to reach a person.")


def _lower_first(title: str) -> str:
    return title if title[:2].isupper() else title[:1].lower() + title[1:]
