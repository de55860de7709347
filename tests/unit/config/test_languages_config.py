"""The languages the agent speaks and how a tag is read (config/languages.py), and that nothing
else keeps its own copy of either."""

import re

import pytest
from testpaths import ROOT

from config import Settings
from config.languages import (
    NAMES,
    PRIMARY,
    SPOKEN,
    is_tag,
    name,
    normalise,
    spoken_language,
    supported,
)
from knowledge.language import normalise_language

ROOT = ROOT
# Tags as they come (rules, settings, Whisper, pipecat, document front matter), odd ones too.
TAGS = ["en", "es", "fr", "de", "EN", "De", "es-MX", "pt-BR", "pt_BR", "EN_us", "fr_FR",
        "zh-Hant-TW", "es-", "-es", "es--MX", "es_MX.UTF-8", " es", "es ", "it", "english",
        "english!", "e", "", None]


# What the modules did before they shared this one (issue 12), kept here to hold it to them.
def _old_supported(language):  # dialog/phrasing.py supported
    code = (language or "en").replace("_", "-").split("-")[0].lower()
    return code if code in ("en", "es", "fr", "de") else "en"


def _old_primary(language):  # dialog/phrases/lines.py Lines.get
    return (language or "").replace("_", "-").split("-")[0].lower()


def _old_knowledge(tag):  # knowledge/language.py normalise_language
    if not isinstance(tag, str):
        return None
    match = re.match(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$", tag.strip())
    return match.group(1).lower() if match else None


def test_the_agent_speaks_four_languages_english_first():
    assert SPOKEN == ("en", "es", "fr", "de")
    assert PRIMARY == "en" and PRIMARY in SPOKEN


def test_speech_recognition_chooses_among_the_spoken_languages_by_default():
    assert Settings().stt.languages == list(SPOKEN)


@pytest.mark.parametrize(("tag", "expected"), [
    ("en", "en"), ("DE", "de"), ("es-MX", "es"), ("pt-BR", "pt"), ("pt_BR", "pt"),
    ("EN_us", "en"), ("fr_FR", "fr"), ("zh-Hant-TW", "zh"), ("english", "english"),
    ("-es", ""), ("", ""), (None, ""),
])
def test_a_tag_is_cut_to_its_lower_case_primary_subtag(tag, expected):
    assert normalise(tag) == expected


@pytest.mark.parametrize(("tag", "expected"), [
    ("pt_BR", True), ("zh-Hant-TW", True), ("EN", True), (" fr ", True), ("es-", False),
    ("english!", False), ("e", False), ("", False), (None, False), (3, False),
])
def test_what_is_shaped_like_a_tag(tag, expected):
    assert is_tag(tag) is expected


@pytest.mark.parametrize("tag", TAGS)
def test_every_tag_reads_as_it_did_in_the_dialog_and_the_knowledge_base(tag):
    assert supported(tag) == _old_supported(tag)
    assert normalise(tag) == _old_primary(tag)
    assert normalise_language(tag) == _old_knowledge(tag)


@pytest.mark.parametrize("tag", [t for t in TAGS if t and "_" not in t])
def test_the_voices_cut_a_hyphenated_tag_as_before(tag):
    # voice/tts.py, voice/models.py and voice/espeak.py cut at "-" only; "pt_BR" now finds "pt"
    assert normalise(tag) == str(tag).split("-")[0].lower()


@pytest.mark.parametrize(("tag", "expected"), [
    ("es-MX", "es"), ("DE", "de"), ("fr_FR", "fr"), ("it", "en"), ("pt-BR", "en"), ("", "en"),
    (None, "en"), ("english", "en"),
])
def test_a_language_the_agent_does_not_speak_falls_back_to_english(tag, expected):
    assert supported(tag) == expected


@pytest.mark.parametrize(("tag", "expected"), [("en", "en"), ("es-MX", "es"), ("fr_FR", "fr"),
                                               ("DE", "de")])
def test_a_spoken_language_is_required_where_the_words_are_parsed(tag, expected):
    assert spoken_language(tag) == expected


@pytest.mark.parametrize("tag", ["it", "pt-BR", "english", ""])
def test_another_language_is_refused_where_the_words_are_parsed(tag):
    with pytest.raises(ValueError, match="unsupported language"):
        spoken_language(tag)


def test_every_spoken_language_has_a_name_and_other_codes_stand_for_themselves():
    assert set(SPOKEN) <= set(NAMES)
    assert [name(code) for code in ("en", "es", "fr", "de", "pt", "xx")] == [
        "English", "Spanish", "French", "German", "Portuguese", "xx"]


def test_no_other_module_cuts_a_tag_or_lists_the_spoken_languages():
    own = ROOT / "config" / "languages.py"
    cutting = re.compile(r"""\.split\(["']-["']\)\[0\]""")
    listing = re.compile(r"""^\s*(SPOKEN|LANGUAGES)\s*=\s*[(\[]""", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for layer in ("config", "knowledge", "voice", "dialog", "telephony")
        for path in (ROOT / layer).rglob("*.py")
        if path != own and (cutting.search(text := path.read_text()) or listing.search(text))
    ]
    assert offenders == []
