"""Call records: one database (SQLite file by default, any SQLAlchemy URL).

Synchronous SQLAlchemy Core; the call path runs these functions in a thread.
Rows are written as the call goes so a crash loses at most the turn in flight.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from config.database import Database, metadata

__all__ = [
    "Records",
    "calls",
    "call_events",
    "metadata",
    "qa_scores",
    "stream_tokens",
    "turns",
]


calls = Table(
    "calls",
    metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("stream_sid", String(64)),
    Column("account_sid", String(64)),
    Column("from_number", String(64)),
    Column("to_number", String(64)),
    Column("language", String(16)),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float),
    Column("end_reason", String(64)),
    # The server carrying the call (settings.recovery.instance_id) and until when it vouches
    # for it: renewed while the stream lives (and left to run out after it ends), so a call
    # whose server died can be told apart from one another server carries (telephony/recovery).
    Column("owner", String(128)),
    Column("lease_until", Float),
    # What the call came to (telephony.records.outcome), decided when it ends and again when
    # its transfer settles; NULL while undecided.
    Column("outcome", String(16), index=True),
    Column("outcome_reason", String(80)),
    # The later call from the same number, within the repeat window: this one was not
    # resolved at first contact.
    Column("repeated_by", String(64)),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), ForeignKey("calls.call_sid"), nullable=False, index=True),
    Column("turn_index", Integer, nullable=False),
    UniqueConstraint("call_sid", "turn_index"),
    Column("caller_text", Text),
    Column("caller_dtmf", String(64)),
    Column("caller_language", String(16)),
    Column("caller_started_at", Float),
    Column("caller_ended_at", Float),
    Column("intent", String(64)),
    Column("confidence", Float),
    Column("reply_text", Text),
    Column("heard_text", Text),
    Column("citations", JSON),
    Column("replied_at", Float),
    # Milliseconds: end_of_turn_wait, stt, dialog, tts_first_audio, voice_to_voice.
    Column("latency", JSON),
    Column("interrupted", Integer, default=0),
    # Why the dialog did what it did ("kb_answer", "task:order_status", "escalate:...").
    Column("reason_codes", JSON),
    # The turn's tool calls: name, allowed, reason (arguments and results: tool_audit).
    Column("tools", JSON),
    # The caller's sentiment in this turn: score in [-1, 1] and label.
    Column("sentiment", Float),
    Column("sentiment_label", String(16)),
    # How loud the caller spoke (dBFS of the speech), for the raised-voice signal.
    Column("caller_level_db", Float),
    # The routing decision (rules version, rule, action, queue, reasons) for this turn.
    Column("route", JSON),
    # The LLM's token counts for this turn (prompt_tokens, completion_tokens, requests, and
    # cost_usd when priced); NULL: no LLM was asked.
    Column("llm_usage", JSON),
)

call_events = Table(
    "call_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("detail", JSON),
)

stream_tokens = Table(
    "stream_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("call_sid", String(64), nullable=False),
    Column("claimed_at", Float, nullable=False),
)
# Each call's QA score (telephony.records.qa): the scorecard of the rules version it ran under.
qa_scores = Table(
    "qa_scores",
    metadata,
    Column("call_sid", String(64), ForeignKey("calls.call_sid"), primary_key=True),
    Column("rules_version", Integer),
    Column("scored_at", Float, nullable=False),
    Column("score", Float),  # passed / applicable items; NULL: no item applied
    Column("items", JSON),  # [{check, passed (true/false/null), turn, detail}]
)
TABLES = (calls, turns, call_events, stream_tokens, qa_scores)


class Records:
    """The call-record store. Thread-safe; every method is one short transaction."""

    def __init__(self, database: Database | str, *, owner: str = "",
                 lease_seconds: float = 60.0) -> None:
        self.database = Database.attach(database)
        self.engine: Engine = self.database.engine
        self.database.create_tables(TABLES)
        self.owner = owner  # calls started here are leased to this server
        self.lease_seconds = lease_seconds

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1

    def claim_token(self, token_id: str, call_sid: str) -> bool:
        """Mark a stream token used. False when it was used before (a replay)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(stream_tokens).values(
                        token_id=token_id, call_sid=call_sid, claimed_at=time.time()
                    )
                )
        except IntegrityError:
            return False
        return True

    def start_call(self, *, call_sid: str, stream_sid: str, account_sid: str,
                   from_number: str, to_number: str, language: str) -> None:
        """Create the call row, or fill in what a later stage learnt (the webhook knows
        From/To, the stream knows its stream SID): empty values never overwrite."""
        values = {k: v for k, v in dict(
            stream_sid=stream_sid, account_sid=account_sid, from_number=from_number,
            to_number=to_number, language=language).items() if v}
        if self.owner:
            values.update(owner=self.owner, lease_until=time.time() + self.lease_seconds)
        with self.engine.begin() as conn:
            exists = conn.execute(select(calls.c.call_sid).where(calls.c.call_sid == call_sid))
            if exists.first():
                if values:
                    conn.execute(update(calls).where(calls.c.call_sid == call_sid)
                                 .values(**values))
            else:
                conn.execute(insert(calls).values(call_sid=call_sid, started_at=time.time(),
                                                  **values))

    def set_language(self, call_sid: str, language: str) -> None:
        """The language the call is now in (the last one is kept)."""
        with self.engine.begin() as conn:
            conn.execute(update(calls).where(calls.c.call_sid == call_sid)
                         .values(language=language))

    def end_call(self, call_sid: str, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(calls)
                .where(calls.c.call_sid == call_sid, calls.c.ended_at.is_(None))
                .values(ended_at=time.time(), end_reason=reason)
            )

    def set_outcome(self, call_sid: str, outcome: str, reason: str) -> str | None:
        """Store the call's outcome; returns the one it had before (None: first decided)."""
        with self.engine.begin() as conn:
            before = conn.execute(select(calls.c.outcome).where(calls.c.call_sid == call_sid)
                                  ).scalar()
            conn.execute(update(calls).where(calls.c.call_sid == call_sid)
                         .values(outcome=outcome, outcome_reason=reason))
        return before

    def calls_from(self, number: str, *, since: float, before: float) -> list[dict[str, Any]]:
        """The calls from ``number`` that started in [since, before)."""
        query = select(calls.c.call_sid, calls.c.from_number, calls.c.started_at).where(
            calls.c.from_number == number, calls.c.started_at >= since,
            calls.c.started_at < before)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def mark_repeated(self, call_sid: str, by: str) -> None:
        """``call_sid`` was followed by ``by`` from the same number within the window."""
        with self.engine.begin() as conn:
            conn.execute(update(calls).where(calls.c.call_sid == call_sid)
                         .values(repeated_by=by))

    def save_qa(self, call_sid: str, *, rules_version: int | None, score: float | None,
                items: list[dict[str, Any]]) -> None:
        """Store (or replace) the call's QA score."""
        values = dict(rules_version=rules_version, scored_at=time.time(), score=score,
                      items=json.loads(json.dumps(items, default=str)))
        with self.engine.begin() as conn:
            if conn.execute(update(qa_scores).where(qa_scores.c.call_sid == call_sid)
                            .values(**values)).rowcount == 0:
                conn.execute(insert(qa_scores).values(call_sid=call_sid, **values))

    def qa(self, call_sid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(qa_scores).where(qa_scores.c.call_sid == call_sid)
                               ).mappings().first()
        return dict(row) if row else None

    def renew_leases(self, call_sids: Collection[str]) -> None:
        """The calls this server is carrying are still alive, for another lease."""
        if not call_sids or not self.owner:
            return
        with self.engine.begin() as conn:
            conn.execute(update(calls).where(calls.c.call_sid.in_(list(call_sids)))
                         .values(owner=self.owner,
                                 lease_until=time.time() + self.lease_seconds))

    def leases(self, call_sids: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Who holds which call: every call not ended (or the ``call_sids`` named), with its
        owner, lease, start, stream and caller."""
        query = select(calls.c.call_sid, calls.c.owner, calls.c.lease_until,
                       calls.c.started_at, calls.c.ended_at, calls.c.stream_sid,
                       calls.c.from_number)
        query = query.where(calls.c.ended_at.is_(None)) if call_sids is None else \
            query.where(calls.c.call_sid.in_(list(call_sids)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def close_stale(self, call: Mapping[str, Any], reason: str) -> bool:
        """End a call no server carries any more (its server died), unless its lease was
        renewed since ``call`` was read (compare-and-set); an event says who held it."""
        lease = calls.c.lease_until
        same_lease = lease.is_(None) if call["lease_until"] is None else \
            lease == call["lease_until"]
        now = time.time()
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(calls).where(calls.c.call_sid == call["call_sid"],
                                    calls.c.ended_at.is_(None), same_lease)
                .values(ended_at=now, end_reason=reason, lease_until=None)).rowcount
            if changed:
                conn.execute(insert(call_events).values(
                    call_sid=call["call_sid"], at=now, kind=reason,
                    detail={"owner": call["owner"], "lease_until": call["lease_until"],
                            "closed_by": self.owner}))
        return bool(changed)

    def add_turn(self, call_sid: str, turn_index: int, **values: Any) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(turns).values(call_sid=call_sid, turn_index=turn_index, **values)
            )
            return int(result.inserted_primary_key[0])

    def last_turn_index(self, call_sid: str) -> int:
        """The highest turn index of a call so far (-1: none); a call back from a transfer
        goes on numbering from here."""
        with self.engine.connect() as conn:
            found = conn.execute(select(func.max(turns.c.turn_index))
                                 .where(turns.c.call_sid == call_sid)).scalar()
        return -1 if found is None else int(found)

    def update_turn(self, call_sid: str, turn_index: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(turns).where(turns.c.call_sid == call_sid,
                                             turns.c.turn_index == turn_index).values(**values))

    def add_event(self, call_sid: str, kind: str, detail: Mapping[str, Any] | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(call_events).values(
                    call_sid=call_sid, at=time.time(), kind=kind,
                    detail=json.loads(json.dumps(dict(detail or {}), default=str)),
                )
            )

    def call(self, call_sid: str) -> dict[str, Any] | None:
        """One call with its turns and events, for tests, the CLI and later APIs."""
        with self.engine.connect() as conn:
            row = conn.execute(select(calls).where(calls.c.call_sid == call_sid)).mappings().first()
            if row is None:
                return None
            turn_rows = conn.execute(
                select(turns).where(turns.c.call_sid == call_sid).order_by(turns.c.turn_index)
            ).mappings().all()
            event_rows = conn.execute(
                select(call_events).where(call_events.c.call_sid == call_sid)
                .order_by(call_events.c.id)
            ).mappings().all()
        return {**row, "turns": [dict(t) for t in turn_rows],
                "events": [dict(e) for e in event_rows]}

    def close(self) -> None:
        self.database.detach()
