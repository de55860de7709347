"""The local dialog engine with the real encoder and the sample hotel file (one engine per call)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from config import DialogSettings
from dialog.engine import DialogEngine
from dialog.local import LocalDialog
from dialog.types import CallerTurn, Hangup, Reply, Transfer
from knowledge.encoder import SentenceEncoder
from knowledge.index import DEFAULT_MIN_SCORE, KnowledgeIndex
from knowledge.passages import split_sentences

HOTEL = Path(str(files("knowledge") / "data" / "hotel.md"))
SETTINGS = DialogSettings()
PERSON = Transfer(queue=SETTINGS.default_queue, reason="caller_asked_for_person")
NONSENSE = ["purple elephant banana", "what is the meaning of life", "who won the game"]


@pytest.fixture
def dialog(index: KnowledgeIndex, encoder: SentenceEncoder) -> LocalDialog:
    return LocalDialog(index, encoder, SETTINGS, DEFAULT_MIN_SCORE)


def say(engine: DialogEngine, text: str) -> Reply:
    return engine.respond([], CallerTurn(text=text))


def press(engine: DialogEngine, digits: str) -> Reply:
    return engine.respond([], CallerTurn(text="", dtmf=digits))


def breakfast_hours() -> list[str]:
    text = HOTEL.read_text(encoding="utf-8").split("## Breakfast", 1)[1].split("##", 1)[0]
    match = re.search(r"from (\d{1,2}(?::\d\d)?) to (\d{1,2}(?::\d\d)?)", text)
    assert match
    return list(match.groups())


def test_greeting_offers_the_keypad(dialog: LocalDialog) -> None:
    greeting = dialog.greeting("en")
    assert greeting.startswith(SETTINGS.greeting)
    assert "press 0 at any time to reach the front desk" in greeting


@pytest.mark.parametrize("question", ["what time is breakfast", "¿A qué hora es el desayuno?"])
def test_question_is_answered_from_the_file(dialog: LocalDialog, question: str) -> None:
    reply = say(dialog, question)
    assert reply.intent == "question" and reply.decision is None
    assert reply.citations == ("hotel.md#harbor-view-hotel/breakfast.0",)
    assert all(hour in reply.text for hour in breakfast_hours())
    assert len(split_sentences(reply.text)) <= 2 and reply.confidence >= DEFAULT_MIN_SCORE


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a real person",
        "quiero hablar con una persona",
        "agent",
        "Representative.",
        "Operator?",
        "Je voudrais parler à quelqu'un, s'il vous plaît",
        "Kann ich bitte mit einem Mitarbeiter sprechen?",
        "Could you put me through to reception?",
    ],
)
def test_asking_for_a_person_transfers(dialog: LocalDialog, text: str) -> None:
    reply = say(dialog, text)
    assert (reply.intent, reply.decision) == ("human", PERSON)
    assert "front desk" in reply.text


def test_transfer_uses_the_configured_queue(
    index: KnowledgeIndex, encoder: SentenceEncoder
) -> None:
    settings = DialogSettings(default_queue="concierge")
    reply = say(LocalDialog(index, encoder, settings, DEFAULT_MIN_SCORE), "agent")
    assert reply.decision == Transfer(queue="concierge", reason="caller_asked_for_person")


@pytest.mark.parametrize(
    "question", ["Is the front desk open at night?", "great thanks, and how much is parking?"]
)
def test_questions_naming_the_desk_or_thanks_are_still_questions(
    dialog: LocalDialog, question: str
) -> None:
    reply = say(dialog, question)
    assert reply.intent == "question" and reply.decision is None and reply.citations


@pytest.mark.parametrize("text", ["bye, that's all", "Goodbye.", "gracias, adiós"])
def test_goodbye_hangs_up(dialog: LocalDialog, text: str) -> None:
    reply = say(dialog, text)
    assert (reply.intent, reply.decision) == ("goodbye", Hangup("caller_goodbye"))


def test_thanks_then_no_hangs_up(dialog: LocalDialog) -> None:
    thanks = say(dialog, "thank you so much")
    assert thanks.intent == "thanks" and thanks.decision is None and thanks.text.endswith("?")
    assert say(dialog, "No.").decision == Hangup("caller_goodbye")


@pytest.mark.parametrize("text", ["yes", "hello?", "no", "wait", "okay"])
def test_short_replies_never_end_the_call(dialog: LocalDialog, text: str) -> None:
    assert say(dialog, text).decision is None


def test_three_misses_in_a_row_transfer(dialog: LocalDialog) -> None:
    first, second, third = (say(dialog, text) for text in NONSENSE)
    for clarify in (first, second):
        assert clarify.intent == "unclear" and clarify.decision is None
        assert "breakfast" in clarify.text and "front desk" in clarify.text
    assert third.decision == Transfer(SETTINGS.default_queue, "repeated_misunderstanding")


def test_an_answer_resets_the_miss_count_and_noise_does_not_count(dialog: LocalDialog) -> None:
    replies = [say(dialog, NONSENSE[0]), say(dialog, NONSENSE[1]), say(dialog, "when is check out")]
    replies += [say(dialog, NONSENSE[2]), say(dialog, "uh"), say(dialog, NONSENSE[0])]
    assert all(reply.decision is None for reply in replies)
    assert say(dialog, NONSENSE[1]).decision == Transfer(
        SETTINGS.default_queue, "repeated_misunderstanding"
    )


def test_keypad_zero_transfers(dialog: LocalDialog) -> None:
    reply = press(dialog, "0")
    assert reply.decision == Transfer(SETTINGS.default_queue, "keypad_operator")


def test_keypad_topics_read_answers(dialog: LocalDialog) -> None:
    breakfast = press(dialog, "1")
    assert all(hour in breakfast.text for hour in breakfast_hours())
    assert breakfast.citations == ("hotel.md#harbor-view-hotel/breakfast.0",)
    assert press(dialog, "4").citations == ("hotel.md#harbor-view-hotel/wifi.0",)
    assert press(dialog, "3").citations == ("hotel.md#harbor-view-hotel/parking.0",)
    assert "check-out" in press(dialog, "2").text


def test_keypad_menu_and_unknown_digits(dialog: LocalDialog) -> None:
    menu = press(dialog, "9")
    assert menu.text == dialog.menu() and "press 0" in menu.text and menu.decision is None
    echo = press(dialog, "4729")
    assert echo.text == f"You pressed 4 7 2 9. {dialog.menu()}" and echo.decision is None
    assert press(dialog, "*#").text.startswith("You pressed star pound.")


@pytest.mark.parametrize(
    "text", ["", "   ", "uh", "Um...", "you", "You.", "Thank you for watching!", "[BLANK_AUDIO]"]
)
def test_silence_and_whisper_hallucinations_are_noise(dialog: LocalDialog, text: str) -> None:
    reply = say(dialog, text)
    assert (reply.intent, reply.decision, reply.text) == (
        "noise",
        None,
        "Sorry, I didn't catch that.",
    )
