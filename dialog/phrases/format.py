"""Dates, times, money, floors, guests and room types as each spoken language says them.

"el lunes 3 de mayo", "le lundi 3 mai", "am Montag, den 3. Mai"; "1 PM", "15 heures 30";
"$1,250.50", "1.250,50 Dollar"; numbers a caller must note (room, confirmation, key code) are
read digit by digit. A language that is not spoken is English (``dialog.phrases.say.supported``).

Babel is not used: its forms are written ones ("899,00 US$", "15:30"), and these are the words
the agent speaks ("899 dólares", "15 heures 30", "noon").
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from config.languages import supported

__all__ = [
    "guests",
    "money",
    "on_date",
    "room_type",
    "spoken_date",
    "spoken_digits",
    "spoken_floor",
    "spoken_time",
]

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


def spoken_floor(floor: Any, language: str = "en") -> str:
    """"3" -> "3" ("3e" in French, "3." in German): a floor as said after "on floor",
    "au", "im"."""
    lang = supported(language)
    if lang == "fr":
        return "1er" if str(floor) == "1" else f"{floor}e"
    if lang == "de":
        return f"{floor}."
    return str(floor)


def on_date(iso: str | None, today: date | None = None, language: str = "en") -> str:
    """"today" / "tomorrow" / "on Monday, November 23" ("el lunes 23 de noviembre")."""
    when = spoken_date(iso, today, language)
    if supported(language) != "en" or when in _TODAY["en"]:
        return when
    return f"on {when}"
