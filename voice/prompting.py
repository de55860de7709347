"""Whether a transcript only repeats the recognition hint Whisper was prompted with.

After a question with a few expected answers, Whisper gets typical answers as its initial
prompt (``dialog.embedded.hints``). It then hears a short unclear answer right ("así es
correcto" -> "Sí, es correcto."), but now and then writes a sentence of the prompt over what the
caller said ("¿Tienen aparcamiento?" -> "No, no es correcto."). ``voice.stt`` hears such a
transcript again without the hint and keeps it only when the two are alike.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["PROMPT_SUPPORT", "likeness", "repeats_prompt"]

# A transcript that repeats a recognition hint's sentence stands only when the same audio heard
# without the hint is at least this alike (difflib ratio of the words). On the 24 hinted clips
# of tests/unit/voice/test_stt_hints.py the real answers were 0.74-1.00 alike, the one hint
# written over a question 0.35 (the value was chosen on that set: see the README).
PROMPT_SUPPORT = 0.5


def _plain_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def likeness(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _plain_words(a), _plain_words(b)).ratio()


def repeats_prompt(text: str, prompt: str) -> bool:
    """``text`` is one of the sentences of the recognition hint ``prompt``, word for word."""
    said = _plain_words(text)
    return bool(said) and said in {_plain_words(s) for s in re.split(r"(?<=[.!?])\s+", prompt)}
