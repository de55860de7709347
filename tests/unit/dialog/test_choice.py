"""The caller's choice after a transfer no agent took: keypad or words, in four languages."""

from __future__ import annotations

import pytest

from dialog.embedded.choice import CALLBACK, NEXT_AGENT, read_choice, spoken_digits

BOTH = (CALLBACK, NEXT_AGENT)


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Please call me back.", "en", CALLBACK),
    ("Can you have someone call me back later?", "en", CALLBACK),
    ("No, just call me back.", "en", CALLBACK),
    ("Try another person please.", "en", NEXT_AGENT),
    ("I'll wait, try again.", "en", NEXT_AGENT),
    ("No thanks, never mind.", "en", "decline"),
    ("No.", "en", "decline"),
    ("Yes.", "en", None),  # yes to which? asked again
    ("What are your opening hours?", "en", None),
    ("Que me llamen, por favor.", "es", CALLBACK),
    ("Prefiero esperar a otro compañero.", "es", NEXT_AGENT),
    ("No, gracias.", "es", "decline"),
    ("Rappelez-moi plus tard.", "fr", CALLBACK),
    ("Essayez un autre collègue.", "fr", NEXT_AGENT),
    ("Non merci.", "fr", "decline"),
    ("Bitte einen Rückruf.", "de", CALLBACK),
    ("Versuchen Sie es bei einem anderen Kollegen.", "de", NEXT_AGENT),
    ("Nein danke.", "de", "decline"),
])
def test_words_choose_in_the_callers_language(text: str, language: str, expected) -> None:
    assert read_choice(text, None, language, BOTH) == expected


def test_keys_and_a_single_offer() -> None:
    assert read_choice("", "1", "en", BOTH) == CALLBACK
    assert read_choice("", "2#", "en", BOTH) == NEXT_AGENT
    assert read_choice("", "2", "en", (CALLBACK,)) is None  # not offered: asked again
    assert read_choice("", "7", "en", BOTH) is None
    # Only a callback offered (closed hours): a plain yes takes it; the next agent is not on.
    assert read_choice("Yes please.", None, "en", (CALLBACK,)) == CALLBACK
    assert read_choice("Sí, por favor.", None, "es", (CALLBACK,)) == CALLBACK
    assert read_choice("Try another agent.", None, "en", (CALLBACK,)) is None


def test_the_callback_number_is_read_digit_by_digit() -> None:
    assert spoken_digits("+15551234567") == "4 5 6 7"
    assert spoken_digits("") == ""
