"""Adopting the caller's language and switching on request (dialog/understanding/language.py)."""

from __future__ import annotations

import pytest

from dialog.understanding.language import detected_language, requested_language


@pytest.mark.parametrize(("text", "expected"), [
    ("Do you speak Spanish?", "es"),
    ("¿Habla español?", "es"),
    ("Español, por favor.", "es"),
    ("Habla espanol", "es"),  # as tiny.en writes it
    ("In English, please.", "en"),
    ("¿Podemos hablar en inglés?", "en"),
    ("Parlez-vous français ?", "fr"),
    ("Deutsch, bitte.", "de"),
    ("Können wir Deutsch sprechen?", "de"),
    ("English.", "en"),
    ("I booked through your Spanish website last week for my family.", None),
    ("I'd like to check in.", None),
    ("Spanish or French?", None),  # two languages: ask, don't guess
    ("Do you have a French restaurant?", None),
    ("Is there a German newspaper at the hotel?", None),
    ("Can we speak German?", "de"),
    ("En español, por favor.", "es"),
    ("Spanish, please.", "es"),
    ("Auf Deutsch bitte.", "de"),
])
def test_a_caller_asks_for_a_language(text: str, expected: str | None) -> None:
    assert requested_language(text) == expected


def test_a_detection_is_kept_only_when_sure() -> None:
    assert detected_language("es", 0.93, "Quisiera hacer el check-in, por favor.", 2.4) == "es"
    assert detected_language("es", 0.41, "Quisiera hacer el check-in.", 2.0) is None  # unsure
    assert detected_language("fr", 0.98, "Allô ?", 1.6) is None  # one word
    assert detected_language("en", 0.7, "Thank you very much.", 1.1) is None  # too short
    assert detected_language("ja", 0.99, "チェックインをお願いします", 2.0) is None  # not spoken
