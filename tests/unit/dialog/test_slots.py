"""Slot parsers on speech-recognition-style transcripts in en, es, fr and de
(dialog/embedded/slots/)."""

from datetime import date, time
from decimal import Decimal

import pytest

from config.languages import spoken_language
from dialog.embedded.slots import (
    parse_amount,
    parse_confirmation,
    parse_date,
    parse_digits,
    parse_keypad_digits,
    parse_last_four,
    parse_name,
    parse_order_number,
    parse_phone,
    parse_postal_code,
    parse_time,
    parse_yes_no,
    says_not_known,
    says_nothing,
)
from dialog.embedded.spoken import Run, digit_runs, spelled_runs

THURSDAY = date(2025, 5, 1)  # the "today" of most date cases


# --- digits ---------------------------------------------------------------------------------------

CONFIRMATIONS = [
    ("en", "four seven two nine one three"),
    ("en", "4 7 2 9 1 3"),
    ("en", "four seven, two nine, one three"),
    ("en", "Four, seven, two. Nine, one, three."),
    ("en", "forty-seven twenty-nine thirteen"),
    ("en", "forty seven twenty nine thirteen"),
    ("en", "47 twenty-nine 13"),
    ("en", "472-913"),
    ("en", "472,913"),
    ("en", "472 913"),
    ("en", "It's 472913."),
    ("en", "yes my confirmation number is four seven two nine one three thanks"),
    ("en", "uh four seven two, um, nine one three"),
    ("en", "four seventy-two nine thirteen"),
    ("en", "the one with the view, number four seven two nine one three"),
    ("en", "Oh, four seven two nine one three."),
    ("en", "four seven two, sorry, four seven two nine one three"),
    ("es", "cuatro siete dos nueve uno tres"),
    ("es", "cuarenta y siete veintinueve trece"),
    ("es", "eh, mi número es cuatro siete dos nueve uno tres, gracias"),
    ("fr", "quatre sept deux neuf un trois"),
    ("fr", "quarante-sept vingt-neuf treize"),
    ("fr", "euh quatre sept deux, neuf un trois"),
    ("de", "vier sieben zwei neun eins drei"),
    ("de", "siebenundvierzig neunundzwanzig dreizehn"),
    ("de", "äh vier sieben zwei, äh, neun eins drei"),
]


@pytest.mark.parametrize(("lang", "text"), CONFIRMATIONS)
def test_confirmation_said_many_ways(lang, text):
    assert parse_confirmation(text, lang) == "472913"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "four seven oh nine one three", "470913"),
        ("en", "four seven o nine one three", "470913"),
        ("en", "double five triple seven one", "557771"),
        ("en", "four double oh nine one three", "400913"),
        ("en", "nineteen oh five twenty-one", "190521"),
        ("es", "cero cero siete dos nueve uno", "007291"),
        ("fr", "double cinq quatre deux neuf un", "554291"),
        ("de", "null null sieben zwei neun eins", "007291"),
    ],
)
def test_zero_and_repeated_digits(lang, text, expected):
    assert parse_order_number(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I'd like to check in"),
        ("en", "the one with the view"),
        ("en", "four seven two nine"),  # four digits when six are wanted
        ("en", "four seven two nine one three five"),  # seven
        ("en", "room for two, number four seven two"),
        ("en", "Oh, I see."),
        ("es", "quiero hacer el check-in"),
        ("es", "o cinco"),  # Spanish "o" is "or", never a zero
        ("fr", "une chambre pour deux"),
        ("de", "ein Zimmer für zwei Nächte"),
    ],
)
def test_no_confirmation(lang, text):
    assert parse_confirmation(text, lang) is None


@pytest.mark.parametrize(
    ("text", "low", "high", "expected"),
    [
        ("forty seven twenty nine", 4, 4, "4729"),
        ("four seven", 2, 2, "47"),
        ("forty seven", 2, 2, "47"),
        ("twenty nine", 2, 2, "29"),
        ("twenty nine", 3, 6, None),
        ("the 1 with 2 beds and 472913", 6, 6, "472913"),
        ("472913 or maybe 4729", 4, 6, "4729"),  # several fit: the last one said
    ],
)
def test_digit_length_range(text, low, high, expected):
    assert parse_digits(text, "en", min_len=low, max_len=high) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "nine oh two one oh", "90210"),
        ("en", "my zip is 90210", "90210"),
        ("en", "nine oh two one", None),
        ("es", "veintiocho cero uno tres", "28013"),
        ("fr", "soixante-quinze zéro zéro un", "75001"),
        ("de", "eins null eins eins fünf", "10115"),
    ],
)
def test_postal_code(lang, text, expected):
    assert parse_postal_code(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "it ends in four five six seven", "4567"),
        ("en", "forty-five sixty-seven", "4567"),
        ("en", "the last four are 4567", "4567"),
        ("es", "cuatro cinco seis siete", "4567"),
        ("fr", "quarante-cinq soixante-sept", "4567"),
        ("de", "vier fünf sechs sieben", "4567"),
        ("en", "four five six", None),
        ("en", "I don't have the card", None),
    ],
)
def test_last_four(lang, text, expected):
    assert parse_last_four(text, lang) == expected


@pytest.mark.parametrize(
    ("dtmf", "expected"),
    [("472913#", "472913"), ("*4729#", "4729"), ("12 34", "1234"), ("#", ""), ("", "")],
)
def test_keypad_digits(dtmf, expected):
    assert parse_keypad_digits(dtmf) == expected


def test_digit_runs_keep_plus_and_order():
    runs = digit_runs("room for two, call plus four four two zero", "en")
    assert runs == [Run("2"), Run("4420", plus=True)]


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "today", date(2025, 5, 1)),
        ("en", "Tomorrow.", date(2025, 5, 2)),
        ("en", "the day after tomorrow", date(2025, 5, 3)),
        ("en", "I'm arriving the day after tomorrow", date(2025, 5, 3)),
        ("en", "on Friday", date(2025, 5, 2)),
        ("en", "next Friday", date(2025, 5, 2)),
        ("en", "Monday", date(2025, 5, 5)),
        ("en", "the 3rd of May", date(2025, 5, 3)),
        ("en", "May 3rd", date(2025, 5, 3)),
        ("en", "3 May", date(2025, 5, 3)),
        ("en", "May the third", date(2025, 5, 3)),
        ("en", "the twenty-first", date(2025, 5, 21)),
        ("en", "check in on the 21st please", date(2025, 5, 21)),
        ("en", "the first of June", date(2025, 6, 1)),
        ("en", "May 1st", date(2025, 5, 1)),  # today, not next year
        ("en", "April 30th", date(2026, 4, 30)),  # already past this year
        ("en", "July 4th 2026", date(2026, 7, 4)),
        ("en", "tonight", date(2025, 5, 1)),
        ("en", "tomorrow at 3 pm", date(2025, 5, 2)),
        ("en", "may I book a room for Friday", date(2025, 5, 2)),
        ("es", "mañana", date(2025, 5, 2)),
        ("es", "pasado mañana", date(2025, 5, 3)),
        ("es", "el 3 de mayo", date(2025, 5, 3)),
        ("es", "el tres de mayo", date(2025, 5, 3)),
        ("es", "el primero de junio", date(2025, 6, 1)),
        ("es", "el viernes", date(2025, 5, 2)),
        ("es", "el viernes por la mañana", date(2025, 5, 2)),
        ("es", "el veintiuno", date(2025, 5, 21)),
        ("es", "hoy", date(2025, 5, 1)),
        ("fr", "demain", date(2025, 5, 2)),
        ("fr", "après-demain", date(2025, 5, 3)),
        ("fr", "après demain", date(2025, 5, 3)),
        ("fr", "le 3 mai", date(2025, 5, 3)),
        ("fr", "le premier juin", date(2025, 6, 1)),
        ("fr", "vendredi", date(2025, 5, 2)),
        ("fr", "j'arrive vendredi prochain", date(2025, 5, 2)),
        ("fr", "le vingt et un", date(2025, 5, 21)),
        ("de", "morgen", date(2025, 5, 2)),
        ("de", "übermorgen", date(2025, 5, 3)),
        ("de", "am 3. Mai", date(2025, 5, 3)),
        ("de", "am dritten Mai", date(2025, 5, 3)),
        ("de", "Freitag", date(2025, 5, 2)),
        ("de", "ich komme mit meiner Frau am Freitag", date(2025, 5, 2)),
        ("de", "am einundzwanzigsten", date(2025, 5, 21)),
        ("de", "morgen früh", date(2025, 5, 2)),
    ],
)
def test_date(lang, text, expected):
    assert parse_date(text, lang, THURSDAY) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I'd like to check in"),
        ("en", "I need 2 rooms"),
        ("en", "just a second"),
        ("en", "my confirmation is 472913"),
        ("en", "my confirmation is four seven two nine one three"),
        ("en", "call me back at 1714550400"),
        ("en", "around 3 pm"),
        ("es", "llego por la mañana"),  # "in the morning", not "tomorrow"
        ("fr", "une chambre avec vue sur la mer"),  # "mer" is also "mercredi"
        ("de", "mit Frühstück bitte"),  # "mit" is also "Mittwoch"
        ("de", "die Rechnung"),  # "die" is also "Dienstag"
    ],
)
def test_no_date(lang, text):
    assert parse_date(text, lang, THURSDAY) is None


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("the 3rd of May", date(2025, 5, 10), date(2026, 5, 3)),
        ("the 21st", date(2025, 5, 25), date(2025, 6, 21)),
        ("the 31st", date(2025, 4, 5), date(2025, 5, 31)),  # April has no 31st
        ("the 1st", date(2025, 12, 15), date(2026, 1, 1)),
        ("Friday", date(2025, 5, 2), date(2025, 5, 9)),  # said on a Friday: a week on
    ],
)
def test_date_is_next_on_or_after_today(text, today, expected):
    assert parse_date(text, "en", today) == expected


# --- times ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "around 3 pm", time(15, 0)),
        ("en", "around three p.m.", time(15, 0)),
        ("en", "3:30 PM", time(15, 30)),
        ("en", "half past four", time(4, 30)),
        ("en", "half past four in the afternoon", time(16, 30)),
        ("en", "a quarter to five", time(4, 45)),
        ("en", "ten past four", time(4, 10)),
        ("en", "15:30", time(15, 30)),
        ("en", "three thirty", time(3, 30)),
        ("en", "five oh five pm", time(17, 5)),
        ("en", "at noon", time(12, 0)),
        ("en", "midnight", time(0, 0)),
        ("en", "7 in the evening", time(19, 0)),
        ("en", "about 9 in the morning", time(9, 0)),
        ("en", "12 am", time(0, 0)),
        ("es", "a las tres de la tarde", time(15, 0)),
        ("es", "las tres y media", time(3, 30)),
        ("es", "las cuatro menos cuarto", time(3, 45)),
        ("es", "a las 15:30", time(15, 30)),
        ("es", "a mediodía", time(12, 0)),
        ("fr", "vers 16 heures", time(16, 0)),
        ("fr", "16h30", time(16, 30)),
        ("fr", "seize heures trente", time(16, 30)),
        ("fr", "quatre heures et demie", time(4, 30)),
        ("fr", "cinq heures moins le quart", time(4, 45)),
        ("fr", "vers 8 heures du soir", time(20, 0)),
        ("de", "gegen 15 Uhr", time(15, 0)),
        ("de", "fünfzehn Uhr dreißig", time(15, 30)),
        ("de", "15.30 Uhr", time(15, 30)),
        ("de", "halb vier", time(3, 30)),
        ("de", "viertel nach drei", time(3, 15)),
        ("de", "viertel vor vier", time(3, 45)),
        ("de", "um 8 Uhr abends", time(20, 0)),
    ],
)
def test_time(lang, text, expected):
    assert parse_time(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "around 3", time(15, 0)),
        ("en", "I am arriving around 3", time(15, 0)),  # "am" the verb is not a.m.
        ("en", "around 9", time(9, 0)),
        ("en", "around 3 am", time(3, 0)),
        ("de", "halb vier", time(15, 30)),
        ("es", "la una y cuarto", time(13, 15)),
    ],
)
def test_time_bare_hours_read_as_afternoon_when_asked(lang, text, expected):
    assert parse_time(text, lang, assume_pm_before=8) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "I'd like to check in"), ("en", "tomorrow"), ("fr", "bonjour"), ("de", "ja")],
)
def test_no_time(lang, text):
    assert parse_time(text, lang) is None


# --- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "region", "expected"),
    [
        ("en", "five five five, one two three, four five six seven", "US", "+15551234567"),
        ("en", "(555) 123-4567", "US", "+15551234567"),
        ("en", "my number is 1 800 555 0199", "US", "+18005550199"),
        ("en", "five five five one two three forty-five sixty-seven", "US", "+15551234567"),
        ("en", "plus four four two zero seven nine four six zero nine five eight", "US",
         "+442079460958"),
        ("en", "+44 20 7946 0958", "US", "+442079460958"),
        ("es", "seis uno dos tres cuatro cinco seis siete ocho", "ES", "+34612345678"),
        ("fr", "zéro six douze trente-quatre cinquante-six soixante-dix-huit", "FR",
         "+33612345678"),
        ("de", "null eins fünf eins, zwei drei vier fünf sechs sieben acht", "DE",
         "+491512345678"),
    ],
)  # fmt: skip
def test_phone(lang, text, region, expected):
    assert parse_phone(text, lang, region) == expected


@pytest.mark.parametrize(
    "text", ["four five six", "I want to check in", "one two three four five six seven eight nine"]
)
def test_no_phone(text):
    assert parse_phone(text, "en") is None


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "the reservation is under Garcia", "Garcia"),
        ("en", "It's under Garcia, thanks", "Garcia"),
        ("en", "My name is John Smith.", "John Smith"),
        ("en", "my name is garcia", "Garcia"),
        ("en", "it's under the name of o'brien", "O'Brien"),
        ("en", "Garcia.", "Garcia"),
        ("en", "S M I T H", "Smith"),
        ("en", "s-m-i-t-h", "Smith"),
        ("en", "S. M. I. T. H.", "Smith"),
        ("en", "S as in Sam, M as in Mary, I as in India, T as in Tom, H as in Harry", "Smith"),
        ("en", "Sierra Mike India Tango Hotel", "Smith"),
        ("en", "Smith, S M I T H", "Smith"),
        ("en", "it's S M I T H I think", "Smith"),
        ("en", "M A R I.", "Mari"),
        ("en", "B E double T Y", "Betty"),
        ("en", "the name is Van der Berg", "Van der Berg"),
        ("en", "My last name is Nguyen, N G U Y E N.", "Nguyen"),
        ("es", "me llamo García", "García"),
        ("es", "a nombre de garcía de la torre", "García de la Torre"),
        ("es", "está a nombre de García López", "García López"),
        ("es", "Es García", "García"),
        ("es", "G A R C I A y nada más", "Garcia"),
        ("fr", "c'est Dupont", "Dupont"),
        ("fr", "je m'appelle Marie Dubois", "Marie Dubois"),
        ("fr", "D comme Denis, U comme Ursule, P comme Pierre, O, N, T", "Dupont"),
        ("de", "ich heiße Müller", "Müller"),
        ("de", "mein Name ist Schmidt", "Schmidt"),
        ("de", "S wie Siegfried, C wie Cäsar, H wie Heinrich, M wie Martha, I wie Ida, "
               "D wie Dora, T wie Theodor", "Schmidt"),
    ],
)  # fmt: skip
def test_name(lang, text, expected):
    assert parse_name(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Yes."),
        ("en", "It's fine"),
        ("en", "I would like to book a room"),
        ("en", "it's for two nights"),
        ("es", "es para el viernes"),
        ("fr", "c'est bon"),
        ("de", "Ja, genau."),
    ],
)
def test_no_name(lang, text):
    assert parse_name(text, lang) is None


def test_spelled_runs_are_separate():
    assert spelled_runs("S M I T H, first name J O", "en") == ["SMITH", "JO"]


# --- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "$40", "40"),
        ("en", "forty dollars", "40"),
        ("en", "39.99", "39.99"),
        ("en", "thirty nine ninety nine", "39.99"),
        ("en", "thirty-nine dollars and ninety-nine cents", "39.99"),
        ("en", "thirty nine dollars ninety nine", "39.99"),
        ("en", "$1,200.50", "1200.50"),
        ("en", "fifty cents", "0.50"),
        ("en", "two fifty", "2.50"),
        ("en", "a hundred and twenty bucks", "120"),
        ("en", "I was charged 40 dollars on the 3rd", "40"),
        ("en", "about 40", "40"),
        ("es", "cuarenta euros", "40"),
        ("es", "cuarenta euros con cincuenta", "40.50"),
        ("es", "39,99 €", "39.99"),
        ("fr", "quarante euros", "40"),
        ("fr", "quarante euros cinquante", "40.50"),
        ("fr", "39,99 euros", "39.99"),
        ("de", "vierzig Euro", "40"),
        ("de", "vierzig Euro fünfzig", "40.50"),
        ("de", "1.200 Euro", "1200"),
        ("de", "39,99€", "39.99"),
    ],
)
def test_amount(lang, text, expected):
    assert parse_amount(text, lang) == Decimal(expected)


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "I have a question"), ("en", "four five six seven"), ("fr", "combien ça coûte")],
)
def test_no_amount(lang, text):
    assert parse_amount(text, lang) is None


# --- yes / no -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "yes", True),
        ("en", "Yeah, sure.", True),
        ("en", "Sure", True),
        ("en", "correct", True),
        ("en", "That's right.", True),
        ("en", "Yes, no problem.", True),
        ("en", "No problem", True),
        ("en", "uh, yep", True),
        ("en", "nope", False),
        ("en", "No, that's not right.", False),
        ("en", "that's not right", False),
        ("en", "No thanks", False),
        ("en", "not sure", None),
        ("en", "I want to check in", None),
        ("es", "Sí", True),
        ("es", "si, claro", True),
        ("es", "claro", True),
        ("es", "no, gracias", False),
        ("es", "no sé", None),
        ("fr", "Oui", True),
        ("fr", "d'accord", True),
        ("fr", "non merci", False),
        ("fr", "pas du tout", False),
        ("fr", "je ne sais pas", None),
        ("fr", "Si, bien sûr", True),
        ("fr", "si vous avez une chambre", None),  # "if you have a room"
        ("de", "Ja", True),
        ("de", "genau", True),
        ("de", "Ja, kein Problem", True),
        ("de", "das stimmt", True),
        ("de", "Nein.", False),
        ("de", "stimmt nicht", False),
        ("de", "keine Ahnung", None),
    ],
)
def test_yes_no(lang, text, expected):
    assert parse_yes_no(text, lang) is expected


@pytest.mark.parametrize("text", ["", "   ", "...", "uh"])
def test_empty_transcripts(text):
    parsed = [
        parse_confirmation(text, "en"),
        parse_date(text, "en", THURSDAY),
        parse_time(text, "en"),
        parse_phone(text, "en"),
        parse_name(text, "en"),
        parse_amount(text, "en"),
        parse_yes_no(text, "en"),
    ]
    assert parsed == [None] * len(parsed)


# --- languages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "expected"), [("en", "en"), ("es-MX", "es"), ("fr_FR", "fr")])
def test_language_codes_with_region(code, expected):
    assert spoken_language(code) == expected


def test_unsupported_language_is_refused():
    with pytest.raises(ValueError, match="unsupported language"):
        parse_confirmation("quattro sette", "it")


@pytest.mark.parametrize(("text", "expected"), [
    ("The order number is 5 5 1 2 3 for.", "551234"),
    ("five five one two to three", "551223"),
    ("a room for two, order 551234", "551234"),
])
def test_digit_homophones_inside_a_run(text: str, expected: str) -> None:
    assert parse_order_number(text, "en") == expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "C H E N.", "Chen"),
    ("fr", "C'est Oscar Kilo Alpha Foxtrot Oscar Romeo.", "Okafor"),  # ends on a code word
    ("es", "A nombre de Mendoza.", "Mendoza"),
    ("es", "Mendoza.", None),  # said alone: not taken when the question was not a name
    ("de", "Keine Ahnung.", None),
])
def test_name_not_said_alone(lang: str, text: str, expected: str | None) -> None:
    assert parse_name(text, lang, alone=False) == expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "Sorry, I don't have it with me.", True), ("en", "Yes, it's 472913.", False),
    ("es", "No lo tengo aquí.", True), ("es", "No estoy segura.", True),
    ("fr", "Je ne sais pas trop.", True), ("fr", "Oui, je l'ai.", False),
    ("de", "Keine Ahnung.", True), ("de", "Die habe ich nicht zur Hand.", True),
    ("de", "Ja, die Nummer ist 472913.", False),
])
def test_says_not_known(lang: str, text: str, expected: bool) -> None:
    assert says_not_known(text, lang) is expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "No, nothing special.", True), ("en", "A quiet room, please.", False),
    ("es", "Nada, gracias.", True), ("fr", "Non, c'est tout.", True),
    ("de", "Nein, das ist alles.", True), ("de", "Ein Kinderbett, bitte.", False),
])
def test_says_nothing(lang: str, text: str, expected: bool) -> None:
    assert says_nothing(text, lang) is expected
