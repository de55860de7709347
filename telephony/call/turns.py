"""The call's turns as records: numbered on from the call's earlier streams, written off the
frame path (through the call's ``RecordWriter``), then completed with what the caller heard of
the reply and how long the turn took.

A turn is a caller's words or keys and the agent's reply to them, or a line of the call's own
(the greeting, the choice after a failed transfer). The loudness of the caller's utterances is
kept until their reply is recorded with it. Private data is redacted from what is stored
(``dialog.privacy``): a turn answering the private question the previous reply asked (its
``private``: a ZIP code, card digits) loses every number the caller said or keyed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from config.settings import TurnSettings
from dialog.privacy import MASK, redact_text
from telephony.call.frames import ReplyFrame
from telephony.call.timing import TurnTiming
from telephony.records.store import Records

__all__ = ["TurnLog"]

Record = Callable[..., None]  # the call's writer: record(fn, *args, **kwargs), never awaited


def _wall(monotonic_at: float | None) -> float | None:
    return None if monotonic_at is None else time.time() - (time.monotonic() - monotonic_at)


class TurnLog:
    """Numbers a call's turns and writes them (one per stream of the call)."""

    def __init__(self, records: Records, call_sid: str, turn: TurnSettings,
                 record: Record) -> None:
        self._records = records
        self._call_sid = call_sid
        self._turn = turn
        self._record = record
        self._next = 0
        self._asked_private = False  # the latest reply asked a question with a private answer
        self.private = False  # the latest caller turn answered a private question
        # The latest reply, summed up for its turn's log line once its audio goes out.
        self._answered: dict[str, Any] | None = None
        self._levels: list[float] = []  # loudness of the caller's utterances since the reply

    def go_on_from_earlier_streams(self) -> None:
        """Any later stream of the call (back from a transfer, or after a retried webhook)
        numbers its turns on from the call's last one (blocking: run it in a thread)."""
        self._next = self._records.last_turn_index(self._call_sid) + 1

    def _take(self) -> int:
        index, self._next = self._next, self._next + 1
        return index

    def heard_level(self, level_db: float) -> None:
        """The loudness of one caller utterance (dBFS), kept for the turn's record."""
        self._levels.append(level_db)

    def reply(self, frame: ReplyFrame) -> int:
        """Record a caller turn and its reply before the reply is spoken; returns its index."""
        reply, turn = frame.reply, frame.turn
        level = round(max(self._levels), 1) if self._levels and not turn.dtmf else None
        self._levels = []
        self.private = private = self._asked_private
        self._asked_private = reply.private
        index = self._take()
        self._answered = {
            "turn": index, "intent": reply.intent, "confidence": round(reply.confidence, 3),
            "language": reply.language, "route": (reply.route or {}).get("reasons"),
            "tools": [t.name for t in reply.tools], "reason_codes": list(reply.reason_codes),
            "decision": type(reply.decision).__name__ if reply.decision else None}
        self._record(
            self._records.add_turn, self._call_sid, index,
            caller_text=redact_text(turn.text, private=private),
            caller_dtmf=MASK if private and turn.dtmf else turn.dtmf,
            caller_language=turn.language,
            intent=reply.intent, confidence=reply.confidence, reply_text=redact_text(reply.text),
            citations=list(reply.citations), replied_at=time.time(),
            reason_codes=list(reply.reason_codes),
            tools=[{"name": t.name, "allowed": t.allowed, "reason": t.reason}
                   for t in reply.tools],
            sentiment=reply.sentiment, sentiment_label=reply.sentiment_label,
            caller_level_db=level, route=reply.route, llm_usage=reply.llm_usage,
        )
        return index

    def own_line(self, text: str, intent: str) -> int:
        """Record a line of the call's own (no caller words before it); returns its index."""
        index = self._take()
        self._answered = None
        self._record(self._records.add_turn, self._call_sid, index, intent=intent,
                     reply_text=text, replied_at=time.time())
        return index

    def heard(self, index: int, heard: str, interrupted: bool) -> None:
        """What the caller heard of turn ``index``'s line, and whether they talked over it."""
        self._record(self._records.update_turn, self._call_sid, index,
                     heard_text=redact_text(heard), interrupted=int(interrupted))

    def first_audio(self, timing: TurnTiming) -> dict[str, Any] | None:
        """A reply's first audio went out: the latest turn's timestamps and latency, recorded.
        Returns the reply's summary with its ``latency_ms`` when that turn is a caller's
        (None: a line of the call's own, or no turn yet)."""
        if self._next == 0:
            return None
        stop = self._turn.vad_stop_seconds
        latest: dict[str, Any] = {
            "latency": timing.breakdown(stop),
            "caller_started_at": _wall(timing.speech_started),
            "caller_ended_at": _wall(timing.speech_ended(stop)),
        }
        self._record(self._records.update_turn, self._call_sid, self._next - 1, **latest)
        answered, self._answered = self._answered, None
        return None if answered is None else {**answered, "latency_ms": latest["latency"]}
