"""Fixed lines the dialog speaks on its own, per language (English when one is missing)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_LINES", "Lines"]

DEFAULT_LINES: dict[str, dict[str, str]] = {
    "holding": {
        "en": "One moment, please.",
        "es": "Un momento, por favor.",
        "fr": "Un instant, s'il vous plaît.",
        "de": "Einen Moment, bitte.",
    },
    "how_can_i_help": {
        "en": "Hello! How can I help you?",
        "es": "¡Hola! ¿En qué puedo ayudarle?",
        "fr": "Bonjour ! Comment puis-je vous aider ?",
        "de": "Hallo! Wie kann ich Ihnen helfen?",
    },
    "go_on": {
        "en": "Mm-hm, go on.",
        "es": "Sí, continúe.",
        "fr": "Oui, je vous écoute.",
        "de": "Ja, bitte weiter.",
    },
    "checking": {
        "en": "Let me check that for you.",
        "es": "Déjeme comprobarlo.",
        "fr": "Je vérifie cela pour vous.",
        "de": "Ich sehe kurz nach.",
    },
    "llm_failed": {
        "en": "I'm sorry, I can't look that up right now, so let me connect you with a "
              "colleague.",
        "es": "Lo siento, ahora mismo no puedo consultarlo, así que le paso con un compañero.",
        "fr": "Je suis désolé, je ne peux pas vérifier cela pour le moment, je vous passe "
              "un collègue.",
        "de": "Es tut mir leid, ich kann das gerade nicht nachsehen. Ich verbinde Sie mit "
              "einem Kollegen.",
    },
    "unsupported": {
        "en": "I'm not certain about that, so let me connect you with someone who can confirm.",
        "es": "No estoy seguro de eso, así que le paso con alguien que pueda confirmarlo.",
        "fr": "Je n'en suis pas certain, je vous passe quelqu'un qui pourra le confirmer.",
        "de": "Da bin ich mir nicht sicher. Ich verbinde Sie mit jemandem, der es bestätigen "
              "kann.",
    },
    "handoff": {
        "en": "Of course, let me connect you with a colleague. Please hold.",
        "es": "Por supuesto, le paso con un compañero. No cuelgue, por favor.",
        "fr": "Bien sûr, je vous passe un collègue. Veuillez patienter.",
        "de": "Natürlich, ich verbinde Sie mit einem Kollegen. Bitte bleiben Sie dran.",
    },
    "connecting": {
        "en": "Let me connect you with a colleague who can help. Please hold.",
        "es": "Le paso con un compañero que podrá ayudarle. No cuelgue, por favor.",
        "fr": "Je vous passe un collègue qui pourra vous aider. Veuillez patienter.",
        "de": "Ich verbinde Sie mit einem Kollegen, der Ihnen helfen kann. Bitte bleiben Sie "
              "dran.",
    },
    "needs_human": {
        "en": "That needs one of my colleagues to approve it, so I'm connecting you now. "
              "They will have your request.",
        "es": "Eso necesita la aprobación de un compañero, así que le paso ahora. "
              "Tendrá su solicitud.",
        "fr": "Cela doit être validé par un collègue, je vous le passe. "
              "Il aura votre demande.",
        "de": "Das muss ein Kollege freigeben, ich verbinde Sie jetzt. "
              "Ihr Anliegen liegt ihm vor.",
    },
    "goodbye": {
        "en": "Thank you for calling. Goodbye!",
        "es": "Gracias por llamar. ¡Adiós!",
        "fr": "Merci de votre appel. Au revoir !",
        "de": "Vielen Dank für Ihren Anruf. Auf Wiederhören!",
    },
    "off_topic": {
        "en": "I'm sorry, I can only help with questions about {business}.",
        "es": "Lo siento, solo puedo ayudarle con preguntas sobre {business}.",
        "fr": "Je suis désolé, je ne peux vous aider que pour {business}.",
        "de": "Es tut mir leid, ich kann nur bei Fragen zu {business} helfen.",
    },
    "injection": {
        "en": "I'm sorry, I can't do that. I can help with your own booking or account, "
              "or connect you with a colleague.",
        "es": "Lo siento, no puedo hacer eso. Puedo ayudarle con su propia reserva o cuenta, "
              "o pasarle con un compañero.",
        "fr": "Je suis désolé, je ne peux pas faire cela. Je peux vous aider pour votre "
              "propre réservation ou compte, ou vous passer un collègue.",
        "de": "Das kann ich leider nicht tun. Ich kann Ihnen bei Ihrer eigenen Buchung oder "
              "Ihrem Konto helfen oder Sie mit einem Kollegen verbinden.",
    },
}


class Lines:
    def __init__(self, lines: Mapping[str, Mapping[str, str]] = DEFAULT_LINES,
                 **values: str) -> None:
        self._lines = lines
        self._values = values

    def get(self, key: str, language: str) -> str:
        by_language = self._lines[key]
        text = by_language.get(language) or by_language["en"]
        return text.format(**self._values) if self._values else text
