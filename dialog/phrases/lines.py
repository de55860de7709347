"""Fixed lines the dialog speaks on its own, per language (English when one is missing)."""

from __future__ import annotations

from collections.abc import Mapping

from config.languages import normalise

__all__ = ["DEFAULT_LINES", "TASK_LINES", "Lines"]

# The embedded engine's own lines: the tasks' questions, re-asks and hints, and its replies.
TASK_LINES: dict[str, dict[str, str]] = {
    "anything_else_q": {
        "en": "Is there anything else I can help you with?",
        "es": "¿Puedo ayudarle en algo más?",
        "fr": "Puis-je vous aider pour autre chose ?",
        "de": "Kann ich sonst noch etwas für Sie tun?",
    },
    "task_connecting": {
        "en": "Let me connect you with a colleague. Please hold.",
        "es": "Le paso con un compañero. No cuelgue, por favor.",
        "fr": "Je vous passe un collègue. Veuillez patienter.",
        "de": "Ich verbinde Sie mit einem Kollegen. Bitte bleiben Sie dran.",
    },
    "task_sure": {"en": "Sure.", "es": "Por supuesto.", "fr": "Bien sûr.", "de": "Gerne."},
    "task_unsupported": {
        "en": "I'm sorry, I can't do that by phone yet.",
        "es": "Lo siento, todavía no puedo hacer eso por teléfono.",
        "fr": "Je suis désolé, je ne peux pas encore faire cela par téléphone.",
        "de": "Das kann ich leider noch nicht telefonisch erledigen.",
    },
    "not_understood": {
        "en": "Sorry, I didn't get that.",
        "es": "Perdone, no le he entendido.",
        "fr": "Pardon, je n'ai pas compris.",
        "de": "Entschuldigung, das habe ich nicht verstanden.",
    },
    "keypad_hint": {
        "en": "You can also type it on your keypad.",
        "es": "También puede marcarlo en el teclado del teléfono.",
        "fr": "Vous pouvez aussi le taper sur le clavier du téléphone.",
        "de": "Sie können es auch über die Telefontastatur eingeben.",
    },
    "trouble": {
        "en": "I'm sorry, I'm having trouble getting that.",
        "es": "Lo siento, me está costando entenderlo.",
        "fr": "Je suis désolé, j'ai du mal à comprendre.",
        "de": "Es tut mir leid, ich verstehe es leider nicht.",
    },
    "heard_digits": {
        "en": "I heard {digits}, which isn't {count} digits.",
        "es": "He entendido {digits}, y no son {count} dígitos.",
        "fr": "J'ai entendu {digits}, ce qui ne fait pas {count} chiffres.",
        "de": "Ich habe {digits} verstanden, das sind keine {count} Ziffern.",
    },
    "no_reservation_number": {
        "en": "I couldn't find a reservation with the number {digits}.",
        "es": "No he encontrado ninguna reserva con el número {digits}.",
        "fr": "Je n'ai trouvé aucune réservation avec le numéro {digits}.",
        "de": "Ich habe keine Reservierung mit der Nummer {digits} gefunden.",
    },
    "no_reservation_name": {
        "en": "I couldn't find a reservation under {name} arriving {date}.",
        "es": "No he encontrado ninguna reserva a nombre de {name} con llegada {date}.",
        "fr": "Je n'ai trouvé aucune réservation au nom de {name} avec arrivée {date}.",
        "de": "Ich habe keine Reservierung auf den Namen {name} mit Anreise {date} gefunden.",
    },
    "no_order": {
        "en": "I couldn't find order {digits} on your account.",
        "es": "No he encontrado el pedido {digits} en su cuenta.",
        "fr": "Je n'ai pas trouvé la commande {digits} sur votre compte.",
        "de": "Ich habe die Bestellung {digits} in Ihrem Konto nicht gefunden.",
    },
    # The tasks' questions (``dialog.embedded.tasks.Slot.question``).
    "q_confirmation": {
        "en": "What is your six-digit confirmation number?",
        "es": "¿Cuál es su número de confirmación de seis dígitos?",
        "fr": "Quel est votre numéro de confirmation à six chiffres ?",
        "de": "Wie lautet Ihre sechsstellige Bestätigungsnummer?",
    },
    "q_last_name": {
        "en": "What is the last name on the reservation? You can spell it.",
        "es": "¿A qué apellido está la reserva? Puede deletrearlo.",
        "fr": "À quel nom de famille est la réservation ? Vous pouvez l'épeler.",
        "de": "Auf welchen Nachnamen läuft die Reservierung? Sie können ihn gern "
              "buchstabieren.",
    },
    "q_arrival_date": {
        "en": "And what is your arrival date?",
        "es": "¿Y cuál es su fecha de llegada?",
        "fr": "Et quelle est votre date d'arrivée ?",
        "de": "Und an welchem Tag reisen Sie an?",
    },
    "q_guest_check": {
        "en": "To verify, please tell me the ZIP code on the booking, or the last four digits "
              "of the card on file.",
        "es": "Para verificar su identidad, dígame el código postal de la reserva o los "
              "últimos cuatro dígitos de la tarjeta registrada.",
        "fr": "Pour vérifier votre identité, donnez-moi le code postal de la réservation ou "
              "les quatre derniers chiffres de la carte enregistrée.",
        "de": "Zur Bestätigung nennen Sie mir bitte die Postleitzahl der Buchung oder die "
              "letzten vier Ziffern der hinterlegten Karte.",
    },
    "q_customer_check": {
        "en": "To verify your account, what is the ZIP code on file?",
        "es": "Para verificar su cuenta, ¿cuál es el código postal registrado?",
        "fr": "Pour vérifier votre compte, quel est le code postal enregistré ?",
        "de": "Zur Bestätigung Ihres Kontos: Wie lautet die hinterlegte Postleitzahl?",
    },
    "q_order": {
        "en": "What is the six-digit order number?",
        "es": "¿Cuál es el número de pedido de seis dígitos?",
        "fr": "Quel est le numéro de commande à six chiffres ?",
        "de": "Wie lautet die sechsstellige Bestellnummer?",
    },
    "q_amount": {
        "en": "How much would you like refunded?",
        "es": "¿Cuánto quiere que le reembolsemos?",
        "fr": "Quel montant souhaitez-vous vous faire rembourser ?",
        "de": "Welchen Betrag möchten Sie erstattet bekommen?",
    },
    "q_checkout_time": {
        "en": "What time would you like to check out?",
        "es": "¿A qué hora le gustaría dejar la habitación?",
        "fr": "À quelle heure souhaitez-vous libérer la chambre ?",
        "de": "Um wie viel Uhr möchten Sie auschecken?",
    },
    "q_details": {
        "en": "I have {room} for {guests}, arriving {arrival} and leaving {departure}. "
              "Is that right?",
        "es": "Tengo {room} para {guests}, con llegada {arrival} y salida {departure}. "
              "¿Es correcto?",
        "fr": "J'ai {room} pour {guests}, avec arrivée {arrival} et départ {departure}. "
              "Est-ce exact ?",
        "de": "Ich habe {room} für {guests}, Anreise {arrival}, Abreise {departure}. "
              "Ist das richtig?",
    },
    "q_details_again": {
        "en": "Are the dates, the room and the number of guests right? Please say yes or no, "
              "or press 1 for yes and 2 for no.",
        "es": "¿Son correctas las fechas, la habitación y el número de personas? Diga sí o no, "
              "o marque 1 para sí y 2 para no.",
        "fr": "Les dates, la chambre et le nombre de personnes sont-ils exacts ? Dites oui ou "
              "non, ou tapez 1 pour oui et 2 pour non.",
        "de": "Stimmen die Daten, das Zimmer und die Anzahl der Gäste? Bitte sagen Sie ja oder "
              "nein, oder drücken Sie 1 für ja und 2 für nein.",
    },
    "details_wrong": {
        "en": "I'm sorry about that. A colleague will correct your reservation.",
        "es": "Lo siento. Un compañero corregirá su reserva.",
        "fr": "Je suis désolé. Un collègue va corriger votre réservation.",
        "de": "Das tut mir leid. Ein Kollege korrigiert Ihre Reservierung.",
    },
    "q_arrival_time": {
        "en": "What time do you expect to arrive? Say it, or type it as four digits, like 1 9 "
              "3 0 for half past seven in the evening. If you're not sure, just say no.",
        "es": "¿A qué hora cree que llegará? Dígala, o márquela con cuatro cifras, por ejemplo "
              "1 9 3 0 para las siete y media de la tarde. Si no lo sabe, diga simplemente que "
              "no.",
        "fr": "À quelle heure pensez-vous arriver ? Dites-la, ou tapez-la en quatre chiffres, "
              "par exemple 1 9 3 0 pour dix-neuf heures trente. Si vous ne savez pas, dites "
              "simplement non.",
        "de": "Um wie viel Uhr kommen Sie ungefähr an? Sagen Sie es, oder tippen Sie die Uhrzeit "
              "vierstellig ein, zum Beispiel 1 9 3 0 für halb acht am Abend. Wenn Sie es nicht "
              "wissen, sagen Sie einfach nein.",
    },
    "q_requests": {
        "en": "Do you have any special requests for your stay, such as a high floor or extra "
              "pillows?",
        "es": "¿Tiene alguna petición especial para su estancia, por ejemplo una planta alta o "
              "almohadas extra?",
        "fr": "Avez-vous une demande particulière pour votre séjour, par exemple un étage élevé "
              "ou des oreillers supplémentaires ?",
        "de": "Haben Sie besondere Wünsche für Ihren Aufenthalt, zum Beispiel ein hohes "
              "Stockwerk oder zusätzliche Kissen?",
    },
    "q_requests_what": {
        "en": "What would you like us to arrange?",
        "es": "¿Qué le gustaría que le preparáramos?",
        "fr": "Que souhaitez-vous que nous préparions ?",
        "de": "Was dürfen wir für Sie vorbereiten?",
    },
    # The embedded engine's replies of its own.
    "not_caught": {
        "en": "Sorry, I didn't catch that.",
        "es": "Perdone, no le he oído bien.",
        "fr": "Pardon, je n'ai pas bien entendu.",
        "de": "Entschuldigung, das habe ich nicht verstanden.",
    },
    "welcome": {
        "en": "You're welcome. Is there anything else I can help you with?",
        "es": "De nada. ¿Puedo ayudarle en algo más?",
        "fr": "Je vous en prie. Puis-je vous aider pour autre chose ?",
        "de": "Gern geschehen. Kann ich sonst noch etwas für Sie tun?",
    },
    "what_else": {
        "en": "Sure. What else can I help you with?",
        "es": "Claro. ¿En qué más puedo ayudarle?",
        "fr": "Bien sûr. Que puis-je faire d'autre pour vous ?",
        "de": "Gerne. Wobei kann ich Ihnen noch helfen?",
    },
    "goodbye_business": {
        "en": "Thank you for calling {business}. Goodbye!",
        "es": "Gracias por llamar a {business}. ¡Adiós!",
        "fr": "Merci d'avoir appelé {business}. Au revoir !",
        "de": "Vielen Dank für Ihren Anruf bei {business}. Auf Wiederhören!",
    },
    # Not sure what the caller wants: what they can ask about (``{topics}``, in their language).
    "clarify_topics": {
        "en": "I'm not sure I understood. You can ask me about {topics}, or say 'agent' to "
              "reach a person.",
        "es": "No estoy seguro de haberle entendido. Puede preguntarme, por ejemplo, sobre "
              "estos temas: {topics}. O diga «agente» para hablar con una persona.",
        "fr": "Je ne suis pas sûr d'avoir compris. Vous pouvez me poser des questions, par "
              "exemple sur ces sujets : {topics}. Ou dites « conseiller » pour parler à "
              "quelqu'un.",
        "de": "Ich bin nicht sicher, ob ich Sie richtig verstanden habe. Sie können mich zum "
              "Beispiel zu diesen Themen fragen: {topics}. Oder sagen Sie „Mitarbeiter“, um mit "
              "jemandem zu sprechen.",
    },
    "clarify": {
        "en": "I'm not sure I understood. Say 'agent' to reach a person.",
        "es": "No estoy seguro de haberle entendido. Diga «agente» para hablar con una persona.",
        "fr": "Je ne suis pas sûr d'avoir compris. Dites « conseiller » pour parler à quelqu'un.",
        "de": "Ich bin nicht sicher, ob ich Sie richtig verstanden habe. Sagen Sie "
              "„Mitarbeiter“, um mit jemandem zu sprechen.",
    },
    "or": {"en": "or", "es": "o", "fr": "ou", "de": "oder"},
    # The keypad menu when no routing rules give one (``{label}``: the intents file's).
    "keypad_option": {
        "en": "For {label}, press {digit}.",
        "es": "Para {label}, marque {digit}.",
        "fr": "Pour {label}, tapez {digit}.",
        "de": "Für {label} drücken Sie {digit}.",
    },
    "keypad_repeat": {
        "en": "To hear this menu again, press {digit}.",
        "es": "Para volver a escuchar este menú, marque {digit}.",
        "fr": "Pour réécouter ce menu, tapez {digit}.",
        "de": "Um dieses Menü noch einmal zu hören, drücken Sie {digit}.",
    },
    "keypad_person": {
        "en": "To reach a person, press {digit}.",
        "es": "Para hablar con una persona, marque {digit}.",
        "fr": "Pour parler à quelqu'un, tapez {digit}.",
        "de": "Um mit jemandem zu sprechen, drücken Sie {digit}.",
    },
    "keypad_pressed": {
        "en": "You pressed {keys}.",
        "es": "Ha marcado {keys}.",
        "fr": "Vous avez tapé {keys}.",
        "de": "Sie haben {keys} gedrückt.",
    },
    "key_star": {"en": "star", "es": "asterisco", "fr": "étoile", "de": "Stern"},
    "key_pound": {"en": "pound", "es": "almohadilla", "fr": "dièse", "de": "Raute"},
    "no_keypad_answer": {
        "en": "I'm sorry, I don't have that information.",
        "es": "Lo siento, no tengo esa información.",
        "fr": "Je suis désolé, je n'ai pas cette information.",
        "de": "Diese Information habe ich leider nicht.",
    },
    "handoff_after_misses": {
        "en": "Sorry, I'm having trouble understanding. Let me connect you with a colleague. "
              "Please hold.",
        "es": "Lo siento, me está costando entenderle. Le paso con un compañero. No cuelgue, "
              "por favor.",
        "fr": "Je suis désolé, j'ai du mal à vous comprendre. Je vous passe un collègue. "
              "Veuillez patienter.",
        "de": "Es tut mir leid, ich verstehe Sie leider nicht gut. Ich verbinde Sie mit einem "
              "Kollegen. Bitte bleiben Sie dran.",
    },
}

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
    # After the greeting, each in its own language: the key that switches the call to it.
    "language_key_offer": {
        "en": "For English, press {digit}.",
        "es": "Para español, marque {digit}.",
        "fr": "Pour le français, tapez {digit}.",
        "de": "Für Deutsch drücken Sie {digit}.",
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
    "dialog_failed": {
        "en": "I'm sorry, something went wrong on my side. Let me try that again: what can I "
              "help you with?",
        "es": "Lo siento, algo ha fallado por mi parte. Volvamos a intentarlo: ¿en qué puedo "
              "ayudarle?",
        "fr": "Je suis désolé, quelque chose n'a pas fonctionné de mon côté. Reprenons : que "
              "puis-je faire pour vous ?",
        "de": "Entschuldigung, bei mir ist etwas schiefgegangen. Versuchen wir es noch einmal: "
              "Wie kann ich Ihnen helfen?",
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
    **TASK_LINES,
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
        primary = normalise(language)  # "es-MX" -> "es"
        text = by_language.get(language) or by_language.get(primary) or by_language["en"]
        values = {**self._values, **values}
        return text.format(**values) if values else text
