"""Keypad input as a caller turn.

pipecat's DTMFAggregator collects digits (until '#' or a pause) and interrupts the
agent on the first key; it emits a TranscriptionFrame, which a VAD-driven user turn
would only close after its stop timeout. We append the digits to the context and
run the dialog at once instead.
"""

from __future__ import annotations

from pipecat.frames.frames import LLMMessagesAppendFrame
from pipecat.processors.aggregators.dtmf_aggregator import DTMFAggregator

from telephony.call.dialog_service import DTMF_PREFIX

__all__ = ["KeypadTurns"]


class KeypadTurns(DTMFAggregator):
    def __init__(self, *, timeout_seconds: float = 1.5) -> None:
        super().__init__(timeout=timeout_seconds, prefix=DTMF_PREFIX)

    async def _flush_aggregation(self) -> None:
        digits = self._aggregation.rstrip("#")
        self._aggregation = ""
        if not digits:
            return
        message = {"role": "user", "content": f"{DTMF_PREFIX}{digits}"}
        await self.push_frame(LLMMessagesAppendFrame(messages=[message], run_llm=True))
