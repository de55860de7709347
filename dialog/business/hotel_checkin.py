"""The hotel's check-in over the phone, a task of the embedded engine (``dialog.embedded.tasks``).

It goes on once the guest is verified (``dialog.business.hotel_tasks.GUEST``): a reservation
that does not start today, or is already checked in, is said so (with its room); otherwise the
dates, room type and guests are confirmed (a "no" goes to a person), the arrival time and
special requests are asked (``CHECK_IN_STEPS``, both optional: "no" skips), a room is assigned
and its key said, and a confirmation text is sent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dialog.business.hotel_tasks import GUEST, booking, confirmation, time_of_day
from dialog.embedded import slots
from dialog.embedded.tasks import ASK_WHAT, NOT_AN_ANSWER, SKIPPED, Slot, Task, Tasks
from dialog.phrases.format import guests, room_type, spoken_date
from dialog.types import Reply, Transfer

__all__ = ["ARRIVAL_TIME", "CHECK_IN", "CHECK_IN_STEPS", "DETAILS", "REQUESTS"]

_FEW_WORDS = 3  # "No, thank you." is a no; "No smoking room, please" is a request
_YES_NO_KEYS = {"1": "yes", "2": "no"}  # on the keypad, as the question asked again says


def _yes_no(text: str, language: str) -> str | None:
    if text.strip() in _YES_NO_KEYS:
        return _YES_NO_KEYS[text.strip()]
    answer = slots.parse_yes_no(text, language)
    return None if answer is None else "yes" if answer else "no"


def _arrival_time(text: str, language: str) -> str | None:
    if text.isdigit():  # keyed as the question says: four digits, 24-hour clock ("1930")
        hours, minutes = divmod(int(text), 100)
        return f"{hours:02d}:{minutes:02d}" if len(text) in (3, 4) and hours < 24 \
            and minutes < 60 else None
    value = time_of_day(text, language)
    if value is None and (slots.says_not_known(text, language)
                          or slots.parse_yes_no(text, language) is False):
        return SKIPPED
    return value


def _requests(text: str, language: str) -> str | None:
    answer, words = slots.parse_yes_no(text, language), len(text.split())
    if slots.says_nothing(text, language) or (answer is False and words <= _FEW_WORDS):
        return SKIPPED
    if answer is True and words <= _FEW_WORDS:
        return ASK_WHAT
    if slots.is_inquiry(text, language):  # a question, someone else's booking or bill
        return NOT_AN_ANSWER
    return " ".join(text.split())[:300] or None


DETAILS = Slot("details_ok", "q_details", _yes_no, again="q_details_again")
ARRIVAL_TIME = Slot("arrival_time", "q_arrival_time", _arrival_time, optional=True)
REQUESTS = Slot("requests", "q_requests", _requests, keypad=False, optional=True,
                what="q_requests_what")
# What checking in asks once the guest is verified, in order.
CHECK_IN_STEPS = (DETAILS, ARRIVAL_TIME, REQUESTS)


async def _check_in(run: Tasks, score: float) -> Reply:
    """The verified guest's check-in: confirm the stay, arrival time and requests, then a
    room, its key and a confirmation text."""
    values = run.progress.values
    number = confirmation(run.state)
    stay = await _stay(run, number)
    if not stay.get("arrives_today") or stay.get("status") != "booked":
        # Not today, cancelled or already checked in: the tool says which (and the room).
        return await _assign(run, number, score, [])
    if values.get(DETAILS.name) == "no":
        run.drop()
        return run.reply(f"{run.line('details_wrong')} {run.connecting}", score,
                         Transfer(run.queue, "reservation_details_wrong", request=(
                             f"Correct reservation {number} before check-in: the "
                             "guest says the dates, room type or guests are wrong")))
    for slot in CHECK_IN_STEPS:
        if slot.name in values:
            continue
        if slot is not DETAILS:
            return run.ask(slot, score)
        lang, today = run.lang, date.today()
        return run.ask(slot, score, room=room_type(stay.get("room_type"), lang),
                       guests=guests(stay.get("adults"), stay.get("children"), lang),
                       arrival=spoken_date(stay.get("arrival_date"), today, lang),
                       departure=spoken_date(stay.get("departure_date"), today, lang))
    said = []
    details = {key: values[slot.name] for key, slot in (("arrival_time", ARRIVAL_TIME),
                                                        ("requests", REQUESTS))
               if values[slot.name] != SKIPPED}
    if details:
        noted = await run.call("set_arrival_details", {"confirmation": number, **details})
        if noted.reason == "ok":
            said.append(run.describe(noted))
    return await _assign(run, number, score, said)


async def _stay(run: Tasks, number: str) -> dict[str, Any]:
    """The reservation as its verified guest sees it (from verification, else looked up)."""
    state, progress = run.state, run.progress
    fresh = [o.result for o in run.outcomes if o.name == "verify_guest" and o.result]
    if progress.record == number:  # read earlier in this task
        fresh += [state.facts.get("verify_guest"), state.facts.get("find_reservation")]
    for known in fresh:
        if (known or {}).get("confirmation") == number and "arrives_today" in known:
            progress.record = number
            return known
    lookup = await run.call("find_reservation", {"confirmation": number})
    progress.record = number
    return (lookup.result or {}) if lookup.reason == "ok" else {}


async def _assign(run: Tasks, number: str, score: float, said: list[str]) -> Reply:
    """A room and its key (or why not), then the confirmation text for a new check-in."""
    room = await run.call("assign_room", {"confirmation": number})
    if room.reason == "needs_human":
        return run.needs_human(room, score)
    said.append(run.describe(room))
    data = room.result or {}
    if room.reason == "ok" and data.get("checked_in") and not data.get("already_checked_in"):
        sent = await run.call("send_confirmation", {"confirmation": number})
        said.append(run.describe(sent))
    return run.finish(" ".join(said), score)


CHECK_IN = Task("assign_room", booking(), identity=GUEST, act=_check_in, steps=CHECK_IN_STEPS)
