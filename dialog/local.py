"""The local dialog engine: intents, knowledge answers and a keypad menu, with no LLM.

One ``LocalDialog`` per call. It keeps that call's state (consecutive misunderstandings, the last
intent); the index, the encoder and the intent classifier it uses are shared read-only across
calls. ``respond`` is synchronous and embeds text (about a millisecond): run it in a thread.
Replies are English for now; the classifier understands requests in en, es, fr and de.
"""

from __future__ import annotations

from collections.abc import Sequence

from config import DialogSettings
from dialog.classifier import IntentClassifier, is_noise, normalise
from dialog.intents import GOODBYE, HUMAN, KEYPAD_TOPICS, NEGATIVE_ANSWERS, QUESTION, THANKS
from dialog.types import CallerTurn, Exchange, Hangup, Reply, Transfer
from knowledge.encoder import SentenceEncoder
from knowledge.index import KnowledgeIndex

__all__ = ["MAX_MISSES", "LocalDialog"]

MAX_MISSES = 3  # consecutive turns not understood before a person takes over
MENU_TOPICS = 6  # topics named in the clarifying question

NOISE = "noise"
UNCLEAR = "unclear"
KEYPAD = "keypad"

HANDOFF = "Of course, let me connect you with someone at the front desk. Please hold."
HANDOFF_AFTER_MISSES = (
    "Sorry, I'm having trouble understanding, so let me connect you with someone at the "
    "front desk. Please hold."
)
HANDOFF_KEYPAD = "Connecting you to the front desk. Please hold."
NOT_CAUGHT = "Sorry, I didn't catch that."
WELCOME = "You're welcome. Is there anything else I can help you with?"
NO_KEYPAD_ANSWER = "I'm sorry, I don't have that information."
KEYPAD_HINT = "You can press 0 at any time to reach the front desk."
_KEY_NAMES = {"*": "star", "#": "pound"}
_NEGATIVE = frozenset(normalise(answer) for answer in NEGATIVE_ANSWERS)


class LocalDialog:
    """A ``DialogEngine`` answering from a ``KnowledgeIndex``; one instance per call.

    ``respond`` does not read ``history``: the per-call state it needs (``misses``,
    ``last_intent``) lives on the instance, so turns must reach it in order, one at a time.
    Noise neither counts as a miss nor breaks a run of misses; any understood turn resets it.
    """

    def __init__(
        self,
        index: KnowledgeIndex,
        encoder: SentenceEncoder,
        settings: DialogSettings,
        min_score: float,
        *,
        classifier: IntentClassifier | None = None,
    ) -> None:
        self.index = index
        self.settings = settings
        self.min_score = min_score
        self.classifier = classifier or IntentClassifier.for_encoder(encoder)
        self.misses = 0
        self.last_intent: str | None = None

    def greeting(self, language: str) -> str:
        return f"{self.settings.greeting} {KEYPAD_HINT}"

    def respond(self, history: Sequence[Exchange], turn: CallerTurn) -> Reply:
        if turn.dtmf:
            reply = self._keypad(turn.dtmf)
        elif is_noise(turn.text):
            reply = Reply(NOT_CAUGHT, NOISE, 1.0)
        else:
            reply = self._speech(turn.text)
        if reply.intent == UNCLEAR:
            self.misses = 0 if reply.decision else self.misses + 1
        elif reply.intent != NOISE:  # noise neither counts as a miss nor breaks a run of them
            self.misses = 0
        self.last_intent = reply.intent
        return reply

    def menu(self) -> str:
        options = [f"For {label}, press {digit}." for digit, (label, _) in KEYPAD_TOPICS.items()]
        options += ["To hear this menu again, press 9.", "To reach the front desk, press 0."]
        return " ".join(options)

    def _speech(self, text: str) -> Reply:
        if self.last_intent == THANKS and normalise(text) in _NEGATIVE:
            return self._goodbye(1.0)
        intent = self.classifier.classify(text)
        if intent.name == HUMAN:
            return Reply(HANDOFF, HUMAN, intent.score, self._transfer("caller_asked_for_person"))
        if intent.name == GOODBYE:
            return self._goodbye(intent.score)
        if intent.name == THANKS:
            return Reply(WELCOME, THANKS, intent.score)
        return self._answer(text)

    def _answer(self, question: str) -> Reply:
        hits = self.index.search(question, k=1)
        if hits and hits[0].score >= self.min_score:
            hit = hits[0]
            text = self.index.answer_sentences(hit.passage, question)
            return Reply(text, QUESTION, hit.score, citations=(hit.passage.id,))
        score = hits[0].score if hits else 0.0
        if self.misses + 1 >= MAX_MISSES:
            transfer = self._transfer("repeated_misunderstanding")
            return Reply(HANDOFF_AFTER_MISSES, UNCLEAR, score, transfer)
        return Reply(self._clarify(), UNCLEAR, score)

    def _keypad(self, digits: str) -> Reply:
        if digits == "0":
            return Reply(HANDOFF_KEYPAD, KEYPAD, 1.0, self._transfer("keypad_operator"))
        if digits == "9":
            return Reply(self.menu(), KEYPAD, 1.0)
        if digits in KEYPAD_TOPICS:
            question = KEYPAD_TOPICS[digits][1]
            hits = self.index.search(question, k=1)
            if hits and hits[0].score >= self.min_score:
                text = self.index.answer_sentences(hits[0].passage, question)
                return Reply(text, KEYPAD, 1.0, citations=(hits[0].passage.id,))
            return Reply(f"{NO_KEYPAD_ANSWER} {self.menu()}", KEYPAD, 1.0)
        spoken = " ".join(_KEY_NAMES.get(key, key) for key in digits)
        return Reply(f"You pressed {spoken}. {self.menu()}", KEYPAD, 1.0)

    def _goodbye(self, confidence: float) -> Reply:
        text = f"Thank you for calling {self.settings.business_name}. Goodbye!"
        return Reply(text, GOODBYE, confidence, Hangup("caller_goodbye"))

    def _transfer(self, reason: str) -> Transfer:
        return Transfer(queue=self.settings.default_queue, reason=reason)

    def _clarify(self) -> str:
        topics = [_lower_first(t) for t in self.index.topics()[:MENU_TOPICS]]
        if not topics:
            return "I'm not sure I understood. Say 'front desk' to reach a person."
        listed = topics[0] if len(topics) == 1 else f"{', '.join(topics[:-1])} or {topics[-1]}"
        return (
            f"I'm not sure I understood. You can ask me about {listed}, "
            "or say 'front desk' to reach a person."
        )


def _lower_first(title: str) -> str:
    return title if title[:2].isupper() else title[:1].lower() + title[1:]
