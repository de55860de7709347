"""Keypad turns (telephony/call/keypad.py) in a real pipecat pipeline."""

import pytest
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import InputDTMFFrame, InterruptionFrame, LLMMessagesAppendFrame
from pipecat.tests.utils import SleepFrame, run_test

from telephony.call.dialog_service import DTMF_PREFIX
from telephony.call.keypad import KeypadTurns

pytestmark = pytest.mark.asyncio


def _keys(down) -> list[str]:
    return [m["content"] for f in down if isinstance(f, LLMMessagesAppendFrame)
            for m in f.messages]


async def test_digits_and_hash_make_one_turn_and_interrupt_once():
    down, _ = await run_test(KeypadTurns(timeout_seconds=0.3), frames_to_send=[
        InputDTMFFrame(KeypadEntry.FOUR), InputDTMFFrame(KeypadEntry.POUND)])
    assert _keys(down) == [f"{DTMF_PREFIX}4"]
    assert sum(isinstance(f, InterruptionFrame) for f in down) == 1


async def test_a_hash_after_the_pause_sent_the_digits_interrupts_nothing():
    # "4", the pause ends the turn (its answer starts), then the late "#".
    down, _ = await run_test(KeypadTurns(timeout_seconds=0.2), frames_to_send=[
        InputDTMFFrame(KeypadEntry.FOUR), SleepFrame(0.5), InputDTMFFrame(KeypadEntry.POUND),
        SleepFrame(0.3)])
    assert _keys(down) == [f"{DTMF_PREFIX}4"]
    assert sum(isinstance(f, InterruptionFrame) for f in down) == 1
