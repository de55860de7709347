"""What the caller is likely to say next, as a hint for speech recognition.

After a question with a few expected answers ("Is that right?", "What time will you arrive?")
Whisper is given typical answers, in the call's language, as its initial prompt: the decoder
then prefers those words when the audio is unclear (a short "Sí, correcto." on a telephone line,
heard as "así, con esto" without the hint). The hint holds both kinds of answer, so it favours
no answer over another. Questions for numbers and names get no hint: a sample number or name
in the prompt could be written into a transcript, and the keypad takes numbers anyway.

The hints are the ``hints`` group of the phrase files (``hint_<expects>``, read through
``dialog.phrases.say``); a language that is not one of the spoken ones gets none.
"""

from __future__ import annotations

from config.languages import SPOKEN
from dialog.phrases.say import keys, say

__all__ = ["answer_hint"]


def answer_hint(expects: str | None, language: str) -> str | None:
    """Typical answers to what the dialog ``expects``, in ``language``; None: no hint."""
    key = f"hint_{expects}"
    if language not in SPOKEN or key not in keys():
        return None
    return say(key, language)
