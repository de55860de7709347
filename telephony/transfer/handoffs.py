"""Handoffs (warm transfers) in the database: what the agent is told, and where the transfer is.

A handoff row is written, with its briefing, before anything is dialled. Its status moves only
through ``transition`` (compare-and-set on the current status), so a Twilio status callback that
arrives twice, late, or at another server changes nothing the second time; every step is also
an event row. Nothing about a transfer lives only in a call's task: a server restarted between
dialling the agent and the agent's answer picks the handoff up from here.

Statuses:
    pending    written, nothing dialled yet
    dialing    the agent leg was created (``agent_call_sid``), ringing
    briefing   the agent answered and is hearing the briefing
    accepted   the agent pressed 1 (or accepted on the desktop); joining the conference
    connected  caller and agent are in one conference
    declined / no_answer / busy / failed / closed
               this attempt ended without an agent; ``next_attempt`` or back to the caller
    returned   the caller is being brought back to the AI
    offered    the caller is back with the AI and was offered a callback or the next agent
    callback   the caller chose a callback (or hung up before choosing): a request for a
               person to call ``callback_number``, with the briefing
    withdrawn  the caller no longer wanted a person
    completed  the conference ended after a connection
    abandoned  the caller hung up while on hold; the agent's leg was stopped
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection
from typing import Any

from loguru import logger
from sqlalchemy import (
    JSON,
    Column,
    Float,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from config.database import Database, metadata

__all__ = ["ENDED_WITHOUT_AGENT", "SETTLED", "HandoffStore", "handoff_events", "handoffs"]

ENDED_WITHOUT_AGENT = frozenset({"declined", "no_answer", "busy", "failed", "closed"})
# What a transfer came to, as far as the call's outcome goes (telephony.records.outcome).
SETTLED = frozenset({"connected", "completed", "abandoned", "callback", "withdrawn"})

handoffs = Table(
    "handoffs", metadata,
    Column("id", String(32), primary_key=True),
    Column("call_sid", String(64), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("queue", String(64), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("request", Text, nullable=False, default=""),
    Column("briefing", JSON, nullable=False),
    Column("agents", JSON, nullable=False),  # numbers / sip: addresses to try, in order
    Column("attempt", Integer, nullable=False, default=0),  # index into agents
    Column("caller_id", String(64), nullable=False, default=""),  # our number, dialled from
    Column("base_url", Text, nullable=False, default=""),  # where Twilio reaches us
    Column("agent_call_sid", String(64)),
    Column("agent_number", String(128)),
    Column("accepted_by", String(64)),  # "keypad" or the desktop user
    Column("notes", Text),
    Column("outcome", String(16)),  # resolved / follow_up / escalated
    # The dialog's state when the caller was handed over (identity, task, language): a caller
    # brought back to the AI goes on from here instead of starting again.
    Column("state", JSON),
    Column("hold_from", Integer),  # the first attempt of the caller's current wait on hold
    Column("callback_number", String(64)),
    Column("queue_config", JSON),  # the queue (agents, hours, ...) as the call's rules had it
    Column("priority", Integer),  # the routing rule's priority (higher first)
)
handoff_events = Table(
    "handoff_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", String(32), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("detail", JSON),
    # Twilio retries callbacks: the same (handoff, key) is recorded once.
    Column("dedupe_key", String(128)),
    UniqueConstraint("handoff_id", "dedupe_key"),
)
TABLES = (handoffs, handoff_events)


class HandoffStore:
    """Thread-safe; each method is one short transaction (run them in a thread)."""

    def __init__(self, database: Database | str) -> None:
        self.database = Database.attach(database)
        self.engine = self.database.engine
        self.database.create_tables(TABLES)
        # Told the call SID when a handoff settles (``SETTLED``): the call's outcome is decided
        # again. Runs in the caller's thread; its failures are logged, never raised.
        self.on_settled: Callable[[str], object] | None = None

    def create(self, *, call_sid: str, queue: str, reason: str, request: str,
               briefing: dict[str, Any], agents: list[str], caller_id: str = "",
               base_url: str = "", state: dict[str, Any] | None = None,
               queue_config: dict[str, Any] | None = None, priority: int = 0) -> str:
        handoff_id = secrets.token_hex(8)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(insert(handoffs).values(
                id=handoff_id, call_sid=call_sid, created_at=now, updated_at=now,
                status="pending", queue=queue, reason=reason, request=request,
                briefing=briefing, agents=agents, attempt=0, hold_from=0,
                caller_id=caller_id, base_url=base_url, state=state, queue_config=queue_config,
                priority=priority))
            conn.execute(insert(handoff_events).values(
                handoff_id=handoff_id, at=now, kind="created", detail={"queue": queue}))
        return handoff_id

    def get(self, handoff_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(handoffs).where(handoffs.c.id == handoff_id)).mappings()
            found = row.first()
        return dict(found) if found else None

    def list(self, *, since: float = 0.0, limit: int = 50) -> list[dict[str, Any]]:
        """Handoffs updated after ``since``, newest first."""
        query = (select(handoffs).where(handoffs.c.updated_at > since)
                 .order_by(handoffs.c.updated_at.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def for_call(self, call_sid: str) -> list[dict[str, Any]]:
        query = select(handoffs).where(handoffs.c.call_sid == call_sid).order_by(
            handoffs.c.created_at)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def transition(self, handoff_id: str, status: str, *, expect: Collection[str],
                   **fields: Any) -> bool:
        """Move to ``status`` if the current status is one of ``expect``; False otherwise
        (a duplicate or late callback, or a race another server won)."""
        now = time.time()
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.status.in_(list(expect)))
                .values(status=status, updated_at=now, **fields)).rowcount
            if changed:
                conn.execute(insert(handoff_events).values(
                    handoff_id=handoff_id, at=now, kind=status,
                    detail={k: v for k, v in fields.items()
                            if k not in ("briefing", "state")}))
                call_sid = conn.execute(select(handoffs.c.call_sid).where(
                    handoffs.c.id == handoff_id)).scalar()
        if changed and status in SETTLED and self.on_settled is not None:
            try:
                self.on_settled(call_sid)
            except Exception:
                logger.exception(f"handoff {handoff_id}: deciding its call's outcome failed")
        return bool(changed)

    def settle(self, handoff_id: str, status: str, *, callback_number: str = "",
               why: str = "") -> bool:
        """The caller's answer to the choice offered: ``callback`` (a request for a person to
        call ``callback_number``, with the briefing) or ``withdrawn``; ``why`` is recorded as an
        event (e.g. the caller hung up before choosing)."""
        changed = self.transition(handoff_id, status, expect={"offered"},
                                  callback_number=callback_number or None)
        if changed and why:
            self.add_event(handoff_id, why)
        return changed

    def in_status(self, statuses: Collection[str]) -> list[dict[str, Any]]:
        """Every handoff whose status is one of ``statuses`` (the sweep's candidates)."""
        query = select(handoffs).where(handoffs.c.status.in_(list(statuses)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def add_event(self, handoff_id: str, kind: str, detail: dict[str, Any] | None = None,
                  *, dedupe_key: str | None = None) -> bool:
        """Record an event; False when ``dedupe_key`` was seen before for this handoff."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(handoff_events).values(
                    handoff_id=handoff_id, at=time.time(), kind=kind, detail=detail or {},
                    dedupe_key=dedupe_key))
        except IntegrityError:
            return False
        return True

    def events(self, handoff_id: str) -> list[dict[str, Any]]:
        query = select(handoff_events).where(handoff_events.c.handoff_id == handoff_id) \
            .order_by(handoff_events.c.id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def update_briefing(self, handoff_id: str, briefing: dict[str, Any]) -> None:
        """A better briefing (the model's summary) replaces the first one."""
        with self.engine.begin() as conn:
            conn.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(
                briefing=briefing, updated_at=time.time()))
            conn.execute(insert(handoff_events).values(
                handoff_id=handoff_id, at=time.time(), kind="briefing_updated", detail={}))

    def save_notes(self, handoff_id: str, *, notes: str, outcome: str | None,
                   agent: str) -> bool:
        with self.engine.begin() as conn:
            changed = conn.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(
                notes=notes, outcome=outcome, updated_at=time.time())).rowcount
            if changed:
                conn.execute(insert(handoff_events).values(
                    handoff_id=handoff_id, at=time.time(), kind="notes",
                    detail={"agent": agent, "outcome": outcome}))
        return bool(changed)

    def close(self) -> None:
        self.database.detach()
