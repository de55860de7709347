"""The phrase files (``dialog/phrases/data/<language>.yaml``) and ``say``, the one way to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.languages import PRIMARY
from config.languages import SPOKEN as LANGUAGES
from dialog.phrases import say as phrases
from dialog.phrases.say import PhraseError, keys, placeholders, say, templates


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != PRIMARY])
def test_every_key_is_in_every_spoken_language_with_the_same_placeholders(language):
    english, other = templates(PRIMARY), templates(language)
    assert set(other) == set(english)
    differ = {key: (sorted(placeholders(english[key])), sorted(placeholders(other[key])))
              for key in english if placeholders(english[key]) != placeholders(other[key])}
    assert not differ, differ
    assert all(text.strip() for text in other.values())


def test_each_spoken_language_has_its_own_file():
    for language in LANGUAGES:
        assert (phrases.DATA / f"{language}.yaml").is_file(), language
    assert {p.stem for p in phrases.DATA.glob("*.yaml")} == set(LANGUAGES)


def test_say_fills_in_values_and_reads_a_regional_tag_as_its_language():
    assert say("off_topic", "es-MX", business="Hotel Sol") == \
        "Lo siento, solo puedo ayudarle con preguntas sobre Hotel Sol."
    assert say("holding", "fr_CA") == "Un instant, s'il vous plaît."
    assert say("still_there", "de").startswith("Sind Sie noch da?")


@pytest.mark.parametrize("language", ["it", "", None, "zz-ZZ"])
def test_a_language_not_spoken_gets_the_primary_one(language):
    assert say("holding", language) == say("holding", PRIMARY) == "One moment, please."


def test_an_unknown_key_or_a_missing_value_is_an_error_that_names_it():
    with pytest.raises(KeyError, match="no_such_line"):
        say("no_such_line", "en")
    with pytest.raises(KeyError, match="business"):
        say("off_topic", "en")
    assert "hint_details_ok" in keys() and "no_such_line" not in keys()


@pytest.mark.parametrize(("text", "names"), [
    ("a:\n  x: hi\n  x: ho\n", "x: the key is written twice"),
    ("a:\n  x: 'hi {'\n", "a.x: not a format template"),
    ("a:\n  x: 3\n", "a.x: expected text"),
    ("a:\n  x: hi\nb:\n  x: ho\n", "b.x: the key is in another group too"),
    ("- hi\n", "expected groups"),
    ("a: hi\n", "a: expected 'key: template' lines"),
])
def test_a_malformed_file_is_refused_naming_the_file_and_the_key(tmp_path: Path, text, names):
    path = tmp_path / "xx.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PhraseError) as refused:
        phrases._load(path)
    assert str(path) in str(refused.value) and names in str(refused.value)


def test_a_language_missing_a_key_or_a_placeholder_is_refused(tmp_path: Path, monkeypatch):
    for language in LANGUAGES:
        (tmp_path / f"{language}.yaml").write_text(
            (phrases.DATA / f"{language}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    german = tmp_path / "de.yaml"
    monkeypatch.setattr(phrases, "DATA", tmp_path)
    try:
        german.write_text(german.read_text(encoding="utf-8").replace(
            "Sie haben {keys} gedrückt.", "Sie haben gedrückt."), encoding="utf-8")
        phrases._all.cache_clear()
        with pytest.raises(PhraseError, match=r"de\.yaml: keypad_pressed: placeholders \[\]"):
            templates("de")
        german.write_text("tasks:\n  or: oder\n", encoding="utf-8")
        phrases._all.cache_clear()
        with pytest.raises(PhraseError, match=r"de\.yaml: keys missing \[.*'holding'"):
            templates("de")
    finally:
        phrases._all.cache_clear()
