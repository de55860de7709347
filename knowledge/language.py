"""Which language a document is written in, offline.

A language the document declares (Markdown front matter ``lang:``, HTML ``<html lang>``) wins;
otherwise py3langid guesses from the text. py3langid is a maintained fork of langid.py: a naive
Bayes model over byte n-grams, shipped inside the wheel (no download), deterministic (unlike
langdetect), numpy-only, and accurate on whole documents. Its guesses are limited to the
languages the multilingual sentence encoder was trained on, since passages in other languages
would not be retrieved well anyway and a smaller label set makes fewer mistakes on short texts.
"""

from __future__ import annotations

import threading
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from config.languages import is_tag, normalise

__all__ = ["ENCODER_LANGUAGES", "detect_language", "normalise_language"]

# Universal Sentence Encoder Multilingual's 16 languages (zh-cn and zh-tw share "zh").
ENCODER_LANGUAGES = (
    "ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh",
)
# The model is a few MB to unpickle (~0.8 s): loaded on first use, by one thread.
_LOAD_LOCK = threading.Lock()


def normalise_language(tag: object) -> str | None:
    """A declared BCP 47 tag ("es-MX", "pt_BR", "EN") -> its lower-case primary subtag; None if
    it is not one (then the text's language is detected instead)."""
    return normalise(tag.strip()) if isinstance(tag, str) and is_tag(tag) else None


def detect_language(text: str, *, default: str = "en") -> str:
    """The ISO 639-1 code of ``text``'s language; ``default`` for text with no letters."""
    sample = text[:20_000]  # plenty for a confident guess; bounds the time on huge files
    if not any(c.isalpha() for c in sample):
        return default
    language, _probability = _identifier().classify(sample)
    return str(language)


def _identifier() -> LanguageIdentifier:
    with _LOAD_LOCK:
        return _load_identifier()


@cache
def _load_identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(ENCODER_LANGUAGES))
    return identifier
