"""What the caller actually heard, from Twilio `mark` echoes.

The output transport sends a `mark` after each spoken sentence's audio. Twilio
echoes a mark once the audio before it has played. `HeardTextGate` sits after the
output transport and holds each sentence's text until its mark comes back; on a
barge-in it drops the held text, so the assistant history (the aggregator behind
the gate) keeps only what the caller heard.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

from loguru import logger
from pipecat.frames.frames import (
    EndFrame,
    Frame,
    InterruptionFrame,
    OutputAudioRawFrame,
    SystemFrame,
    TTSTextFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

__all__ = ["HeardTextGate", "MarkLedger"]

# A peer that never echoes marks (not Twilio) must not freeze the history forever.
ECHO_GRACE_SECONDS = 3.0


@dataclass
class _PendingMark:
    text: str
    plays_until: float
    state: str = "pending"  # pending | heard | dropped


class MarkLedger:
    """Per-call record of marks sent, echoed and dropped; shared by the serializer,
    the output transport and the gate. Times are time.monotonic()."""

    def __init__(self) -> None:
        self._seq = 0
        self._marks: dict[str, _PendingMark] = {}
        self._by_frame: dict[int, str] = {}
        self.playback_until = 0.0
        self.changed = asyncio.Event()
        self.clears_sent = 0

    def add(self, frame_id: int, text: str, plays_until: float) -> str:
        self._seq += 1
        name = f"s{self._seq}"
        self._marks[name] = _PendingMark(text=text, plays_until=plays_until)
        self._by_frame[frame_id] = name
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
            m.state == "pending" for m in self._marks.values()
        )

    def cleared(self) -> None:
        for mark in self._marks.values():
            if mark.state == "pending":
                mark.state = "dropped"
        self.playback_until = 0.0
        self.clears_sent += 1
        self.changed.set()


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
            return
        if isinstance(frame, InterruptionFrame):
            self._drop_unheard()
            await self.push_frame(frame, direction)
            return
        if isinstance(frame, SystemFrame):
            await self.push_frame(frame, direction)
            return
        if isinstance(frame, EndFrame):
            await self._flush_heard()
            await self.push_frame(frame, direction)
            return
        self._held.append(frame)
        if self._task is None or self._task.done():
            self._task = self.create_task(self._release())

    def _drop_unheard(self) -> None:
        # Keep what precedes the first unheard sentence; that sentence and
        # everything queued behind it never reached the caller's ear.
        kept: deque[Frame] = deque()
        unheard = False
        for frame in self._held:
            if isinstance(frame, TTSTextFrame) and not unheard:
                name = self._ledger.mark_for(frame.id)
                unheard = name is not None and self._ledger.state(name) != "heard"
            if not unheard or isinstance(frame, self._always_deliver):
                kept.append(frame)
        self._held = kept

    async def _flush_heard(self) -> None:
        while self._held:
            frame = self._held[0]
            if isinstance(frame, TTSTextFrame):
                name = self._ledger.mark_for(frame.id)
                if name is not None and self._ledger.state(name) != "heard":
                    self._held.clear()
                    return
            await self.push_frame(self._held.popleft())

    async def _release(self) -> None:
        while self._held:
            frame = self._held[0]
            name = self._ledger.mark_for(frame.id) if isinstance(frame, TTSTextFrame) else None
            if name is not None:
                state = self._ledger.state(name)
                if state == "pending":
                    self._ledger.changed.clear()
                    try:
                        await asyncio.wait_for(self._ledger.changed.wait(), timeout=0.25)
                    except TimeoutError:
                        pass
                    continue
                if state == "dropped":
                    self._held.popleft()
                    continue
            if self._held and self._held[0] is frame:
                self._held.popleft()
                await self.push_frame(frame)

    async def cleanup(self) -> None:
        if self._task is not None:
            await self.cancel_task(self._task)
        await super().cleanup()
