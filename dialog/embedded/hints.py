"""What the caller is likely to say next, as a hint for speech recognition.

After a question with a few expected answers ("Is that right?", "What time will you arrive?")
Whisper is given typical answers, in the call's language, as its initial prompt: the decoder
then prefers those words when the audio is unclear (a short "Sí, correcto." on a telephone line,
heard as "así, con esto" without the hint). The hint holds both kinds of answer, so it favours
no answer over another. Questions for numbers and names get no hint: a sample number or name
in the prompt could be written into a transcript, and the keypad takes numbers anyway.
"""

from __future__ import annotations

__all__ = ["HINTS", "answer_hint"]

# expected answer -> language -> typical answers
HINTS: dict[str, dict[str, str]] = {
    "details_ok": {
        "en": "Yes, that's right. No, that's not right.",
        "es": "Sí, es correcto. No, no es correcto.",
        "fr": "Oui, c'est correct. Non, ce n'est pas correct.",
        "de": "Ja, das stimmt. Nein, das stimmt nicht.",
    },
    "arrival_time": {
        "en": "Around eight in the evening. At half past six. I don't know yet.",
        "es": "Sobre las ocho de la noche. A las seis y media. Todavía no lo sé.",
        "fr": "Vers vingt heures. À dix-huit heures trente. Je ne sais pas encore.",
        "de": "Gegen acht Uhr abends. Um halb sieben. Das weiß ich noch nicht.",
    },
    "requests": {
        "en": "No, thank you. A quiet room, please. An extra pillow.",
        "es": "No, gracias. Una habitación tranquila, por favor. Una almohada más.",
        "fr": "Non, merci. Une chambre calme, s'il vous plaît. Un oreiller de plus.",
        "de": "Nein, danke. Ein ruhiges Zimmer, bitte. Ein zusätzliches Kissen.",
    },
    "choice": {
        "en": "Please call me back. Another colleague, please. No, thank you.",
        "es": "Llámeme, por favor. Otro compañero, por favor. No, gracias.",
        "fr": "Rappelez-moi, s'il vous plaît. Un autre collègue, s'il vous plaît. Non, merci.",
        "de": "Rufen Sie mich bitte zurück. Einen anderen Kollegen, bitte. Nein, danke.",
    },
}


def answer_hint(expects: str | None, language: str) -> str | None:
    """Typical answers to what the dialog ``expects``, in ``language``; None: no hint."""
    return HINTS.get(expects or "", {}).get(language)
