"""What the caller actually heard, from Twilio `mark` echoes.

The output transport sends a `mark` after each spoken sentence's audio (a reply is
spoken sentence by sentence; a TTSSpeakFrame prompt is one utterance, one mark).
Twilio echoes a mark once the audio before it has played. `HeardTextGate` sits
after the output transport and holds each sentence's text until its mark comes
back; on a barge-in it drops the held text, so the assistant history (the
aggregator behind the gate) keeps only what the caller heard. `HeardTurns`, behind the
gate, hands each recorded turn what the caller heard of its line.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loguru import logger
from pipecat.frames.frames import (
    EndFrame,
    Frame,
    InterruptionFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    OutputAudioRawFrame,
    SystemFrame,
    TTSTextFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.utils.string import TextPartForConcatenation, concatenate_aggregated_text

from telephony.call.frames import TurnSpokenFrame

__all__ = ["HeardTextGate", "HeardTurns", "MarkLedger"]

# A peer that never echoes marks (not Twilio) must not freeze the history forever.
ECHO_GRACE_SECONDS = 3.0


@dataclass
class _Mark:
    plays_until: float
    state: str = "pending"  # pending | heard | dropped


class MarkLedger:
    """Per-call record of marks sent, echoed and dropped; shared by the serializer,
    the output transport and the gate. Times are time.monotonic()."""

    def __init__(self) -> None:
        self._marks: dict[str, _Mark] = {}
        self._by_frame: dict[int, str] = {}
        self.playback_until = 0.0
        self.changed = asyncio.Event()

    @property
    def marks_sent(self) -> int:
        return len(self._marks)

    def add(self, frame_id: int, plays_until: float) -> str:
        name = f"s{len(self._marks) + 1}"
        self._marks[name] = _Mark(plays_until=plays_until)
        self._by_frame[frame_id] = name
        self.changed.set()
        return name

    def mark_for(self, frame_id: int) -> str | None:
        return self._by_frame.get(frame_id)

    def echoed(self, name: str) -> None:
        mark = self._marks.get(name)
        # A mark echoed after we cleared its audio (Twilio returns pending marks on
        # `clear`) was not heard: it stays dropped.
        if mark is not None and mark.state == "pending":
            mark.state = "heard"
        self.changed.set()

    def state(self, name: str) -> str:
        mark = self._marks.get(name)
        if mark is None:
            return "heard"
        if mark.state == "pending" and time.monotonic() > mark.plays_until + ECHO_GRACE_SECONDS:
            logger.warning(f"mark {name} never echoed; assuming it was heard")
            mark.state = "heard"
        return mark.state

    def audio_outstanding(self) -> bool:
        """Is any of our audio still queued or playing at the caller's end?"""
        return time.monotonic() < self.playback_until or any(
            self.state(name) == "pending" for name in self._marks
        )

    def cleared(self) -> None:
        for mark in self._marks.values():
            if mark.state == "pending":
                mark.state = "dropped"
        self.playback_until = 0.0
        self.changed.set()

    async def wait_played(self, *, after_marks: int | None = None, within: float) -> None:
        """Wait until all our audio has played (and, with `after_marks`, until a mark
        beyond that count was sent first: the line just queued reached the transport)."""
        deadline = time.monotonic() + within

        def done() -> bool:
            if after_marks is not None and self.marks_sent <= after_marks:
                return False
            return not self.audio_outstanding()

        while not done() and time.monotonic() < deadline:
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=0.05)


class HeardTextGate(FrameProcessor):
    """Releases downstream data frames in order, each sentence only once heard."""

    def __init__(self, ledger: MarkLedger, *, always_deliver: tuple[type[Frame], ...] = (),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._ledger = ledger
        # Frames that carry no speech (a reply's decision) survive a barge-in.
        self._always_deliver = always_deliver
        self._held: deque[Frame] = deque()
        self._task: asyncio.Task | None = None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == FrameDirection.UPSTREAM or isinstance(frame, OutputAudioRawFrame):
            await self.push_frame(frame, direction)
        elif isinstance(frame, InterruptionFrame):
            # What was heard reaches the history before the interruption closes the turn.
            self._drop_unheard()
            await self._push_held()
            await self.push_frame(frame, direction)
        elif isinstance(frame, SystemFrame):
            await self.push_frame(frame, direction)
        elif isinstance(frame, EndFrame):
            self._drop_unheard()
            await self._push_held()
            await self.push_frame(frame, direction)
        else:
            self._held.append(frame)
            if self._task is None or self._task.done():
                self._task = self.create_task(self._release())

    def _unheard(self, frame: Frame) -> bool:
        if not isinstance(frame, TTSTextFrame):
            return False
        name = self._ledger.mark_for(frame.id)
        return name is not None and self._ledger.state(name) != "heard"

    def _drop_unheard(self) -> None:
        """Keep what precedes the first unheard sentence; that sentence and everything
        queued behind it never reached the caller's ear (decisions excepted)."""
        kept: deque[Frame] = deque()
        unheard = False
        for frame in self._held:
            unheard = unheard or self._unheard(frame)
            if not unheard or isinstance(frame, self._always_deliver):
                kept.append(frame)
        self._held = kept

    async def _push_held(self) -> None:
        while self._held:
            await self._push_released(self._held.popleft())

    async def _push_released(self, frame: Frame) -> None:
        # Heard is heard: an interruption behind it must not drop it downstream.
        frame.interruptible = False
        await self.push_frame(frame)

    async def _release(self) -> None:
        while self._held:
            frame = self._held[0]
            name = self._ledger.mark_for(frame.id) if isinstance(frame, TTSTextFrame) else None
            state = "heard" if name is None else self._ledger.state(name)
            if state == "pending":
                self._ledger.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ledger.changed.wait(), timeout=0.25)
                continue
            if self._held and self._held[0] is frame:
                self._held.popleft()
                if state == "heard":
                    await self._push_released(frame)

    async def cleanup(self) -> None:
        if self._task is not None:
            await self.cancel_task(self._task)
        await super().cleanup()


class HeardTurns(FrameProcessor):
    """Behind the heard-text gate: for each `TurnSpokenFrame`, hands its turn the sentences of
    its line that were heard, and whether the caller missed any (an interruption, or audio
    cleared before it played).

    Everything is read from the frames in their order: a line is the text between an
    `LLMFullResponseStartFrame` and its end frame, and the `TurnSpokenFrame` after it names
    the turn. The gate drops a line's unheard sentences and its end frame with them, so a
    line closed without its end frame was cut short. An `InterruptionFrame` (a system frame)
    overtakes the heard frames the gate released just before it, so it marks nothing here.
    Text spoken outside a line (a silence prompt) belongs to no turn.
    """

    def __init__(self, on_heard: Callable[[int, str, bool], Awaitable[None]], **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_heard = on_heard
        self._parts: list[TextPartForConcatenation] = []
        self._in_line = False
        self._ended = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == FrameDirection.DOWNSTREAM:
            if isinstance(frame, LLMFullResponseStartFrame):
                self._parts, self._in_line, self._ended = [], True, False
            elif isinstance(frame, TTSTextFrame) and self._in_line and frame.text:
                self._parts.append(TextPartForConcatenation(
                    frame.text, includes_inter_part_spaces=frame.includes_inter_frame_spaces))
            elif isinstance(frame, LLMFullResponseEndFrame):
                self._in_line, self._ended = False, True
            elif isinstance(frame, TurnSpokenFrame):
                heard = concatenate_aggregated_text(self._parts).strip()
                interrupted = not self._ended
                self._parts, self._in_line, self._ended = [], False, False
                await self._on_heard(frame.index, heard, interrupted)
                return  # the frame is ours: nothing downstream knows it
        await self.push_frame(frame, direction)
