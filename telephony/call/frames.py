"""pipecat frames the dialog layer emits; telephony acts on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipecat.frames.frames import DataFrame

from dialog.types import CallerTurn, Reply

__all__ = ["ReplyFrame", "TurnSpokenFrame"]


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


@dataclass
class TurnSpokenFrame(DataFrame):
    """Follows the last frame of one recorded turn's line on its way to the caller, with the
    turn's record index: what passes the heard-text gate before it belongs to that turn.

    The index travels with the frames, so a turn's heard text never depends on when another
    task runs (the next turn may be recorded before this one's last sentence is heard).
    """

    index: int
    interruptible: bool = field(default=False, init=False)
