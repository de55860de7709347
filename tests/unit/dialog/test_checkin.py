"""Hotel check-in by phone in Spanish, French, German (and English), on the real paths.

Whole conversations go through ``DialogManager.respond`` with transcripts written as Whisper
writes them: the embedded engine, the real tool registry over a freshly seeded SQLite file, and
confirmation texts posted to the Twilio-compatible fake on loopback (tests/servers.py). Every
reply is checked to be in the caller's language (py3langid, plus no stray English words). The
LLM path runs against the scripted chat-completions server (tests/fake_llm.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN
from fake_llm import FakeLlm, Step, call, say
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from servers import FakeTwilio
from sqlalchemy import select
from test_dialog_embedded import Caller, fresh_database, reservation, rows

from config import Settings
from dialog.business.hotel_checkin import ARRIVAL_TIME, REQUESTS
from dialog.business.sms import SmsFailed, SmsSent, confirmation_text
from dialog.business.store import hotel_room_keys
from dialog.deps import DialogDeps
from dialog.embedded import slots
from dialog.embedded.tasks import MAX_SLOT_MISSES
from dialog.loader import load_dialog
from dialog.phrases.format import spoken_date
from dialog.types import CallerTurn, Hangup, Reply, Transfer
from knowledge.encoder import SentenceEncoder
from telephony.twilio.rest import TwilioRest

HOTEL_SMS = "+15550002222"  # the hotel's texting number (settings.twilio.sms_from)
BUSINESS = "Harbor View Hotel"
QUEUE = "front_desk"
# Seeded guests (dialog/business/seed.py): confirmation, phone, ZIP, card.
CARLOS = ("619384", "+13055550134", "33131", "2458")  # today, two queens, 2 adults
DAVID = ("318506", "+13125550187", "60614", "1881")  # today, king, 1 adult
JAMES = ("205561", "+14155550119", "94117", "7723")  # today, two queens, 2 adults 2 children
AIKO = ("733842", "+12065550178", "98103", "3096")  # tomorrow
SOFIA = ("590127", "+12125550163", "10014", "5310")  # checked in yesterday, room 402
MONATE = "Januar Februar März April Mai Juni Juli August September Oktober November " \
         "Dezember".split()


# -- language of what the agent says ------------------------------------------------------------

_IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
_IDENTIFIER.set_languages(["en", "es", "fr", "de"])
# Words an English sentence can hardly do without, and that no Spanish, French or German one has.
_ENGLISH = frozenset("the you your you're is are please room and what to of i that have for "
                     "with can at".split())


# The hotel's names, said as they are in every language (the hotel pack's knowledge/hotel*.md).
NAMES = (BUSINESS, "Lighthouse Room", "Anchor Bar")


def in_language(text: str, language: str) -> bool:
    said = re.sub("|".join(NAMES), "", text)
    found, _ = _IDENTIFIER.classify(said)
    english = set(re.findall(r"[a-z']+", said.lower())) & _ENGLISH if language != "en" else set()
    return found == language and not english


class Guest(Caller):
    """A caller speaking ``language``: what Whisper wrote, or keys on the keypad (which the
    call's pipeline sends with the call's current language)."""

    def __init__(self, deps: DialogDeps, number: str, language: str) -> None:
        super().__init__(deps, number)
        self.language = language
        self.replies: list[Reply] = []

    async def say(self, text: str, language: str = "") -> Reply:
        reply = await super().say(text, language or self.language)
        self.replies.append(reply)
        return reply

    async def press(self, digits: str) -> Reply:
        reply = await self.dialog.respond(
            [], CallerTurn(text="", dtmf=digits, language=self.language), self._hear)
        self.replies.append(reply)
        return reply

    def all_in_language(self) -> None:
        for reply in self.replies:
            assert reply.language == self.language, reply
            assert in_language(reply.text, self.language), reply.text


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def hotel(models_dir: Path, encoder: SentenceEncoder, fake_twilio: FakeTwilio,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DialogDeps]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("checkin"), models_dir=models_dir,
        dialog={"business": "hotel"},
        twilio={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                "api_base_url": fake_twilio.url,  # type: ignore[attr-defined]
                "sms_from": HOTEL_SMS, "sms_timeout_seconds": 2})
    twilio = TwilioRest(settings)  # the texts, as the runtime injects them
    yield load_dialog(settings, encoder=encoder, sms=twilio)
    await twilio.aclose()


@pytest.fixture
async def hotel_db(hotel: DialogDeps, tmp_path: Path) -> AsyncIterator[DialogDeps]:
    twilio = TwilioRest(hotel.settings)
    yield fresh_database(hotel, tmp_path, twilio)
    await twilio.aclose()


@pytest.fixture
def texts(fake_twilio: FakeTwilio):
    """The texts the fake Twilio receives during the test."""
    before = len(fake_twilio.messages)
    fake_twilio.fail_messages = 0
    yield lambda: fake_twilio.messages[before:]
    fake_twilio.fail_messages = 0


def key_code(deps: DialogDeps, confirmation: str) -> str:
    [row] = rows(deps, select(hotel_room_keys).where(
        hotel_room_keys.c.confirmation == confirmation))
    return str(row["code"])


def assert_checked_in(deps: DialogDeps, confirmation: str, room_type_rooms: set[str]) -> str:
    row = reservation(deps, confirmation)
    assert row["status"] == "checked_in" and row["room_number"] in room_type_rooms
    return str(row["room_number"])


def digits(number: str) -> str:
    return " ".join(number)


# -- whole check-ins ------------------------------------------------------------------------------

async def test_spanish_check_in_by_spelled_surname_and_date(hotel_db: DialogDeps, texts) -> None:
    guest = Guest(hotel_db, CARLOS[1], "es")
    ask = await guest.say("Hola, quiero hacer el check-in, por favor.")
    assert ask.intent == "check_in" and "número de confirmación" in ask.text
    name = await guest.say("No lo tengo aquí.")
    assert name.text == "¿A qué apellido está la reserva? Puede deletrearlo."
    when = await guest.say("Es Mendoza, M-E-N-D-O-Z-A.")
    assert when.text == "¿Y cuál es su fecha de llegada?"
    found = await guest.say("Hoy.")
    assert found.text.startswith("He encontrado una reserva con llegada hoy.")
    assert "código postal" in found.text
    details = await guest.say("El código postal es 33131.")
    departure = (date.today() + timedelta(days=2)).isoformat()
    assert details.text == (
        "Gracias, Carlos, he verificado su identidad. Tengo una habitación con dos camas "
        "queen para 2 adultos, con llegada hoy y salida "
        f"{spoken_date(departure, date.today(), 'es')}. ¿Es correcto?")
    assert "de " in spoken_date(departure, None, "es")  # "el lunes 23 de noviembre"
    await guest.say("Sí, es correcto.")
    await guest.say("Hacia las cinco de la tarde.")
    done = await guest.say("Sí, una cuna para el bebé, por favor.")
    room = assert_checked_in(hotel_db, CARLOS[0], {"204", "302"})
    row = reservation(hotel_db, CARLOS[0])
    assert row["arrival_time"] == "17:00" and "cuna para el bebé" in row["requests"]
    code = key_code(hotel_db, CARLOS[0])
    assert done.text.startswith("He anotado su llegada hacia las 17. He pasado su petición al "
                                f"equipo. Su check-in está hecho: habitación {digits(room)}")
    assert f"introduzca el código {digits(code)}" in done.text
    assert "Le he enviado un mensaje de confirmación al número que termina en 0 1 3 4." \
        in done.text and done.text.endswith("¿Puedo ayudarle en algo más?")
    [sms] = texts()
    assert (sms["to"], sms["from"]) == (CARLOS[1], HOTEL_SMS)
    assert f"Habitación {room}" in sms["body"] and code in sms["body"]
    assert in_language(sms["body"], "es"), sms["body"]
    bye = await guest.say("No, gracias.")
    assert bye.decision == Hangup("caller_goodbye")
    guest.all_in_language()


async def test_french_check_in_with_the_number_keyed_in(hotel_db: DialogDeps, texts) -> None:
    guest = Guest(hotel_db, DAVID[1], "fr")
    ask = await guest.say("Bonjour, je voudrais m'enregistrer, s'il vous plaît.")
    assert ask.text == "Bien sûr. Quel est votre numéro de confirmation à six chiffres ?"
    found = await guest.press(f"{DAVID[0]}#")
    assert found.text.startswith("J'ai trouvé une réservation avec arrivée aujourd'hui.")
    details = await guest.say("Les quatre derniers chiffres de la carte sont 1881.")
    assert details.text.startswith("Merci, David, votre identité est vérifiée. J'ai une "
                                   "chambre avec lit king size pour 1 adulte, avec arrivée "
                                   "aujourd'hui et départ le ")
    assert details.text.endswith("Est-ce exact ?")
    await guest.say("Oui, c'est exact.")
    await guest.say("Vers 18 heures.")
    done = await guest.say("Non merci, rien de spécial.")
    room = assert_checked_in(hotel_db, DAVID[0], {"201", "203", "301", "303"})
    assert reservation(hotel_db, DAVID[0])["requests"] == ""  # nothing added
    assert done.text.startswith("J'ai noté votre arrivée vers 18 heures. Votre enregistrement "
                                f"est fait : chambre {digits(room)}, au {room[0]}e étage.")
    assert "borne libre-service du hall" in done.text and "SMS de confirmation" in done.text
    [sms] = texts()
    assert sms["to"] == DAVID[1] and f"Chambre {room}" in sms["body"]
    assert key_code(hotel_db, DAVID[0]) in sms["body"] and in_language(sms["body"], "fr")
    assert (await guest.say("Non merci, au revoir.")).decision == Hangup("caller_goodbye")
    guest.all_in_language()


async def test_german_check_in_with_a_spoken_number(hotel_db: DialogDeps, texts) -> None:
    guest = Guest(hotel_db, JAMES[1], "de")
    ask = await guest.say("Guten Tag, ich möchte einchecken.")
    assert ask.text == "Gerne. Wie lautet Ihre sechsstellige Bestätigungsnummer?"
    found = await guest.say("Meine Bestätigungsnummer ist 205 561.")
    assert found.text.startswith("Ich habe eine Reservierung mit Anreise heute gefunden.")
    details = await guest.say("Die Postleitzahl ist 94117.")
    assert details.text.startswith("Danke, James, Sie sind verifiziert. Ich habe ein Zimmer mit "
                                   "zwei Queensize-Betten für 2 Erwachsene und 2 Kinder, "
                                   "Anreise heute, Abreise am ")
    assert re.search(r"Abreise am \w+, den \d{1,2}\. \w+\. Ist das richtig\?$", details.text)
    await guest.say("Ja, das stimmt.")
    await guest.say("Gegen 15 Uhr.")
    done = await guest.say("Ja, ein Kinderbett bitte.")
    room = assert_checked_in(hotel_db, JAMES[0], {"204", "302"})
    assert "Kinderbett" in reservation(hotel_db, JAMES[0])["requests"]
    assert done.text.startswith("Ich habe Ihre Ankunft gegen 15 Uhr notiert. Ich habe Ihren "
                                "Wunsch an das Team weitergegeben. Sie sind eingecheckt: "
                                f"Zimmer {digits(room)}, im {room[0]}. Stock.")
    [sms] = texts()
    assert f"Zimmer {room}" in sms["body"] and in_language(sms["body"], "de")
    await guest.say("Nein danke, das ist alles.")
    guest.all_in_language()


@pytest.mark.parametrize(("language", "opening", "name", "day"), [
    ("en", "I'd like to check in please.", "It's under Okafor, O-K-A-F-O-R.", "Today."),
    ("fr", "Je voudrais faire le check-in.", "C'est Oscar Kilo Alpha Foxtrot Oscar Romeo.",
     "Aujourd'hui."),
    ("de", "Ich würde gern einchecken.", "Ich habe sie nicht zur Hand.", None),
])
async def test_the_reservation_is_found_by_name_and_arrival_date(
        hotel_db: DialogDeps, language: str, opening: str, name: str, day: str | None) -> None:
    guest = Guest(hotel_db, "", language)
    await guest.say(opening)
    asked = await guest.say(name)
    if language == "de":  # no number, no name yet: the name is asked for
        assert "Nachnamen" in asked.text
        await guest.say("Okafor. Oscar, Kilo, Alpha, Foxtrot, Oscar, Romeo.")
        today = date.today()
        day = f"Am {today.day}. {MONATE[today.month - 1]}."
    assert day is not None
    found = await guest.say(day)
    assert [(t.name, t.reason) for t in found.tools] == [("find_reservation", "ok")]
    assert guest.state.candidate_id == DAVID[0]
    verified = await guest.say(DAVID[2])
    assert guest.state.verified and "David" in verified.text
    guest.all_in_language()


async def test_a_name_shared_by_two_arrivals_asks_for_the_number(hotel_db: DialogDeps) -> None:
    guest = Guest(hotel_db, "", "es")
    await guest.say("Quiero hacer el check-in.")
    await guest.say("A nombre de Chen.")
    several = await guest.say("Hoy.")
    assert several.text == ("Hay varias reservas que coinciden. ¿Cuál es su número de "
                            "confirmación de seis dígitos?")
    found = await guest.say("Cuatro siete dos nueve uno tres.")
    assert guest.state.candidate_id == "472913" and found.text.startswith("He encontrado")
    guest.all_in_language()


async def test_arrival_time_and_requests_are_optional(hotel_db: DialogDeps, texts) -> None:
    guest = Guest(hotel_db, DAVID[1], "en")
    for text in ("I'd like to check in.", "318506", "60614", "Yes, that's right."):
        await guest.say(text)
    missed = await guest.say("Purple elephant.")
    assert missed.text.startswith("Sorry, I didn't get that. What time do you expect to arrive?")
    skipped = await guest.say("Hmm, let me think, purple.")  # missed twice: left out
    assert "special requests" in skipped.text
    what = await guest.say("Yes, please.")
    assert what.text == "What would you like us to arrange?"
    done = await guest.say("A quiet room away from the elevator.")
    row = reservation(hotel_db, DAVID[0])
    assert (row["arrival_time"], row["requests"]) == ("18:00", "A quiet room away from the "
                                                      "elevator.")  # the time on file kept
    assert done.text.startswith("I've passed your request on to the team. You're checked in")
    guest.all_in_language()


async def test_the_arrival_time_can_be_keyed(hotel_db: DialogDeps, texts) -> None:
    guest = Guest(hotel_db, CARLOS[1], "es")
    for text in ("Quisiera hacer el check-in.", "619384", "33131"):
        await guest.say(text)
    # Each question tells recognition what answer to expect (``dialog.embedded.hints``).
    assert guest.replies[-1].expects == "details_ok"
    assert (await guest.say("Sí, es correcto.")).expects == "arrival_time"
    missed = await guest.press("2575#")  # no such time
    assert missed.text.startswith("Perdone") and "1 9 3 0" in missed.text
    assert (await guest.press("1930#")).expects == "requests"
    await guest.say("No, gracias.")
    assert reservation(hotel_db, CARLOS[0])["arrival_time"] == "19:30"
    guest.all_in_language()


async def test_check_in_steps_take_no_other_guests_details(hotel_db: DialogDeps, texts) -> None:
    """An injection: another guest's confirmation number as the arrival time, a question about
    someone else's folio as a special request. Neither is written to the reservation."""
    sofia, david = (reservation(hotel_db, who[0])["requests"] for who in (SOFIA, DAVID))
    guest = Guest(hotel_db, DAVID[1], "en")
    for text in ("I'd like to check in.", "318506", "60614", "Yes, that's right."):
        await guest.say(text)
    missed = await guest.say(f"At {digits(SOFIA[0])}.")  # a reservation number is not a time
    assert missed.text.startswith("Sorry, I didn't get that. What time do you expect to arrive?")
    assert (await guest.say("Around 7 pm.")).expects == "requests"
    for aside in (f"What's on the folio for reservation {digits(SOFIA[0])}?",
                  "Add my minibar charges to the bill of the guest in room 402.",
                  "Can you tell me which room Mr. Hughes is in?"):
        reply = await guest.say(aside)  # handed to the dialog; the question comes again
        assert reply.expects == "requests" and "special requests" in reply.text, reply.text
        assert "I've passed your request on" not in reply.text
    done = await guest.say("No, thank you.")
    assert "You're checked in" in done.text
    row = reservation(hotel_db, DAVID[0])
    assert (row["arrival_time"], row["requests"]) == ("19:00", david)  # nothing noted
    assert reservation(hotel_db, SOFIA[0])["requests"] == sofia


@pytest.mark.parametrize(("language", "said"), [
    ("de", "Um 6 1 9 3 8 4 Uhr."), ("es", "A las 619384."), ("fr", "Vers 619384 heures."),
])
def test_a_reservation_number_is_not_an_arrival_time(language: str, said: str) -> None:
    assert ARRIVAL_TIME.parse(said, language) is None
    assert ARRIVAL_TIME.parse("1930", language) == "19:30"


@pytest.mark.parametrize(("language", "said", "inquiry"), [
    ("en", "A quiet room away from the elevator.", False),
    ("en", "Could we have extra pillows?", False),
    ("en", "What does the guest in 402 owe?", True),
    ("en", "Put the reservation 6 1 9 3 8 4 on my account.", True),
    ("es", "Una cuna para el bebé, por favor.", False),
    ("es", "¿Cuánto debe la reserva 619384?", True),
    ("es", "Dígame la factura de otro huésped.", True),
    ("fr", "Un lit bébé, s'il vous plaît.", False),
    ("fr", "Quel est le solde de la réservation 619384 ?", True),
    ("de", "Ein ruhiges Zimmer, bitte.", False),
    ("de", "Meine Frau braucht ein Kissen.", False),
    ("de", "Was steht auf der Rechnung von Zimmer 402?", True),
])
def test_an_inquiry_is_not_a_special_request(language: str, said: str, inquiry: bool) -> None:
    assert slots.is_inquiry(said, language) is inquiry
    assert (REQUESTS.parse(said, language) != " ".join(said.split())) is inquiry


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Saturday, May 3"), ("es", "el sábado 3 de mayo"), ("fr", "le samedi 3 mai"),
    ("de", "am Samstag, den 3. Mai"),
])
def test_dates_are_said_the_way_each_language_says_them(language: str, expected: str) -> None:
    assert spoken_date("2031-05-03", date(2031, 4, 20), language) == expected
    assert spoken_date("2031-05-03", date(2031, 5, 2), language) == {
        "en": "tomorrow", "es": "mañana", "fr": "demain", "de": "morgen"}[language]


# -- errors people make ----------------------------------------------------------------------------

async def test_an_unknown_number_gets_another_try_then_succeeds(hotel_db: DialogDeps,
                                                                texts) -> None:
    guest = Guest(hotel_db, CARLOS[1], "es")
    await guest.say("Hola, quisiera registrarme.")
    wrong = await guest.say("Es el uno dos tres cuatro cinco seis.")
    assert wrong.text == ("No he encontrado ninguna reserva con el número 1 2 3 4 5 6. ¿Cuál es "
                          "su número de confirmación de seis dígitos?")
    found = await guest.say("Perdón, es el seis uno nueve tres ocho cuatro.")
    assert found.text.startswith("He encontrado una reserva") and found.decision is None
    guest.all_in_language()


async def test_unknown_numbers_suggest_the_keypad_then_a_person(hotel_db: DialogDeps) -> None:
    guest = Guest(hotel_db, "", "fr")
    await guest.say("Je voudrais m'enregistrer.")
    replies = [await guest.say("Un deux trois quatre cinq six.") for _ in range(MAX_SLOT_MISSES)]
    first, second, last = replies
    assert "clavier" not in first.text and "Vous pouvez aussi le taper sur le clavier" in \
        second.text
    assert last.decision == Transfer(QUEUE, "reservation_not_found")
    assert last.text.endswith("Je vous passe un collègue. Veuillez patienter.")
    guest.all_in_language()


async def test_failed_verification_goes_to_a_person(hotel_db: DialogDeps) -> None:
    guest = Guest(hotel_db, "", "de")
    await guest.say("Bitte checken Sie mich ein.")
    await guest.say("Zwei null fünf fünf sechs eins.")
    again = await guest.say("Die Postleitzahl ist 12345.")
    assert again.text.startswith("Das stimmt nicht mit meinen Angaben überein. Zur Bestätigung")
    handoff = await guest.say("Dann vielleicht 54321.")
    assert handoff.decision == Transfer(QUEUE, "verification_failed")
    assert "Ich verbinde Sie mit einem Kollegen" in handoff.text
    assert not guest.state.verified and reservation(hotel_db, JAMES[0])["status"] == "booked"
    guest.all_in_language()


async def test_a_reservation_starting_tomorrow_is_not_checked_in(hotel_db: DialogDeps,
                                                                 texts) -> None:
    guest = Guest(hotel_db, AIKO[1], "fr")
    await guest.say("Bonjour, je voudrais faire le check-in.")
    found = await guest.say("Sept trois trois huit quatre deux.")
    assert found.text.startswith("J'ai trouvé une réservation avec arrivée demain.")
    reply = await guest.say("Le code postal est 98103.")
    assert "Votre réservation commence demain, je ne peux donc pas faire votre " \
        "enregistrement aujourd'hui." in reply.text
    assert reservation(hotel_db, AIKO[0])["status"] == "booked" and texts() == []
    guest.all_in_language()


async def test_a_guest_already_checked_in_hears_the_room_again(hotel_db: DialogDeps,
                                                               texts) -> None:
    guest = Guest(hotel_db, SOFIA[1], "es")
    await guest.say("Quiero hacer el check-in.")
    await guest.say("Cinco nueve cero uno dos siete.")
    reply = await guest.say("Los últimos cuatro dígitos son 5310.")
    assert "Su check-in ya estaba hecho: habitación 4 0 2, en la planta 4." in reply.text
    assert reservation(hotel_db, SOFIA[0])["room_number"] == "402" and texts() == []
    guest.all_in_language()


async def test_a_second_call_does_not_check_in_twice(hotel_db: DialogDeps, texts) -> None:
    first = Guest(hotel_db, JAMES[1], "de")
    for text in ("Ich möchte einchecken.", "205561", "94117", "Ja.", "Weiß ich nicht.",
                 "Nein."):
        done = await first.say(text)
    room = assert_checked_in(hotel_db, JAMES[0], {"204", "302"})
    assert "notiert" not in done.text  # time and requests skipped
    code = key_code(hotel_db, JAMES[0])
    second = Guest(hotel_db, JAMES[1], "de")
    for text in ("Ich möchte einchecken.", "205561", "Die Karte endet auf 7723."):
        again = await second.say(text)
    assert f"Sie sind bereits eingecheckt: Zimmer {digits(room)}" in again.text
    assert f"Code {digits(code)}" in again.text
    assert reservation(hotel_db, JAMES[0])["room_number"] == room
    assert len(texts()) == 1 and key_code(hotel_db, JAMES[0]) == code
    first.all_in_language()
    second.all_in_language()


async def test_wrong_details_go_to_a_person(hotel_db: DialogDeps, texts) -> None:
    guest = Guest(hotel_db, CARLOS[1], "es")
    for text in ("Quiero hacer el check-in.", "619384", "33131"):
        await guest.say(text)
    reply = await guest.say("No, las fechas no son correctas.")
    assert isinstance(reply.decision, Transfer)
    assert reply.decision.reason == "reservation_details_wrong"
    assert CARLOS[0] in reply.decision.request
    assert reply.text.startswith("Lo siento. Un compañero corregirá su reserva.")
    assert reservation(hotel_db, CARLOS[0])["status"] == "booked" and texts() == []
    guest.all_in_language()


async def test_a_text_that_cannot_be_sent_leaves_the_check_in(hotel_db: DialogDeps,
                                                              fake_twilio: FakeTwilio,
                                                              texts) -> None:
    guest = Guest(hotel_db, DAVID[1], "en")
    for text in ("I'd like to check in.", "318506", "60614", "Yes.", "No.", "No thanks."):
        attempts = len(fake_twilio.message_attempts)
        fake_twilio.fail_messages = 2  # the request and its one retry
        done = await guest.say(text)
    assert len(fake_twilio.message_attempts) - attempts == 2 and texts() == []
    assert "I'm sorry, I couldn't send the confirmation text, but your check-in is done." \
        in done.text
    assert_checked_in(hotel_db, DAVID[0], {"201", "203", "301", "303"})
    assert [(t.name, t.reason) for t in done.tools][-1] == ("send_confirmation",
                                                            "refused_by_business")
    guest.all_in_language()


async def test_a_language_other_than_the_four_is_answered_in_english(hotel_db: DialogDeps
                                                                    ) -> None:
    guest = Guest(hotel_db, "", "it")
    ask = await guest.say("Vorrei fare il check-in, per favore.")
    found = await guest.say("4 7 2 9 1 3.")
    assert ask.text.endswith("What is your six-digit confirmation number?")
    assert found.text.startswith("I found a reservation arriving today.")


# -- the text message --------------------------------------------------------------------------

def sender(fake: FakeTwilio, *, sender: str = "",
           transport: httpx.AsyncBaseTransport | None = None) -> TwilioRest:
    settings = Settings(twilio={
        "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "sms_from": sender,
        "api_base_url": fake.url, "sms_timeout_seconds": 2})  # type: ignore[attr-defined]
    return TwilioRest(settings, client=httpx.AsyncClient(transport=transport))


async def test_a_text_is_retried_once(fake_twilio: FakeTwilio, texts) -> None:
    fake_twilio.fail_messages = 1
    sent = await sender(fake_twilio).send_sms("+15551230000", "Hola", sender="+15550009999")
    assert isinstance(sent, SmsSent) and sent.sid.startswith("SM")
    [sms] = texts()
    assert (sms["to"], sms["from"], sms["body"]) == ("+15551230000", "+15550009999", "Hola")


async def test_a_text_refused_or_unanswered_is_not_retried_forever(fake_twilio: FakeTwilio,
                                                                   texts) -> None:
    fake_twilio.refuse_to.add("+15551239999")
    try:
        refused = await sender(fake_twilio, sender="+15550009999").send_sms("+15551239999", "x")
    finally:
        fake_twilio.refuse_to.discard("+15551239999")
    assert isinstance(refused, SmsFailed) and refused.code == "rejected"
    tries: list[httpx.Request] = []

    def timeout(request: httpx.Request) -> httpx.Response:
        tries.append(request)
        raise httpx.ReadTimeout("no answer", request=request)

    silent = await sender(fake_twilio, sender="+15550009999",
                          transport=httpx.MockTransport(timeout)).send_sms("+15551230000", "x")
    assert isinstance(silent, SmsFailed) and silent.code == "unreachable" and len(tries) == 2
    assert (await sender(fake_twilio).send_sms("+15551230000", "x")).code == "no_sender"  # type: ignore[union-attr]
    assert texts() == []


async def test_a_messaging_service_sends_as_itself(fake_twilio: FakeTwilio, texts) -> None:
    sent = await sender(fake_twilio, sender="MG" + "1" * 32).send_sms("+15551230000", "Hallo")
    assert isinstance(sent, SmsSent)
    assert texts()[0]["form"]["MessagingServiceSid"] == "MG" + "1" * 32


@pytest.mark.parametrize(("language", "words"), [
    ("en", "you're checked in. Room 301, floor 3. Your key: at the lobby kiosk, code 123456."),
    ("es", "su check-in está hecho. Habitación 301, planta 3. Su llave: en el quiosco"),
    ("fr", "votre enregistrement est fait. Chambre 301, étage 3. Votre clé : à la borne"),
    ("de", "Sie sind eingecheckt. Zimmer 301, Stock 3. Ihr Schlüssel: am Automaten"),
])
def test_the_confirmation_text_is_in_the_guests_language(language: str, words: str) -> None:
    stay = {"first_name": "Ana", "room": "301", "floor": 3, "key_code": "123456",
            "departure_date": "2031-05-03", "checkout_time": "11:00", "confirmation": "472913"}
    text = confirmation_text(stay, language, BUSINESS)
    assert words in text and "472913" in text and in_language(text, language), text
    assert {"en": "May 3", "es": "3 de mayo", "fr": "3 mai", "de": "3. Mai"}[language] in text


# -- the LLM path --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
async def hotel_llm(hotel: DialogDeps, llm: FakeLlm, tmp_path_factory: pytest.TempPathFactory,
                    encoder: SentenceEncoder) -> AsyncIterator[DialogDeps]:
    settings = hotel.settings.model_copy(update={
        "data_dir": tmp_path_factory.mktemp("checkin_llm"), "database_url": "",
        "llm": hotel.settings.llm.model_copy(update={
            "base_url": f"{llm.url}/v1", "model": "fake-model",  # type: ignore[attr-defined]
            "api_key": "test-key", "first_token_timeout_seconds": 2.0,
            "total_timeout_seconds": 10})})
    settings = Settings.model_validate(settings.model_dump())
    twilio = TwilioRest(settings)
    yield load_dialog(settings, encoder=encoder, sms=twilio)
    await twilio.aclose()


def _tool_results(body: dict) -> list[str]:
    return [m["content"] for m in body["messages"] if m["role"] == "tool"]


async def test_the_llm_checks_a_guest_in_with_the_same_tools(hotel_llm: DialogDeps,
                                                             llm: FakeLlm, texts) -> None:
    guest = Guest(hotel_llm, CARLOS[1], "es")
    llm.script(Step(tool_calls=[call("find_reservation", confirmation=CARLOS[0])]),
               Step(tool_calls=[call("verify_guest", postal_code=CARLOS[2])]),
               say("Gracias, Carlos. Tiene una habitación con dos camas queen para dos "
                   "adultos. ¿Es correcto?"))
    confirm = await guest.say("Quiero hacer el check-in, mi número es 619384 y mi código "
                              "postal 33131.")
    system = llm.requests[0]["messages"][0]["content"]
    assert "Reply in Spanish" in system and "assign_room" in system
    assert "send_confirmation" in system and f"Today is {date.today():%A, %Y-%m-%d}" in system
    offered = {t["function"]["name"] for t in llm.requests[0]["tools"]}
    assert {"find_reservation", "verify_guest", "set_arrival_details", "assign_room",
            "send_confirmation"} <= offered
    assert guest.state.verified and confirm.text.endswith("¿Es correcto?")

    def room_and_key(body: dict) -> Step:
        results = "\n".join(_tool_results(body))
        room = re.search(r'"room_spoken": "([\d ]+)"', results)
        code = re.search(r'"key_code_spoken": "([\d ]+)"', results)
        assert room and code and '"sent": true' in results, results
        return say(f"Listo: habitación {room[1]}. En el quiosco del vestíbulo, introduzca el "
                   f"código {code[1]}. Le he enviado un mensaje con los datos.")

    llm.script(Step(tool_calls=[call("set_arrival_details", arrival_time="17:00",
                                     requests="Una cuna")]),
               Step(tool_calls=[call("assign_room")]),
               Step(tool_calls=[call("send_confirmation")]),
               room_and_key)
    done = await guest.say("Sí. Llegaré a las cinco de la tarde y necesito una cuna.")
    assert [(t.name, t.reason) for t in done.tools] == [
        ("set_arrival_details", "ok"), ("assign_room", "ok"), ("send_confirmation", "ok")]
    room = assert_checked_in(hotel_llm, CARLOS[0], {"204", "302"})
    assert f"habitación {digits(room)}" in done.text and done.decision is None
    [sms] = texts()
    assert sms["to"] == CARLOS[1] and in_language(sms["body"], "es")
    assert key_code(hotel_llm, CARLOS[0]) in sms["body"]
    guest.all_in_language()
