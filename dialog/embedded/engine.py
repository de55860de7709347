"""The embedded dialog engine: intents, knowledge answers, a keypad menu and tasks, with no LLM.

One ``EmbeddedDialog`` per call; its state lives in the call's ``CallState`` (so a call carried
between ``frontdesk try`` runs behaves the same). It is the whole dialog when no LLM is
configured, and the fast path in front of one. The manager has already classified the
utterance and searched the knowledge (``intent``, ``hits``); this engine decides:
- keypad 0 reaches a person at any time, as the greeting says;
- a task in progress waiting for a value (a confirmation number, a ZIP code) reads it from the
  words or the keypad (``dialog.embedded.tasks``);
- after "Is there anything else I can help you with?", a short "no" ends the call and a "yes"
  invites the next request;
- otherwise the intent's action: transfer, goodbye, thanks, decline (off-topic), a task, or an
  answer from the best knowledge passage; a clarifying question when nothing is close enough,
  and a transfer after ``low_confidence_turns`` misses in a row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from config.languages import SPOKEN, supported
from config.policy import CallPolicy
from dialog.embedded import slots
from dialog.embedded.tasks import Task, Tasks
from dialog.phrases.lines import Lines
from dialog.phrases.say import say
from dialog.state import CallState
from dialog.types import CallerTurn, Exchange, Hangup, Reply, Transfer
from dialog.understanding.classifier import Intent, normalise
from dialog.understanding.escalation import ASKED_FOR_PERSON, LOW_CONFIDENCE
from knowledge.index import Hit

if TYPE_CHECKING:
    from dialog.deps import DialogDeps

__all__ = ["EmbeddedDialog", "done_after_anything_else", "is_aside", "spoken_list"]

MENU_TOPICS = 6  # topics named in the clarifying question
CLOSING_WORDS = 4  # longer answers to "anything else?" are requests, not a yes or a no
NOISE = "noise"
UNCLEAR = "unclear"
KEYPAD = "keypad"
OPERATOR_KEY = "0"
MENU_KEY = "9"
_KEY_NAMES = {"*": "key_star", "#": "key_pound"}  # the lines naming the keys that are no digit


def done_after_anything_else(text: str, language: str,
                             negatives: Collection[str]) -> bool | None:
    """The caller's answer to "anything else?": True when they are done ("no", "no thanks,
    that's it"), False when they want more ("yes"), None when it is a request of its own.

    ``negatives`` are the intents file's negative answers, normalised.
    """
    if normalise(text) in negatives:
        return True
    if len(text.split()) > CLOSING_WORDS:
        return None
    answer = slots.parse_yes_no(text, supported(language))
    return None if answer is None else not answer


def is_aside(text: str, language: str, intent: Intent, hits: Sequence[Hit],
             min_score: float) -> bool:
    """While a task waits for a value: a question the knowledge answers ("what time is
    breakfast?"), answered before the task's question is asked again. Anything with a number
    in it is taken as an attempt at the value (a miss), never as a question."""
    if intent.action not in ("counterweight", "answer") or not hits:
        return False
    if hits[0].score < min_score:
        return False
    return slots.parse_digits(text, supported(language), min_len=1, max_len=64) is None


class EmbeddedDialog:
    def __init__(self, deps: DialogDeps, state: CallState, lines: Lines,
                 policy: CallPolicy, tasks: Mapping[str, Task]) -> None:
        self.deps = deps
        self.state = state
        self.lines = lines
        self.settings = deps.settings
        self.policy = policy  # the call's thresholds and queues
        self.tasks = Tasks(deps.registry, state, lines, policy, tasks)  # the business's tasks
        self.intents = deps.classifier.intents
        self._negatives = frozenset(normalise(a) for a in self.intents.negative_answers)

    def greeting(self, language: str) -> str:
        desk = say("desk_front" if self.state.business == "hotel" else "desk_colleague", language)
        return f"{self.settings.dialog.greeting} {say('keypad_hint_greeting', language, desk=desk)}"

    def expects_slot(self) -> bool:
        return self.tasks.expects_slot()

    async def respond(self, history: Sequence[Exchange], turn: CallerTurn,
                      intent: Intent | None, hits: list[Hit]) -> Reply:
        reply = await self._respond(turn, intent, hits)
        # Misunderstood turns in a row are this engine's to count (``_answer``): any turn it
        # understood breaks the run; noise neither counts nor breaks it. A task counts the
        # misses of its own questions.
        if reply.intent not in (NOISE, UNCLEAR):
            self.state.low_confidence_streak = 0
        return reply

    async def _respond(self, turn: CallerTurn, intent: Intent | None,
                       hits: list[Hit]) -> Reply:
        if turn.dtmf:
            if slots.parse_keypad_digits(turn.dtmf) == OPERATOR_KEY:
                self.tasks.cancel()  # "press 0 at any time", even in the middle of a task
                return self._operator()
            if self.tasks.expects_slot():
                reply = await self.tasks.answer(turn)
                assert reply is not None  # digits are an answer or a miss, never a new request
                return reply
            return self._keypad(turn.dtmf)
        if intent is None:
            pending = self.tasks.pending_question()
            not_caught = self._line("not_caught")
            text = f"{not_caught} {pending}" if pending else not_caught
            return Reply(text, NOISE, 1.0, reason_codes=("noise",))
        if self.tasks.expects_slot():
            aside = is_aside(turn.text, self.state.language, intent, hits,
                             self.settings.knowledge.min_score)
            slot_reply = await self.tasks.answer(turn, intent, aside=aside)
            if slot_reply is not None:
                return slot_reply
            if self.tasks.expects_slot():  # the aside: its answer, then the question again
                answer = self._answer(turn.text, hits)
                return replace(answer, text=f"{answer.text} {self.tasks.pending_question()}")
        return await self._speech(turn, intent, hits)

    async def _speech(self, turn: CallerTurn, intent: Intent, hits: list[Hit]) -> Reply:
        if self._asked_anything_else():
            done = done_after_anything_else(turn.text, self.state.language, self._negatives)
            if done:
                return self._goodbye(1.0)
            if done is False:
                return Reply(self._line("what_else"), intent.name, intent.score,
                             reason_codes=("anything_else",))
        action = intent.action
        if action == "transfer":
            return Reply(self.lines.get("handoff", self.state.language), intent.name,
                         intent.score, self._transfer(ASKED_FOR_PERSON),
                         reason_codes=("intent:transfer",))
        if action == "hangup":
            return self._goodbye(intent.score)
        if action == "thanks":
            return Reply(self._line("welcome"), intent.name, intent.score,
                         reason_codes=("intent:thanks",))
        if action == "decline":
            return Reply(self.lines.get("off_topic", self.state.language), intent.name,
                         intent.score, reason_codes=("off_topic",))
        if action == "task" and intent.task:
            return await self.tasks.start(intent, turn)
        if normalise(turn.text) in _GREETINGS:  # "Hi." said before the request itself
            return Reply(self.lines.get("how_can_i_help", self.state.language), "chatter",
                         intent.score, reason_codes=("greeting",))
        return self._answer(turn.text, hits)

    def _asked_anything_else(self) -> bool:
        replies = self.state.recent_replies
        return bool(replies) and replies[-1].endswith(_ANYTHING_ELSE)

    def _line(self, key: str) -> str:
        return self.lines.get(key, self.state.language)

    def _answer(self, question: str, hits: list[Hit]) -> Reply:
        if hits and hits[0].score >= self.settings.knowledge.min_score:
            hit = hits[0]
            text = self.deps.index.answer_sentences(hit.passage, question)
            return Reply(text, "question", hit.score, citations=(hit.passage.id,),
                         reason_codes=("kb_answer",))
        score = hits[0].score if hits else 0.0
        self.state.low_confidence_streak += 1
        if self.state.low_confidence_streak >= self.policy.escalation.low_confidence_turns:
            self.state.low_confidence_streak = 0
            return Reply(self._line("handoff_after_misses"), UNCLEAR, score,
                         self._transfer(LOW_CONFIDENCE),
                         reason_codes=("low_confidence", f"escalate:{LOW_CONFIDENCE}"))
        return Reply(self._clarify(), UNCLEAR, score, reason_codes=("low_confidence",))

    def _operator(self) -> Reply:
        return Reply(self.lines.get("handoff", self.state.language), KEYPAD, 1.0,
                     self._transfer("keypad_operator"), reason_codes=("keypad",))

    def _keypad(self, digits: str) -> Reply:
        if digits == MENU_KEY:
            return Reply(self.menu(), KEYPAD, 1.0, reason_codes=("keypad",))
        topics = self.keypad_topics()
        if digits in topics:
            question = topics[digits][1]
            hits = self.deps.index.search_preferring(question, self.state.language, 1)
            if hits and hits[0].score >= self.settings.knowledge.min_score:
                text = self.deps.index.answer_sentences(hits[0].passage, question)
                return Reply(text, KEYPAD, 1.0, citations=(hits[0].passage.id,),
                             reason_codes=("keypad", "kb_answer"))
            return Reply(f"{self._line('no_keypad_answer')} {self.menu()}", KEYPAD, 1.0,
                         reason_codes=("keypad",))
        keys = " ".join(self._line(_KEY_NAMES[key]) if key in _KEY_NAMES else key
                        for key in digits)
        pressed = self.lines.get("keypad_pressed", self.state.language, keys=keys)
        return Reply(f"{pressed} {self.menu()}", KEYPAD, 1.0, reason_codes=("keypad",))

    def keypad_topics(self) -> dict[str, tuple[str, str]]:
        """digit -> (menu label in the caller's language, question), in digit order."""
        return self.intents.keypad_topics(self.state.business, self.state.language)

    def menu(self) -> str:
        """The keypad menu (used when no routing rules give one), in the caller's language."""
        language = self.state.language
        options = [self.lines.get("keypad_option", language, label=label, digit=digit)
                   for digit, (label, _) in self.keypad_topics().items()]
        options += [self.lines.get("keypad_repeat", language, digit=MENU_KEY),
                    self.lines.get("keypad_person", language, digit=OPERATOR_KEY)]
        return " ".join(options)

    def _goodbye(self, confidence: float) -> Reply:
        self.tasks.cancel()
        text = self._line("goodbye_business")
        return Reply(text, "goodbye", confidence, Hangup("caller_goodbye"),
                     reason_codes=("intent:hangup",))

    def _transfer(self, reason: str) -> Transfer:
        return Transfer(queue=self.policy.default_queue, reason=reason)

    def _clarify(self) -> str:
        """What the caller can ask about: the knowledge's topics in the caller's language
        (none named when the documents are not in it)."""
        language = supported(self.state.language)
        topics = [_lower_first(t, language)
                  for t in self.deps.index.topics(language)[:MENU_TOPICS]]
        if not topics:
            return self._line("clarify")
        listed = spoken_list(topics, self._line("or"))
        return self.lines.get("clarify_topics", language, topics=listed)


# "Is there anything else I can help you with?" in every language: a "no" to it ends the call.
_ANYTHING_ELSE = tuple(say("anything_else_q", language) for language in SPOKEN)
_GREETINGS = frozenset({"hi", "hello", "hey", "hi there", "hello there", "good morning",
                        "good afternoon", "good evening", "hola", "buenos dias", "bonjour",
                        "allo", "hallo", "guten tag", "guten morgen"})


def spoken_list(items: Sequence[str], conjunction: str) -> str:
    """"a, b or c", with the language's word for "or" (or "and")."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _lower_first(title: str, language: str) -> str:
    """A heading inside a sentence: lower-case first letter, except in acronyms ("WLAN") and
    in German (nouns keep their capital)."""
    if language == "de" or title[:2].isupper():
        return title
    return title[:1].lower() + title[1:]
