"""The interface every dialog engine implements: the embedded engine, the LLM dialog manager,
and the per-call manager that puts guardrails and escalation around them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from dialog.types import CallerTurn, Exchange, Reply

__all__ = ["DialogEngine", "Say"]

# Speaks one sentence as soon as it is final; returns when it has been handed on (not played).
Say = Callable[[str], Awaitable[None]]


class DialogEngine(Protocol):
    """Decides what to say next in one call; one instance per call.

    ``history`` holds the call's past exchanges, oldest first, with the agent side cut to what
    the caller heard. ``respond`` hands each sentence to ``say`` as soon as it is final (an LLM
    streams; the embedded engine says its whole answer at once) and returns the whole reply,
    whose ``text`` is everything it said.
    """

    def greeting(self, language: str) -> str: ...

    async def respond(self, history: Sequence[Exchange], turn: CallerTurn, say: Say) -> Reply: ...
