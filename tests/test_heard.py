"""The mark ledger and the heard-text gate, in a real pipecat pipeline."""

from __future__ import annotations

import time

from pipecat.frames.frames import (
    InterruptionFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    TTSTextFrame,
)
from pipecat.tests.utils import SleepFrame, run_test

from dialog.types import CallerTurn, Reply, Transfer
from telephony.call.frames import ReplyFrame
from telephony.call.heard import HeardTextGate, MarkLedger


def _sentence(ledger: MarkLedger, text: str, *, heard: bool) -> TTSTextFrame:
    frame = TTSTextFrame(text, text_type="sentence")
    name = ledger.add(frame.id, plays_until=time.monotonic() + 60)
    if heard:
        ledger.echoed(name)
    return frame


def test_ledger_states():
    ledger = MarkLedger()
    a = ledger.add(1, time.monotonic() + 60)
    b = ledger.add(2, time.monotonic() - 10)  # played long ago, echo lost
    assert ledger.mark_for(1) == a and ledger.marks_sent == 2
    assert ledger.state(a) == "pending" and ledger.audio_outstanding()
    assert ledger.state(b) == "heard"  # past the grace period
    ledger.cleared()
    ledger.echoed(a)  # Twilio returns cleared marks: that is not "heard"
    assert ledger.state(a) == "dropped" and not ledger.audio_outstanding()


async def test_interruption_keeps_heard_sentences_and_decisions_only():
    ledger = MarkLedger()
    decision = ReplyFrame(turn=CallerTurn(text="a person"), dialog_ms=1.0,
                          reply=Reply("One. Two.", "human", 0.9, Transfer("front_desk", "x")))
    frames = [
        LLMFullResponseStartFrame(),
        _sentence(ledger, "One.", heard=True),
        _sentence(ledger, "Two.", heard=False),
        LLMFullResponseEndFrame(),
        decision,
        SleepFrame(sleep=0.3),  # system frames overtake data frames: let these arrive first
        InterruptionFrame(),
    ]
    down, _ = await run_test(HeardTextGate(ledger, always_deliver=(ReplyFrame,)),
                             frames_to_send=frames)
    kinds = [type(f).__name__ for f in down]
    assert kinds == ["LLMFullResponseStartFrame", "TTSTextFrame", "ReplyFrame",
                     "InterruptionFrame"]
    assert down[1].text == "One." and not down[1].interruptible


async def test_sentences_wait_for_their_echo():
    ledger = MarkLedger()
    first = _sentence(ledger, "One.", heard=True)
    second = _sentence(ledger, "Two.", heard=False)
    ledger.echoed(ledger.mark_for(second.id))  # echoed before the gate sees it
    down, _ = await run_test(HeardTextGate(ledger), frames_to_send=[first, second])
    assert [f.text for f in down if isinstance(f, TTSTextFrame)] == ["One.", "Two."]
