"""pipecat frames the dialog layer emits; telephony acts on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipecat.frames.frames import DataFrame

from dialog.types import CallerTurn, Reply

__all__ = ["ReplyFrame"]


@dataclass
class ReplyFrame(DataFrame):
    """The dialog's whole answer to one caller turn, pushed after its spoken text.

    `reply.decision` carries a Transfer or Hangup command when there is one.
    """

    turn: CallerTurn
    reply: Reply
    dialog_ms: float
    # A decision must survive the caller talking over the line announcing it.
    interruptible: bool = field(default=False, init=False)
