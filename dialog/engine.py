"""The interface every dialog engine implements: the local engine and the LLM dialog manager."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dialog.types import CallerTurn, Exchange, Reply

__all__ = ["DialogEngine"]


class DialogEngine(Protocol):
    """Decides what to say next in one call.

    Synchronous and free of I/O on the event loop's behalf: callers run ``respond`` in a thread
    when it computes embeddings. ``history`` holds the call's past exchanges, oldest first, with
    the agent side cut to what the caller heard.
    """

    def greeting(self, language: str) -> str: ...

    def respond(self, history: Sequence[Exchange], turn: CallerTurn) -> Reply: ...
