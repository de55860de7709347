"""Tool results said aloud by the embedded engine, in English, Spanish, French and German.

The LLM phrases tool results itself; the embedded engine needs these sentences. Each reads only
what the tool returned, so what the caller hears is exactly what the back end said. Messages
meant for a model ("Offer to transfer the caller", JSON-schema errors) are never read out: a
refusal the engine has no sentence for is a plain "I can't do that". Another language than the
four falls back to English.

Dates, times, money and floors are written the way each language says them ("el lunes 3 de
mayo", "le lundi 3 mai", "am Montag, den 3. Mai"; "15 heures 30"); numbers a caller must note
(room, confirmation, key code) are read digit by digit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from config.languages import SPOKEN, supported
from dialog.tools.spec import ToolOutcome

__all__ = [
    "LANGUAGES",
    "describe",
    "guests",
    "money",
    "room_type",
    "spoken_date",
    "spoken_digits",
    "spoken_time",
    "supported",
]

LANGUAGES = SPOKEN  # re-exported from config.languages, the owner
# Tools whose "not found" has a sentence of its own.
_OWN_NOT_FOUND = frozenset({"lookup_customer"})

_MONTHS = {
    "en": "January February March April May June July August September October November "
          "December".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
          "diciembre".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
          "décembre".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November "
          "Dezember".split(),
}
_WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "es": "lunes martes miércoles jueves viernes sábado domingo".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
}
_TODAY = {"en": ("today", "tomorrow"), "es": ("hoy", "mañana"),
          "fr": ("aujourd'hui", "demain"), "de": ("heute", "morgen")}
_ROOM_TYPES = {
    "en": {"king": "a king room", "double_queen": "a room with two queen beds",
           "suite": "a suite", "": "a room"},
    "es": {"king": "una habitación con cama king", "double_queen": "una habitación con dos "
           "camas queen", "suite": "una suite", "": "una habitación"},
    "fr": {"king": "une chambre avec lit king size", "double_queen": "une chambre avec deux "
           "lits queen size", "suite": "une suite", "": "une chambre"},
    "de": {"king": "ein Zimmer mit Kingsize-Bett", "double_queen": "ein Zimmer mit zwei "
           "Queensize-Betten", "suite": "eine Suite", "": "ein Zimmer"},
}
# (one, several) of adults and children; German after "für" (accusative).
_PEOPLE = {
    "en": (("adult", "adults"), ("child", "children"), "and"),
    "es": (("adulto", "adultos"), ("niño", "niños"), "y"),
    "fr": (("adulte", "adultes"), ("enfant", "enfants"), "et"),
    "de": (("Erwachsenen", "Erwachsene"), ("Kind", "Kinder"), "und"),
}
_STATUS = {  # an order's status, as said in each language
    "es": {"shipped": "enviado", "delivered": "entregado", "processing": "en preparación",
           "returned": "devuelto"},
    "fr": {"shipped": "expédiée", "delivered": "livrée", "processing": "en préparation",
           "returned": "retournée"},
    "de": {"shipped": "verschickt", "delivered": "zugestellt", "processing": "in Vorbereitung",
           "returned": "zurückgeschickt"},
}

# key -> language -> sentence; ``{...}`` filled in by ``_say``.
_SENTENCES: dict[str, dict[str, str]] = {
    "system_down": {
        "en": "I'm sorry, our system isn't answering right now.",
        "es": "Lo siento, nuestro sistema no responde en este momento.",
        "fr": "Je suis désolé, notre système ne répond pas pour le moment.",
        "de": "Es tut mir leid, unser System antwortet gerade nicht."},
    "several_match": {
        "en": "Several reservations match.",
        "es": "Hay varias reservas que coinciden.",
        "fr": "Plusieurs réservations correspondent.",
        "de": "Mehrere Reservierungen passen dazu."},
    "not_found": {
        "en": "I couldn't find that.",
        "es": "No lo he encontrado.",
        "fr": "Je ne l'ai pas trouvé.",
        "de": "Das habe ich leider nicht gefunden."},
    "too_many_attempts": {
        "en": "I can't verify you by phone after several attempts.",
        "es": "No puedo verificar su identidad por teléfono después de varios intentos.",
        "fr": "Je ne peux pas vérifier votre identité par téléphone après plusieurs tentatives.",
        "de": "Nach mehreren Versuchen kann ich Sie telefonisch nicht verifizieren."},
    "cannot": {
        "en": "I'm sorry, I can't do that by phone.",
        "es": "Lo siento, no puedo hacer eso por teléfono.",
        "fr": "Je suis désolé, je ne peux pas faire cela par téléphone.",
        "de": "Das kann ich leider nicht telefonisch erledigen."},
    # -- hotel --------------------------------------------------------------------------------
    "found_arriving": {
        "en": "I found a reservation arriving {date}.",
        "es": "He encontrado una reserva con llegada {date}.",
        "fr": "J'ai trouvé une réservation avec arrivée {date}.",
        "de": "Ich habe eine Reservierung mit Anreise {date} gefunden."},
    "reservation": {
        "en": "Your reservation is for {room}, arriving {arrival} and leaving {departure}.",
        "es": "Su reserva es para {room}, con llegada {arrival} y salida {departure}.",
        "fr": "Votre réservation est pour {room}, avec arrivée {arrival} et départ {departure}.",
        "de": "Ihre Reservierung ist für {room}, Anreise {arrival}, Abreise {departure}."},
    "verified": {
        "en": "Thank you{name}, you're verified.",
        "es": "Gracias{name}, he verificado su identidad.",
        "fr": "Merci{name}, votre identité est vérifiée.",
        "de": "Danke{name}, Sie sind verifiziert."},
    "no_match": {
        "en": "That doesn't match what I have.",
        "es": "Eso no coincide con lo que tengo.",
        "fr": "Cela ne correspond pas à ce que j'ai.",
        "de": "Das stimmt nicht mit meinen Angaben überein."},
    "starts_later": {
        "en": "Your reservation starts {date}, so I can't check you in today.",
        "es": "Su reserva empieza {date}, así que hoy no puedo hacer su check-in.",
        "fr": "Votre réservation commence {date}, je ne peux donc pas faire votre "
              "enregistrement aujourd'hui.",
        "de": "Ihre Reservierung beginnt {date}, deshalb kann ich Sie heute noch nicht "
              "einchecken."},
    "cancelled_check_in": {
        "en": "That reservation was cancelled, so I can't check you in.",
        "es": "Esa reserva fue cancelada, así que no puedo hacer el check-in.",
        "fr": "Cette réservation a été annulée, je ne peux donc pas faire l'enregistrement.",
        "de": "Diese Reservierung wurde storniert, deshalb kann ich Sie nicht einchecken."},
    "no_room_ready": {
        "en": "No room of your type is ready yet. We can hold your luggage at the front desk "
              "and call you as soon as one is.",
        "es": "Todavía no hay ninguna habitación de su tipo lista. Podemos guardarle el "
              "equipaje en recepción y llamarle en cuanto haya una.",
        "fr": "Aucune chambre de votre catégorie n'est encore prête. Nous pouvons garder vos "
              "bagages à la réception et vous appeler dès qu'une chambre est prête.",
        "de": "Noch ist kein Zimmer Ihrer Kategorie fertig. Wir können Ihr Gepäck an der "
              "Rezeption aufbewahren und Sie anrufen, sobald eines bereit ist."},
    "checked_in": {
        "en": "You're checked in: room {room}, on floor {floor}.",
        "es": "Su check-in está hecho: habitación {room}, en la planta {floor}.",
        "fr": "Votre enregistrement est fait : chambre {room}, au {floor} étage.",
        "de": "Sie sind eingecheckt: Zimmer {room}, im {floor} Stock."},
    "already_checked_in": {
        "en": "You're already checked in: room {room}, on floor {floor}.",
        "es": "Su check-in ya estaba hecho: habitación {room}, en la planta {floor}.",
        "fr": "Votre enregistrement est déjà fait : chambre {room}, au {floor} étage.",
        "de": "Sie sind bereits eingecheckt: Zimmer {room}, im {floor} Stock."},
    "key_kiosk": {
        "en": "Your key is ready at the self-service kiosk in the lobby: enter the code "
              "{code}.",
        "es": "Su llave le espera en el quiosco de autoservicio del vestíbulo: introduzca el "
              "código {code}.",
        "fr": "Votre clé vous attend à la borne libre-service du hall : saisissez le code "
              "{code}.",
        "de": "Ihr Schlüssel liegt am Self-Service-Automaten in der Lobby bereit: Geben Sie "
              "den Code {code} ein."},
    "key_desk": {
        "en": "Your key is ready at the front desk in the lobby; please show your ID there.",
        "es": "Su llave le espera en la recepción del vestíbulo; por favor, muestre allí su "
              "documento de identidad.",
        "fr": "Votre clé vous attend à la réception, dans le hall ; merci d'y présenter une "
              "pièce d'identité.",
        "de": "Ihr Schlüssel liegt an der Rezeption in der Lobby bereit; bitte zeigen Sie "
              "dort Ihren Ausweis."},
    "arrival_noted": {
        "en": "I've noted your arrival around {time}.",
        "es": "He anotado su llegada hacia {time}.",
        "fr": "J'ai noté votre arrivée vers {time}.",
        "de": "Ich habe Ihre Ankunft gegen {time} notiert."},
    "request_noted": {
        "en": "I've passed your request on to the team.",
        "es": "He pasado su petición al equipo.",
        "fr": "J'ai transmis votre demande à l'équipe.",
        "de": "Ich habe Ihren Wunsch an das Team weitergegeben."},
    "sms_sent": {
        "en": "I've sent a confirmation text to the number ending in {digits}.",
        "es": "Le he enviado un mensaje de confirmación al número que termina en {digits}.",
        "fr": "Je vous ai envoyé un SMS de confirmation au numéro se terminant par {digits}.",
        "de": "Ich habe Ihnen eine Bestätigung per SMS an die Nummer mit der Endung {digits} "
              "geschickt."},
    "sms_failed": {
        "en": "I'm sorry, I couldn't send the confirmation text, but your check-in is done.",
        "es": "Lo siento, no he podido enviar el mensaje de confirmación, pero su check-in "
              "está hecho.",
        "fr": "Je suis désolé, je n'ai pas pu envoyer le SMS de confirmation, mais votre "
              "enregistrement est bien fait.",
        "de": "Es tut mir leid, die Bestätigungs-SMS konnte ich nicht senden, aber Ihr "
              "Check-in ist erledigt."},
    "late_granted": {
        "en": "Done: your check-out is now at {time}.",
        "es": "Hecho: su salida es ahora a {time}.",
        "fr": "C'est fait : votre départ est maintenant à {time}.",
        "de": "Erledigt: Ihr Check-out ist jetzt um {time}."},
    "late_latest": {
        "en": "The latest check-out I can offer is {time}.",
        "es": "La salida más tardía que puedo ofrecerle es a {time}.",
        "fr": "Le départ le plus tardif que je peux vous proposer est à {time}.",
        "de": "Der späteste Check-out, den ich anbieten kann, ist um {time}."},
    "late_cancelled": {
        "en": "That reservation was cancelled, so I can't change its check-out.",
        "es": "Esa reserva fue cancelada, así que no puedo cambiar la hora de salida.",
        "fr": "Cette réservation a été annulée, je ne peux donc pas changer l'heure de départ.",
        "de": "Diese Reservierung wurde storniert, deshalb kann ich den Check-out nicht "
              "ändern."},
    "folio_none": {
        "en": "There are no charges on your room yet.",
        "es": "Todavía no hay cargos en su habitación.",
        "fr": "Il n'y a encore aucune opération sur votre note.",
        "de": "Auf Ihrer Zimmerrechnung gibt es noch keine Buchungen."},
    "folio_balance": {
        "en": "You have {charges}, with a balance of {money}.",
        "es": "Tiene {charges}, con un saldo pendiente de {money}.",
        "fr": "Vous avez {charges}, avec un solde de {money}.",
        "de": "Sie haben {charges}, mit einem offenen Betrag von {money}."},
    "folio_credit": {
        "en": "You have {charges}, with a credit of {money}.",
        "es": "Tiene {charges}, con un saldo a su favor de {money}.",
        "fr": "Vous avez {charges}, avec un crédit de {money}.",
        "de": "Sie haben {charges}, mit einem Guthaben von {money}."},
    "folio_settled": {
        "en": "You have {charges}, with nothing left to pay.",
        "es": "Tiene {charges}, sin nada pendiente de pago.",
        "fr": "Vous avez {charges}, sans rien à payer.",
        "de": "Sie haben {charges}; es ist nichts mehr zu zahlen."},
    "charges": {"en": "charge|charges", "es": "cargo|cargos", "fr": "opération|opérations",
                "de": "Buchung|Buchungen"},
    # -- support line ---------------------------------------------------------------------------
    "no_account": {
        "en": "I couldn't find an account for the number you're calling from.",
        "es": "No he encontrado ninguna cuenta para el número desde el que llama.",
        "fr": "Je n'ai trouvé aucun compte pour le numéro depuis lequel vous appelez.",
        "de": "Ich habe kein Konto zu der Nummer gefunden, von der Sie anrufen."},
    "account_found": {
        "en": "I found your account.",
        "es": "He encontrado su cuenta.",
        "fr": "J'ai trouvé votre compte.",
        "de": "Ich habe Ihr Konto gefunden."},
    "orders": {
        "en": "You have {count} recent orders.",
        "es": "Tiene {count} pedidos recientes.",
        "fr": "Vous avez {count} commandes récentes.",
        "de": "Sie haben {count} aktuelle Bestellungen."},
    "order_shipped": {
        "en": "Order {number} has shipped with {carrier}{eta}.",
        "es": "El pedido {number} se ha enviado con {carrier}{eta}.",
        "fr": "La commande {number} a été expédiée avec {carrier}{eta}.",
        "de": "Die Bestellung {number} wurde mit {carrier} verschickt{eta}."},
    "order_eta": {
        "en": ", and should arrive {date}",
        "es": ", y debería llegar {date}",
        "fr": ", et devrait arriver {date}",
        "de": " und sollte {date} ankommen"},
    "carrier": {"en": "the carrier", "es": "la empresa de transporte", "fr": "le transporteur",
                "de": "dem Versanddienst"},
    "order_delivered": {
        "en": "Order {number} was delivered.",
        "es": "El pedido {number} ya se entregó.",
        "fr": "La commande {number} a été livrée.",
        "de": "Die Bestellung {number} wurde zugestellt."},
    "order_processing": {
        "en": "Order {number} is being prepared and hasn't shipped yet.",
        "es": "El pedido {number} se está preparando y aún no se ha enviado.",
        "fr": "La commande {number} est en préparation et n'a pas encore été expédiée.",
        "de": "Die Bestellung {number} wird vorbereitet und ist noch nicht verschickt."},
    "order_status": {
        "en": "Order {number} is {status}.",
        "es": "El estado del pedido {number} es: {status}.",
        "fr": "Statut de la commande {number} : {status}.",
        "de": "Status der Bestellung {number}: {status}."},
    "ticket_opened": {
        "en": "I've opened ticket number {ticket}; our team will follow up.",
        "es": "He abierto la incidencia número {ticket}; nuestro equipo se pondrá en contacto "
              "con usted.",
        "fr": "J'ai ouvert le ticket numéro {ticket} ; notre équipe vous recontactera.",
        "de": "Ich habe das Ticket Nummer {ticket} eröffnet; unser Team meldet sich bei "
              "Ihnen."},
    "ticket_existing": {
        "en": "You already have ticket number {ticket}; our team will follow up.",
        "es": "Ya tiene abierta la incidencia número {ticket}; nuestro equipo se pondrá en "
              "contacto con usted.",
        "fr": "Vous avez déjà le ticket numéro {ticket} ; notre équipe vous recontactera.",
        "de": "Sie haben bereits das Ticket Nummer {ticket}; unser Team meldet sich bei "
              "Ihnen."},
    "refunded": {
        "en": "I've refunded {money}. It goes back to the original payment method in 5 to 7 "
              "business days.",
        "es": "He reembolsado {money}. Volverá al método de pago original en 5 a 7 días "
              "hábiles.",
        "fr": "J'ai remboursé {money}. Le montant reviendra sur le moyen de paiement d'origine "
              "sous 5 à 7 jours ouvrés.",
        "de": "Ich habe {money} erstattet. Der Betrag geht in 5 bis 7 Werktagen auf das "
              "ursprüngliche Zahlungsmittel zurück."},
    "refund_not_yet": {
        "en": "That order is {status}, so it can't be refunded yet.",
        "es": "Ese pedido está en estado {status}, así que todavía no se puede reembolsar.",
        "fr": "Cette commande est au statut {status}, elle ne peut donc pas encore être "
              "remboursée.",
        "de": "Diese Bestellung hat den Status {status} und kann noch nicht erstattet "
              "werden."},
    "refund_most": {
        "en": "The most I can refund on that order is {money}.",
        "es": "Lo máximo que puedo reembolsar de ese pedido es {money}.",
        "fr": "Le maximum que je peux rembourser sur cette commande est {money}.",
        "de": "Für diese Bestellung kann ich höchstens {money} erstatten."},
    "refund_full": {
        "en": "That order has already been refunded in full.",
        "es": "Ese pedido ya se reembolsó por completo.",
        "fr": "Cette commande a déjà été entièrement remboursée.",
        "de": "Diese Bestellung wurde bereits vollständig erstattet."},
    "refund_failed": {
        "en": "I couldn't refund that order.",
        "es": "No he podido reembolsar ese pedido.",
        "fr": "Je n'ai pas pu rembourser cette commande.",
        "de": "Ich konnte diese Bestellung nicht erstatten."},
}


def _say(key: str, language: str, **values: Any) -> str:
    table = _SENTENCES[key]
    return table.get(supported(language), table["en"]).format(**values)


def spoken_digits(digits: str) -> str:
    """"301" -> "3 0 1": read digit by digit, as callers read confirmation and room numbers."""
    return " ".join(digits)


def spoken_date(iso: str | None, today: date | None = None, language: str = "en") -> str:
    """"today" / "tomorrow" relative to ``today`` when given, else the day with its weekday:
    "Monday, November 23", "el lunes 23 de noviembre", "le lundi 23 novembre",
    "am Montag, den 23. November" (the article belongs to the date in es/fr/de)."""
    lang = supported(language)
    if not iso:
        return {"en": "an unknown date", "es": "en una fecha desconocida",
                "fr": "à une date inconnue", "de": "an einem unbekannten Datum"}[lang]
    day = date.fromisoformat(iso[:10])
    if today is not None and day in (today, today + timedelta(days=1)):
        return _TODAY[lang][(day - today).days]
    weekday, month = _WEEKDAYS[lang][day.weekday()], _MONTHS[lang][day.month - 1]
    if lang == "es":
        return f"el {weekday} {day.day} de {month}"
    if lang == "fr":
        return f"le {weekday} {'1er' if day.day == 1 else day.day} {month}"
    if lang == "de":
        return f"am {weekday}, den {day.day}. {month}"
    return f"{weekday}, {month} {day.day}"


def spoken_time(hhmm: str | None, language: str = "en") -> str:
    """"13:00" -> "1 PM", "11:30" -> "11:30 AM", "12:00" -> "noon" in English; 24-hour time
    elsewhere: "las 13:30", "13 heures 30", "13 Uhr 30"."""
    lang = supported(language)
    if not hhmm:
        return {"en": "an unknown time", "es": "una hora desconocida",
                "fr": "une heure inconnue", "de": "einer unbekannten Uhrzeit"}[lang]
    hour, minute = (int(part) for part in hhmm.split(":")[:2])
    if lang == "es":
        return f"las {hour}" + (f":{minute:02d}" if minute else "")
    if lang == "fr":
        return f"{hour} heures" + (f" {minute:02d}" if minute else "")
    if lang == "de":
        return f"{hour} Uhr" + (f" {minute:02d}" if minute else "")
    if (hour, minute) == (12, 0):
        return "noon"
    suffix = "PM" if hour >= 12 else "AM"
    shown = hour % 12 or 12
    return f"{shown}{f':{minute:02d}' if minute else ''} {suffix}"


def money(amount: Any, language: str = "en") -> str:
    """"$899" / "$1,250.50" in English, "899 dólares", "1 250,50 dollars", "1.250,50 Dollar":
    the sign is dropped (a sentence says "credit" or "balance"); something that is not a
    number is shown as it is."""
    try:
        value = abs(float(amount))
    except (TypeError, ValueError):
        return str(amount)
    shown = f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    lang = supported(language)
    if lang == "en":
        return f"${shown}"
    thousands = {"es": ".", "fr": " ", "de": "."}[lang]
    shown = shown.replace(",", "_").replace(".", ",").replace("_", thousands)
    return f"{shown} {({'es': 'dólares', 'fr': 'dollars', 'de': 'Dollar'})[lang]}"


def room_type(kind: str | None, language: str = "en") -> str:
    """The booked room type with its article: "a king room", "una suite"."""
    rooms = _ROOM_TYPES[supported(language)]
    return rooms.get(str(kind or ""), rooms[""])


def guests(adults: Any, children: Any, language: str = "en") -> str:
    """"2 adults and 1 child", "2 adultos", "1 Erwachsenen" (German after "für")."""
    (adult, adults_word), (child, children_word), both = _PEOPLE[supported(language)]
    a, c = int(adults or 0), int(children or 0)
    said = f"{a} {adult if a == 1 else adults_word}"
    if c:
        said += f" {both} {c} {child if c == 1 else children_word}"
    return said


def _floor(floor: Any, language: str) -> str:
    lang = supported(language)
    if lang == "fr":
        return "1er" if str(floor) == "1" else f"{floor}e"
    if lang == "de":
        return f"{floor}."
    return str(floor)


def _on(iso: str | None, today: date | None, language: str) -> str:
    """"today" / "tomorrow" / "on Monday, November 23" ("el lunes 23 de noviembre")."""
    when = spoken_date(iso, today, language)
    if supported(language) != "en" or when in _TODAY["en"]:
        return when
    return f"on {when}"


def describe(outcome: ToolOutcome, today: date | None = None, language: str = "en") -> str:
    """One or two sentences for the caller about ``outcome`` (dates relative to ``today``), in
    ``language``."""
    data: dict[str, Any] = outcome.result or {}
    if outcome.reason in ("timeout", "error"):
        # A text that could not be sent leaves the check-in it confirms done.
        return _say("sms_failed" if outcome.name == "send_confirmation" else "system_down",
                    language)
    if outcome.reason == "not_owner" or (data.get("found") is False
                                         and outcome.name not in _OWN_NOT_FOUND):
        return _say("several_match" if data.get("ambiguous") else "not_found", language)
    if outcome.reason == "too_many_attempts":
        return _say("too_many_attempts", language)
    phrase = _PHRASES.get(outcome.name)
    if phrase is None or outcome.reason not in ("ok", "refused_by_business"):
        return _say("cannot", language)
    return phrase(data, today, language)


def _reservation(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("needs_verification"):
        return _say("found_arriving", lang, date=spoken_date(d.get("arrival_date"), today, lang))
    return _say("reservation", lang, room=room_type(d.get("room_type"), lang),
                arrival=spoken_date(d.get("arrival_date"), today, lang),
                departure=spoken_date(d.get("departure_date"), today, lang))


def _verified(d: dict[str, Any], today: date | None, lang: str) -> str:
    if not d.get("verified"):
        return _say("no_match", lang)
    name = d.get("first_name") or str(d.get("name", "")).split(" ")[0]
    return _say("verified", lang, name=f", {name}" if name else "")


def _checked_in(d: dict[str, Any], today: date | None, lang: str) -> str:
    if not d.get("checked_in"):
        if d.get("arrival_date"):
            return _say("starts_later", lang, date=_on(d["arrival_date"], today, lang))
        if "cancelled" in str(d.get("message", "")):
            return _say("cancelled_check_in", lang)
        return _say("no_room_ready", lang)
    key = "already_checked_in" if d.get("already_checked_in") else "checked_in"
    said = _say(key, lang, room=spoken_digits(str(d["room"])),
                floor=_floor(d.get("floor"), lang))
    if d.get("key_code"):
        return f"{said} {_say('key_kiosk', lang, code=spoken_digits(str(d['key_code'])))}"
    return f"{said} {_say('key_desk', lang)}"


def _arrival_details(d: dict[str, Any], today: date | None, lang: str) -> str:
    said = []
    if d.get("arrival_time_set"):
        said.append(_say("arrival_noted", lang, time=spoken_time(d.get("arrival_time"), lang)))
    if d.get("request_added"):
        said.append(_say("request_noted", lang))
    return " ".join(said)


def _confirmation_sent(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("sent"):
        return _say("sms_sent", lang, digits=spoken_digits(str(d.get("to_ending", ""))))
    return _say("sms_failed", lang)


def _late_checkout(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("granted"):
        return _say("late_granted", lang, time=spoken_time(d.get("checkout_time"), lang))
    if d.get("latest"):
        return _say("late_latest", lang, time=spoken_time(d["latest"], lang))
    return _say("late_cancelled", lang)


def _folio(d: dict[str, Any], today: date | None, lang: str) -> str:
    charges = d.get("charges") or []
    if not charges:
        return _say("folio_none", lang)
    one, several = _say("charges", lang).split("|")
    counted = f"{len(charges)} {one if len(charges) == 1 else several}"
    balance = float(d.get("balance", 0))
    key = "folio_balance" if balance > 0 else "folio_credit" if balance < 0 else "folio_settled"
    return _say(key, lang, charges=counted, money=money(balance, lang))


def _lookup(d: dict[str, Any], today: date | None, lang: str) -> str:
    return _say("account_found" if d.get("found") else "no_account", lang)


def _order(d: dict[str, Any], today: date | None, lang: str) -> str:
    if "orders" in d:
        return _say("orders", lang, count=len(d["orders"]))
    status, number = d.get("status"), spoken_digits(str(d.get("order_number", "")))
    if status == "shipped":
        eta = _say("order_eta", lang, date=spoken_date(d["eta"], today, lang)) \
            if d.get("eta") else ""
        return _say("order_shipped", lang, number=number, eta=eta,
                    carrier=d.get("carrier") or _say("carrier", lang))
    if status in ("delivered", "processing"):
        return _say(f"order_{status}", lang, number=number)
    return _say("order_status", lang, number=number, status=_status(status, lang))


def _status(status: Any, lang: str) -> str:
    return _STATUS.get(supported(lang), {}).get(str(status), str(status))


def _ticket(d: dict[str, Any], today: date | None, lang: str) -> str:
    ticket = spoken_digits(str(d.get("ticket", "")).removeprefix("T-"))
    return _say("ticket_opened" if d.get("created", True) else "ticket_existing", lang,
                ticket=ticket)


def _refund(d: dict[str, Any], today: date | None, lang: str) -> str:
    if d.get("refunded"):
        return _say("refunded", lang, money=money(d.get("amount", 0), lang))
    if d.get("status"):  # not delivered or returned yet
        return _say("refund_not_yet", lang, status=_status(d["status"], lang))
    if "refundable" in d:
        left = float(d["refundable"])
        return _say("refund_most", lang, money=money(left, lang)) if left > 0 \
            else _say("refund_full", lang)
    return _say("refund_failed", lang)


_PHRASES = {
    "find_reservation": _reservation, "verify_guest": _verified, "verify_customer": _verified,
    "check_in": _checked_in, "assign_room": _checked_in,
    "set_arrival_details": _arrival_details, "send_confirmation": _confirmation_sent,
    "request_late_checkout": _late_checkout, "get_folio": _folio,
    "lookup_customer": _lookup, "get_order_status": _order, "create_ticket": _ticket,
    "request_refund": _refund,
}
