"""The embedded engine's own questions in the caller's language: the clarifying question when
it is not sure what the caller wants, and the keypad menu used when no routing rules give one
(dialog/embedded/engine.py, lines in dialog/phrases/lines.py). Real paths, as in
tests/unit/dialog/test_dialog_embedded.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_checkin import Guest
from test_dialog_embedded import NONSENSE

from config import Settings
from dialog.deps import DialogDeps
from dialog.embedded.engine import spoken_list
from dialog.loader import load_dialog
from knowledge.encoder import SentenceEncoder

# What a caller might say that the hotel's documents do not answer, per language.
UNCLEAR = {
    "en": NONSENSE[0],
    "es": "elefante morado con plátano",
    "fr": "éléphant violet et banane",
    "de": "lila Elefant mit Banane",
}
# The first topics of the hotel's documents, as named in the clarifying question.
FIRST_TOPICS = {"en": "breakfast", "es": "desayuno", "fr": "petit-déjeuner", "de": "Frühstück"}
MENU = {
    "es": ("Para el desayuno, marque 1.", "Para el wifi, marque 4.",
           "Para volver a escuchar este menú, marque 9.",
           "Para hablar con una persona, marque 0."),
    "fr": ("Pour le petit-déjeuner, tapez 1.", "Pour le wifi, tapez 4.",
           "Pour réécouter ce menu, tapez 9.", "Pour parler à quelqu'un, tapez 0."),
    "de": ("Für das Frühstück drücken Sie 1.", "Für das WLAN drücken Sie 4.",
           "Um dieses Menü noch einmal zu hören, drücken Sie 9.",
           "Um mit jemandem zu sprechen, drücken Sie 0."),
}


def _deps(business: str, models_dir: Path, encoder: SentenceEncoder,
          tmp_path_factory: pytest.TempPathFactory) -> DialogDeps:
    settings = Settings(data_dir=tmp_path_factory.mktemp(business), models_dir=models_dir,
                        dialog={"business": business})
    return load_dialog(settings, encoder=encoder)


@pytest.fixture(scope="module")
def hotel(models_dir: Path, encoder: SentenceEncoder,
          tmp_path_factory: pytest.TempPathFactory) -> DialogDeps:
    return _deps("hotel", models_dir, encoder, tmp_path_factory)


@pytest.fixture(scope="module")
def support(models_dir: Path, encoder: SentenceEncoder,
            tmp_path_factory: pytest.TempPathFactory) -> DialogDeps:
    return _deps("support", models_dir, encoder, tmp_path_factory)


def test_spoken_lists() -> None:
    assert spoken_list([], "or") == ""
    assert spoken_list(["parking"], "or") == "parking"
    assert spoken_list(["a", "b", "c"], "oder") == "a, b oder c"


@pytest.mark.parametrize("language", ["es", "fr", "de"])
async def test_the_clarifying_question_is_in_the_callers_language(hotel: DialogDeps,
                                                                  language: str) -> None:
    guest = Guest(hotel, "", language)
    reply = await guest.say(UNCLEAR[language])
    assert reply.intent == "unclear" and reply.decision is None, reply
    assert FIRST_TOPICS[language] in reply.text
    guest.all_in_language()


async def test_the_clarifying_question_in_english_is_unchanged(hotel: DialogDeps) -> None:
    reply = await Guest(hotel, "", "en").say(UNCLEAR["en"])
    assert reply.text == (
        "I'm not sure I understood. You can ask me about breakfast, check-in and check-out, "
        "parking, wifi, pets or cancellations, or say 'agent' to reach a person.")


async def test_without_documents_in_the_language_no_topics_are_named(
        support: DialogDeps) -> None:
    guest = Guest(support, "", "es")
    reply = await guest.say("elefante morado con plátano")
    assert reply.text == ("No estoy seguro de haberle entendido. Diga «agente» para hablar con "
                          "una persona.")


@pytest.mark.parametrize("language", ["es", "fr", "de"])
async def test_the_keypad_menu_is_in_the_callers_language(hotel: DialogDeps,
                                                          language: str) -> None:
    guest = Guest(hotel, "", language)
    menu = await guest.press("9")
    assert all(option in menu.text for option in MENU[language]), menu.text
    pressed = await guest.press("47*")
    assert pressed.text.endswith(menu.text)
    guest.all_in_language()
    # A topic is read from the document in the caller's language ("Lighthouse Room" and all).
    breakfast = await guest.press("1")
    assert breakfast.citations and breakfast.citations[0].startswith(f"hotel.{language}.md#")
    assert FIRST_TOPICS[language].lower() in breakfast.text.lower()


async def test_keys_that_are_no_digit_are_named_in_the_language(hotel: DialogDeps) -> None:
    assert (await Guest(hotel, "", "es").press("*#")).text.startswith(
        "Ha marcado asterisco almohadilla.")
    assert (await Guest(hotel, "", "de").press("12")).text.startswith("Sie haben 1 2 gedrückt.")
