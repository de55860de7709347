"""The languages the agent speaks, and how a language tag is read. The one owner of both.

The agent's lines, tasks and tool sentences are written in ``SPOKEN``; ``PRIMARY`` is the one
everything falls back to. A tag ("es-MX", "pt_BR", "EN") is cut to its lower-case primary
subtag by ``normalise``, the only place that does so: the dialog's lookups, the knowledge
base's declared document languages and the voices' lookups all go through it.

A business's rules name which of these languages it offers (``rules.business.languages``) and
the settings may narrow what speech recognition chooses among (``stt.languages``, by default
``SPOKEN``); both are choices among these, not other sources of them.
"""

from __future__ import annotations

import re

__all__ = [
    "NAMES",
    "PRIMARY",
    "SPOKEN",
    "is_tag",
    "name",
    "normalise",
    "spoken_language",
    "supported",
]

SPOKEN = ("en", "es", "fr", "de")  # the languages the agent's lines and tasks are written in
PRIMARY = "en"  # what a language the agent does not speak falls back to
# English names, for text read by a model ("Reply in Spanish"); codes not here are used as is.
NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German",
         "it": "Italian", "pt": "Portuguese", "nl": "Dutch"}

# A well-formed tag: a 2-3 letter primary subtag, then subtags joined by "-" or "_".
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")


def normalise(tag: object) -> str:
    """The lower-case primary subtag of a language tag: "es-MX" -> "es", "EN_us" -> "en",
    "DE" -> "de"; "" for None or "". Any other text is cut the same way ("english" ->
    "english"): ``is_tag`` says whether it is a tag at all."""
    if not tag:
        return ""
    return str(tag).replace("_", "-").split("-")[0].lower()


def is_tag(tag: object) -> bool:
    """Whether ``tag`` (surrounding spaces aside) is shaped like a BCP 47 language tag:
    "pt_BR", "zh-Hant-TW", "EN" are; "", "english!", 3 are not."""
    return isinstance(tag, str) and _TAG.match(tag.strip()) is not None


def supported(tag: str | None) -> str:
    """The spoken language of ``tag`` ("es-MX" -> "es"), ``PRIMARY`` for any other."""
    code = normalise(tag)
    return code if code in SPOKEN else PRIMARY


def spoken_language(tag: str) -> str:
    """The spoken language of "en", "es-MX", "fr_FR", "DE"; ValueError for other languages."""
    code = normalise(tag)
    if code not in SPOKEN:
        raise ValueError(f"unsupported language {tag!r}; expected one of {SPOKEN}")
    return code


def name(code: str) -> str:
    """The English name of the language ``code`` ("es" -> "Spanish"); the code if unnamed."""
    return NAMES.get(code, code)
