"""The hotel's tasks for the embedded engine (``dialog.embedded.tasks``): finding and verifying
the guest, a late checkout, the folio, a cancellation.

The guest's reservation is found by its confirmation number, or by the guest's last name (said,
spelled letter by letter or in the NATO alphabet) and arrival date; the guest is verified with
the ZIP code or the card's last four digits. Checking in is ``dialog.business.hotel_checkin``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from dialog.embedded import slots
from dialog.embedded.tasks import Identity, Slot, Task, Tasks, found
from dialog.phrases.format import spoken_date, spoken_digits
from dialog.state import CallState
from dialog.types import Reply

__all__ = [
    "CHECKOUT_TIME",
    "CONFIRMATION",
    "GUEST",
    "TASKS",
    "booking",
    "confirmation",
    "time_of_day",
    "verification_arg",
]


def time_of_day(text: str, language: str) -> str | None:
    """"HH:MM" for a time of day said ("at 1": 13:00), None for none."""
    # A number of five digits or more (a confirmation number, a ZIP code) is not a time, even
    # after "at" ("at 5 9 0 1 2 7" is not 17:00).
    if slots.parse_digits(text, language, min_len=5, max_len=64):
        return None
    # "at 1" is 1 PM: nobody checks out (or arrives) at one in the morning.
    value = slots.parse_time(text, language, assume_pm_before=8)
    return None if value is None else value.strftime("%H:%M")


def _verification(text: str, language: str) -> str | None:
    return slots.parse_postal_code(text, language) or slots.parse_last_four(text, language)


def _last_name(text: str, language: str) -> str | None:
    return None if slots.says_not_known(text, language) else slots.parse_name(text, language)


def _arrival_date(text: str, language: str) -> str | None:
    day = slots.parse_date(text, language, date.today())  # the registry's default "today" too
    return None if day is None else day.isoformat()


def verification_arg(value: str) -> str:
    """The guest verification's argument for ``value``: the ZIP code (5 digits) or the card's
    last four."""
    return "card_last4" if len(value) == 4 else "postal_code"


def confirmation(state: CallState) -> str:
    """The reservation the caller named, else the verified one. Another guest's number is the
    tool's to refuse (governance: not the caller's), never silently swapped."""
    return state.progress.values.get(CONFIRMATION.name) or state.candidate_id or ""


def booking(extra: Callable[[CallState], dict[str, Any]] = lambda s: {}
            ) -> Callable[[CallState], dict[str, Any]]:
    """A reservation tool's arguments: the reservation's confirmation, and ``extra``."""
    def args(state: CallState) -> dict[str, Any]:
        number = confirmation(state)
        return {**({"confirmation": number} if number else {}), **extra(state)}
    return args


async def _name_instead(run: Tasks, text: str) -> Reply | None:
    """The answer to "what is your confirmation number?" has no number: a name given instead
    ("a nombre de Mendoza", "M E N D O Z A") is taken, and a caller without the number ("I
    don't have it") is asked for the name, once. None: a plain miss."""
    progress = run.progress
    name = slots.parse_name(text, run.lang, alone=False)
    if name is None and progress.asked_instead:
        return None
    progress.asked_instead = True
    progress.awaiting = None
    if name is None:
        return run.ask(LAST_NAME, 1.0)
    progress.values[LAST_NAME.name] = name
    return await run.advance(1.0)


CONFIRMATION = Slot("confirmation", "q_confirmation", slots.parse_confirmation, digits=6,
                    instead=_name_instead)
LAST_NAME = Slot("last_name", "q_last_name", _last_name, keypad=False)
ARRIVAL_DATE = Slot("arrival_date", "q_arrival_date", _arrival_date, keypad=False)
GUEST_CHECK = Slot("verification", "q_guest_check", _verification, digits=5)
CHECKOUT_TIME = Slot("checkout_time", "q_checkout_time", time_of_day, keypad=False)


async def _identify(run: Tasks, score: float) -> Reply | None:
    """The guest's reservation (by number, or by name and arrival date), then verification."""
    state, values = run.state, run.progress.values
    number = values.get(CONFIRMATION.name)
    if number is None:
        if LAST_NAME.name not in values:
            return run.ask(CONFIRMATION, score)
        if ARRIVAL_DATE.name not in values:
            return run.ask(ARRIVAL_DATE, score)
        return await _find_by_name(run, score)
    if state.candidate_id != number:  # not looked up yet (or another reservation)
        reservation = await run.call("find_reservation", {"confirmation": number})
        if state.candidate_id != number:
            del values[CONFIRMATION.name]
            said = (run.line("no_reservation_number", digits=spoken_digits(number))
                    if not found(reservation) else run.describe(reservation))
            return run.missed(CONFIRMATION, said, reason="reservation_not_found")
        return run.ask(GUEST_CHECK, score, prefix=run.describe(reservation))
    return await run.verify(GUEST_CHECK, "verify_guest",
                            lambda value: {verification_arg(value): value}, score)


async def _find_by_name(run: Tasks, score: float) -> Reply:
    state, progress = run.state, run.progress
    name = progress.values.pop(LAST_NAME.name)
    day = progress.values.pop(ARRIVAL_DATE.name)
    lookup = await run.call("find_reservation", {"last_name": name, "arrival_date": day})
    data = lookup.result or {}
    if lookup.reason == "ok" and data.get("found") and state.candidate_id:
        progress.values[CONFIRMATION.name] = state.candidate_id
        return run.ask(GUEST_CHECK, score, prefix=run.describe(lookup))
    if data.get("ambiguous"):  # two guests of that name arrive that day
        progress.asked_instead = True
        return run.ask(CONFIRMATION, score, prefix=run.describe(lookup))
    said = run.describe(lookup) if lookup.failed else run.line(
        "no_reservation_name", name=name, date=spoken_date(day, date.today(), run.lang))
    return run.missed(LAST_NAME, said, reason="reservation_not_found", search=True)


GUEST = Identity(_identify, (CONFIRMATION, LAST_NAME, ARRIVAL_DATE, GUEST_CHECK),
                 given=(CONFIRMATION,))

TASKS: dict[str, Task] = {
    "find_reservation": Task("find_reservation", booking(), identity=GUEST),
    "late_checkout": Task("request_late_checkout",
                          booking(lambda s: {"time": s.progress.values["checkout_time"]}),
                          (CHECKOUT_TIME,), identity=GUEST),
    "folio": Task("get_folio", booking(), identity=GUEST),
    "cancel_reservation": Task("cancel_reservation",
                               booking(lambda s: {"reason": s.progress.request[:300]}),
                               identity=GUEST),
}
