"""Keypad input as a caller turn.

pipecat's DTMFAggregator collects digits (until '#' or a pause) and interrupts the
agent on the first key; it emits a TranscriptionFrame, which a VAD-driven user turn
would only close after its stop timeout. We append the digits to the context and
run the dialog at once instead. A '#' after the pause already sent the digits is ignored.
"""

from __future__ import annotations

from pipecat.frames.frames import InputDTMFFrame, LLMMessagesAppendFrame
from pipecat.processors.aggregators.dtmf_aggregator import DTMFAggregator

from telephony.call.dialog_service import DTMF_PREFIX

__all__ = ["KeypadTurns"]


class KeypadTurns(DTMFAggregator):
    def __init__(self, *, timeout_seconds: float = 1.5) -> None:
        super().__init__(timeout=timeout_seconds, prefix=DTMF_PREFIX)

    async def _handle_dtmf_frame(self, frame: InputDTMFFrame) -> None:
        # A '#' with nothing keyed before it (the digits went as a turn after the pause) ends
        # nothing: it must not interrupt the answer to those digits as a first key would.
        if frame.button == self._termination_digit and not self._aggregation:
            return
        await super()._handle_dtmf_frame(frame)

    async def _flush_aggregation(self) -> None:
        digits = self._aggregation.rstrip("#")
        self._aggregation = ""
        if not digits:
            return
        message = {"role": "user", "content": f"{DTMF_PREFIX}{digits}"}
        await self.push_frame(LLMMessagesAppendFrame(messages=[message], run_llm=True))
