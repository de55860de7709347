"""The tool audit trail: every tool call, allowed or refused, with its reason code.

Arguments and results are stored with their private data redacted (``dialog.privacy``): the
tool itself got the real values.

One row per call in ``tool_audit`` (in the call-records database). Writes are synchronous
SQLAlchemy; the registry runs them in a worker thread and only logs a failed write.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Integer,
    String,
    Table,
    insert,
    select,
)

from config.database import Database, metadata
from dialog.privacy import redact_record

if TYPE_CHECKING:
    from dialog.state import CallState
    from dialog.tools.spec import ToolOutcome

__all__ = ["ToolAudit", "tool_audit"]

tool_audit = Table(
    "tool_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),  # epoch seconds
    Column("call_sid", String(64), index=True),
    Column("business", String(32)),
    Column("customer_id", String(64)),  # the verified customer after the call, if any
    Column("tool", String(64), nullable=False),
    Column("tier", String(16)),
    Column("args", JSON),
    Column("result", JSON),
    Column("allowed", Boolean, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("duration_ms", Float),
)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class ToolAudit:
    """Thread-safe; every method is one short transaction."""

    def __init__(self, database: Database | str) -> None:
        self.database = Database.attach(database)
        self.engine = self.database.engine
        self.database.create_tables([tool_audit])

    def record(self, outcome: ToolOutcome, state: CallState) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(tool_audit).values(
                at=time.time(), call_sid=state.call_sid or None, business=state.business,
                customer_id=state.customer_id if state.verified else None, tool=outcome.name,
                tier=str(outcome.tier) if outcome.tier is not None else None,
                args=redact_record(_jsonable(outcome.args)),
                result=redact_record(_jsonable(outcome.result)),
                allowed=outcome.allowed, reason=outcome.reason,
                duration_ms=outcome.duration_ms))

    def for_call(self, call_sid: str) -> list[dict[str, Any]]:
        """The call's audit rows, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tool_audit).where(tool_audit.c.call_sid == call_sid)
                                .order_by(tool_audit.c.id)).mappings()
            return [dict(r) for r in rows]

    def close(self) -> None:
        self.database.detach()
