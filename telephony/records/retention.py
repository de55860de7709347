"""Retention (``settings.recordings``): the recordings of calls that started more than
``retention_days`` ago are deleted, and with ``delete_transcripts`` what was said in them too:
the turns' texts (the caller's words and keys, the reply, what was heard of it) and the
transcript and history kept with the calls' handoffs.

Nothing else is touched: the calls, their outcomes, QA scores, latencies, intents and events
stay, so the KPIs of a period do not change when its words are gone. Each call that lost
something gets a ``retention`` event saying what. A call still in progress is never touched.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from loguru import logger
from sqlalchemy import or_, select, update

from config.settings import RecordingSettings
from telephony.records.store import Records, calls, turns
from telephony.transfer.handoffs import handoffs

__all__ = ["RETENTION_EVERY_SECONDS", "RetentionReport", "apply_retention", "run_retention"]

RETENTION_EVERY_SECONDS = 3600.0

_SAID = ("caller_text", "caller_dtmf", "reply_text", "heard_text")


@dataclass(frozen=True)
class RetentionReport:
    recordings: tuple[str, ...] = ()  # calls whose recordings were deleted
    transcripts: tuple[str, ...] = ()  # calls whose words were deleted


def _ended_before(records: Records, cutoff: float, sids: list[str] | None) -> set[str]:
    query = select(calls.c.call_sid).where(calls.c.started_at < cutoff,
                                           calls.c.ended_at.is_not(None))
    if sids is not None:
        query = query.where(calls.c.call_sid.in_(sids))
    with records.engine.connect() as conn:
        return set(conn.execute(query).scalars())


def _delete_recordings(records: Records, folder: Path, cutoff: float) -> list[str]:
    found = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    old = _ended_before(records, cutoff, found) if found else set()
    for sid in sorted(old):
        shutil.rmtree(folder / sid, ignore_errors=True)
    return sorted(old)


def _delete_transcripts(records: Records, cutoff: float) -> list[str]:
    old = select(calls.c.call_sid).where(calls.c.started_at < cutoff,
                                         calls.c.ended_at.is_not(None))
    said = or_(*(turns.c[name].is_not(None) for name in _SAID))
    with records.engine.begin() as conn:
        sids = set(conn.execute(select(turns.c.call_sid).where(
            turns.c.call_sid.in_(old), said)).scalars())
        conn.execute(update(turns).where(turns.c.call_sid.in_(old), said)
                     .values(**dict.fromkeys(_SAID)))
        for row in conn.execute(select(handoffs.c.id, handoffs.c.call_sid, handoffs.c.briefing,
                                       handoffs.c.state).where(
                handoffs.c.call_sid.in_(old))).mappings():
            briefing, state = dict(row["briefing"] or {}), dict(row["state"] or {})
            if not (briefing.get("transcript") or state.get("history")):
                continue
            briefing["transcript"], state["history"] = [], []
            conn.execute(update(handoffs).where(handoffs.c.id == row["id"])
                         .values(briefing=briefing, state=state))
            sids.add(row["call_sid"])
    return sorted(sids)


def apply_retention(records: Records, folder: Path, *, days: float, transcripts: bool,
                    now: float | None = None) -> RetentionReport:
    """Delete what is older than ``days`` (blocking); ``folder``: the recordings."""
    if days <= 0:
        return RetentionReport()
    cutoff = (time.time() if now is None else now) - days * 86400
    recorded = _delete_recordings(records, folder, cutoff)
    said = _delete_transcripts(records, cutoff) if transcripts else []
    for sid in sorted({*recorded, *said}):
        records.add_event(sid, "retention", {"days": days, "recording": sid in recorded,
                                             "transcript": sid in said})
    if recorded or said:
        logger.info(f"retention ({days:g} days): deleted the recordings of {len(recorded)} "
                    f"calls and the transcripts of {len(said)}")
    return RetentionReport(tuple(recorded), tuple(said))


async def run_retention(records: Records, folder: Path, settings: RecordingSettings, *,
                        every: float = RETENTION_EVERY_SECONDS) -> None:
    """Apply retention now and then every ``every`` seconds; a failure (the database down) is
    logged and tried again next time."""
    while True:
        try:
            await asyncio.to_thread(apply_retention, records, folder,
                                    days=settings.retention_days,
                                    transcripts=settings.delete_transcripts)
        except Exception:
            logger.exception("retention failed")
        await asyncio.sleep(every)
