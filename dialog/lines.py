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
    "help_prompt": {
        "en": "How can I help you today?",
        "es": "¿En qué puedo ayudarle hoy?",
        "fr": "Comment puis-je vous aider aujourd'hui ?",
        "de": "Wie kann ich Ihnen heute helfen?",
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
    # Back from a transfer no agent took (``{number}``: " at the number ending in 4 5 6 7").
    "choice_next_or_callback": {
        "en": "I'm sorry, none of my colleagues could answer just now. I've kept everything "
              "you told me. I can have someone call you back{number}, or try another colleague. "
              "Press 1 for a call back, or 2 to try again.",
        "es": "Lo siento, ahora mismo ningún compañero ha podido atenderle. He guardado todo lo "
              "que me ha contado. Puedo pedir que le devuelvan la llamada{number}, o intentarlo "
              "con otro compañero. Pulse 1 para que le llamen, o 2 para intentarlo de nuevo.",
        "fr": "Je suis désolé, aucun collègue n'a pu répondre pour le moment. J'ai gardé tout ce "
              "que vous m'avez dit. Je peux vous faire rappeler{number}, ou essayer un autre "
              "collègue. Tapez 1 pour être rappelé, ou 2 pour réessayer.",
        "de": "Es tut mir leid, gerade konnte kein Kollege den Anruf annehmen. Ich habe alles "
              "notiert, was Sie mir gesagt haben. Ich kann einen Rückruf veranlassen{number} "
              "oder es bei einem anderen Kollegen versuchen. Drücken Sie 1 für einen Rückruf "
              "oder 2, um es noch einmal zu versuchen.",
    },
    "choice_callback_only": {
        "en": "I'm sorry, none of my colleagues are available right now. I've kept everything "
              "you told me. Would you like someone to call you back{number}? "
              "Say yes, or press 1.",
        "es": "Lo siento, ahora mismo no hay ningún compañero disponible. He guardado todo lo "
              "que me ha contado. ¿Quiere que le devuelvan la llamada{number}? "
              "Diga sí, o pulse 1.",
        "fr": "Je suis désolé, aucun collègue n'est disponible pour le moment. J'ai gardé tout "
              "ce que vous m'avez dit. Voulez-vous être rappelé{number} ? Dites oui, ou "
              "tapez 1.",
        "de": "Es tut mir leid, gerade ist kein Kollege erreichbar. Ich habe alles notiert, was "
              "Sie mir gesagt haben. Möchten Sie einen Rückruf{number}? Sagen Sie ja, oder "
              "drücken Sie 1.",
    },
    "choice_number": {
        "en": " at the number ending in {digits}",
        "es": " al número que termina en {digits}",
        "fr": " au numéro se terminant par {digits}",
        "de": " unter der Nummer mit der Endung {digits}",
    },
    "choice_again": {
        "en": "Sorry, I didn't catch that. Say \"call me back\" or \"another colleague\", or "
              "press 1 for a call back, or 2 to try again.",
        "es": "Perdone, no le he entendido. Diga \"llámenme\" u \"otro compañero\", o pulse 1 "
              "para que le llamen, o 2 para intentarlo de nuevo.",
        "fr": "Pardon, je n'ai pas compris. Dites « rappelez-moi » ou « un autre collègue », ou "
              "tapez 1 pour être rappelé, ou 2 pour réessayer.",
        "de": "Entschuldigung, das habe ich nicht verstanden. Sagen Sie „Rückruf“ oder „anderer "
              "Kollege“, oder drücken Sie 1 für einen Rückruf oder 2 für einen neuen Versuch.",
    },
    "callback_booked": {
        "en": "Done. A colleague will call you back{number}, with everything you told me. "
              "Is there anything else I can help you with?",
        "es": "Hecho. Un compañero le devolverá la llamada{number}, con todo lo que me ha "
              "contado. ¿Puedo ayudarle en algo más?",
        "fr": "C'est noté. Un collègue vous rappellera{number}, avec tout ce que vous m'avez "
              "dit. Puis-je vous aider pour autre chose ?",
        "de": "Erledigt. Ein Kollege ruft Sie zurück{number}, mit allem, was Sie mir gesagt "
              "haben. Kann ich sonst noch etwas für Sie tun?",
    },
    "retrying": {
        "en": "Of course. Please hold while I try another colleague.",
        "es": "Por supuesto. No cuelgue mientras lo intento con otro compañero.",
        "fr": "Bien sûr. Veuillez patienter pendant que j'essaie un autre collègue.",
        "de": "Natürlich. Bitte bleiben Sie dran, ich versuche es bei einem anderen Kollegen.",
    },
    "anything_else": {
        "en": "All right. Is there anything else I can help you with?",
        "es": "De acuerdo. ¿Puedo ayudarle en algo más?",
        "fr": "D'accord. Puis-je vous aider pour autre chose ?",
        "de": "In Ordnung. Kann ich sonst noch etwas für Sie tun?",
    },
}


class Lines:
    def __init__(self, lines: Mapping[str, Mapping[str, str]] = DEFAULT_LINES,
                 **values: str) -> None:
        self._lines = lines
        self._values = values

    def get(self, key: str, language: str, **values: str) -> str:
        """The line in ``language`` (English when missing), with ``{business}`` and
        ``values`` filled in."""
        by_language = self._lines[key]
        text = by_language.get(language) or by_language["en"]
        values = {**self._values, **values}
        return text.format(**values) if values else text
