"""Cleaning up after a server that died mid-call.

Each server leases the calls it carries (``calls.owner``, ``calls.lease_until``), renewing the
leases every heartbeat while their streams live. A server killed with calls in progress leaves
them open and leased to it, and may leave handoffs waiting (stored but never placed, or the
caller's choice never made). At start-up, and on every heartbeat, ``Recovery.sweep``:

- closes the calls whose lease ran out, and at start-up the ones this server held before
  (nothing of them survived the restart): ``server_lost``, or ``no_stream`` for a call whose
  media stream never connected;
- turns the handoffs waiting for a call no server carries any more into callback requests
  for the caller's number (withdrawn when there is no number), so they are no longer offered
  on the desk as waiting.

A call another live server holds is never touched. What counts as stale is decided by the pure
functions ``call_end_reason`` and ``stale_handoff``; the sweep only reads and writes (every
write a compare-and-set, so two servers sweeping at once change nothing twice).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from loguru import logger

from config import Settings
from telephony.records.store import Records
from telephony.transfer.handoffs import HandoffStore

__all__ = ["STALE_HANDOFF_STATUSES", "Recovery", "SweepReport", "call_end_reason",
           "call_held", "instance_id", "stale_handoff"]

# A handoff in these waits for the caller's call (its placement, or the caller's choice); one
# dialling or briefing an agent goes on with Twilio's callbacks whichever server gets them.
STALE_HANDOFF_STATUSES = frozenset({"pending", "returned", "offered"})


def instance_id(settings: Settings) -> str:
    """This server's name among those sharing the database."""
    return settings.recovery.instance_id or f"{socket.gethostname()}:{settings.port}"


def call_held(call: Mapping[str, Any], *, me: str, live: Collection[str], now: float,
              starting: bool) -> bool:
    """Whether some server is carrying ``call`` (a row of ``Records.leases``): this one (its
    stream is live here), or another whose lease has not run out. At start-up this server's
    earlier leases count for nothing: it carries nothing yet."""
    if call["call_sid"] in live:
        return True
    if starting and call["owner"] == me:
        return False
    return call["lease_until"] is not None and call["lease_until"] >= now


def call_end_reason(call: Mapping[str, Any], *, me: str, live: Collection[str], now: float,
                    starting: bool, lease_seconds: float) -> str | None:
    """Why an open call is to be closed, or None while a server carries it. A call without a
    lease (written before leases existed) counts as leased for ``lease_seconds`` from its
    start."""
    if call["ended_at"] is not None:
        return None
    leased = call if call["lease_until"] is not None else {
        **call, "lease_until": call["started_at"] + lease_seconds}
    if call_held(leased, me=me, live=live, now=now, starting=starting):
        return None
    return "server_lost" if call["stream_sid"] else "no_stream"


def stale_handoff(handoff: Mapping[str, Any], *, call_held: bool, now: float,
                  grace_seconds: float, caller_number: str) -> tuple[str, str] | None:
    """What becomes of a handoff left behind: ``("callback", number)``, ``("withdrawn", "")``
    when there is no number to call back, or None while it is not stale: another status, its
    call carried by a server, or a caller on the way back to the AI (``returned``: the new
    stream has not started yet) for less than ``grace_seconds``. A handoff is pending or
    offered only while its call's stream runs, so with no server carrying the call it is
    stale at once."""
    if handoff["status"] not in STALE_HANDOFF_STATUSES or call_held:
        return None
    if handoff["status"] == "returned" and handoff["updated_at"] + grace_seconds > now:
        return None
    number = handoff.get("callback_number") or caller_number
    return ("callback", number) if number else ("withdrawn", "")


@dataclass(frozen=True)
class SweepReport:
    closed_calls: tuple[str, ...] = ()
    callbacks: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()


class Recovery:
    """The heartbeat and the sweep of one server. ``live`` gives the calls whose streams are
    running here now."""

    def __init__(self, settings: Settings, records: Records, handoffs: HandoffStore,
                 live: Callable[[], Collection[str]]) -> None:
        self.settings = settings.recovery
        self.me = records.owner or instance_id(settings)
        self.records = records
        self.handoffs = handoffs
        self.live = live

    def sweep(self, *, starting: bool = False, now: float | None = None) -> SweepReport:
        """Renew this server's leases, then close what no server carries (blocking)."""
        live = set(self.live())
        self.records.renew_leases(live)
        now = time.time() if now is None else now
        lease = self.settings.lease_seconds
        closed = [call["call_sid"] for call in self.records.leases()
                  if (reason := call_end_reason(call, me=self.me, live=live, now=now,
                                                starting=starting, lease_seconds=lease))
                  and self.records.close_stale(call, reason)]
        waiting = self.handoffs.in_status(STALE_HANDOFF_STATUSES)
        calls = {c["call_sid"]: c for c in self.records.leases({h["call_sid"] for h in waiting})}
        callbacks, withdrawn = [], []
        for handoff in waiting:
            call = calls.get(handoff["call_sid"])
            held = call is not None and call_held(call, me=self.me, live=live, now=now,
                                                  starting=starting)
            number = str((handoff["state"] or {}).get("caller_number") or
                         (call or {}).get("from_number") or "")
            outcome = stale_handoff(handoff, call_held=held, now=now, grace_seconds=lease,
                                    caller_number=number)
            if outcome is None:
                continue
            status, callback_number = outcome
            if self.handoffs.transition(handoff["id"], status, expect={handoff["status"]},
                                        callback_number=callback_number or None):
                self.handoffs.add_event(handoff["id"], "server_lost",
                                        {"was": handoff["status"], "swept_by": self.me})
                (callbacks if status == "callback" else withdrawn).append(handoff["id"])
        report = SweepReport(tuple(closed), tuple(callbacks), tuple(withdrawn))
        if closed or callbacks or withdrawn:
            logger.warning(f"recovery ({self.me}): closed calls {list(closed)} left by a lost "
                           f"server; handoffs to callbacks {callbacks}, withdrawn {withdrawn}")
        return report

    async def run(self) -> None:
        """Every heartbeat: renew, sweep. A failed sweep (database down) is logged and tried
        again at the next heartbeat."""
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:
                logger.exception("recovery sweep failed")
