"""The mark ledger and the heard-text gate, in a real pipecat pipeline."""

from __future__ import annotations

import asyncio
import time

from pipecat.frames.frames import (
    InterruptionFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    TTSTextFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.tests.utils import SleepFrame, run_test

from dialog.types import CallerTurn, Reply, Transfer
from telephony.call.frames import ReplyFrame, TurnSpokenFrame
from telephony.call.heard import HeardTextGate, HeardTurns, MarkLedger


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


async def test_each_turn_gets_what_was_heard_of_its_own_line():
    # Turn 0 is talked over after its first sentence; turn 1 (recorded before turn 0's heard
    # text came back) is heard whole; a silence prompt between lines belongs to no turn.
    ledger = MarkLedger()
    heard: list[tuple[int, str, bool]] = []

    async def on_heard(index: int, text: str, interrupted: bool) -> None:
        heard.append((index, text, interrupted))

    frames = [
        LLMFullResponseStartFrame(),
        _sentence(ledger, "One.", heard=True),
        _sentence(ledger, "Two.", heard=False),
        LLMFullResponseEndFrame(),
        TurnSpokenFrame(0),
        SleepFrame(sleep=0.3),
        InterruptionFrame(),  # overtakes nothing here: the gate has already released "One."
        SleepFrame(sleep=0.1),
        _sentence(ledger, "Are you still there?", heard=True),
        LLMFullResponseStartFrame(),
        _sentence(ledger, "Three.", heard=True),
        _sentence(ledger, "Four.", heard=True),
        LLMFullResponseEndFrame(),
        TurnSpokenFrame(1),
    ]
    pipeline = Pipeline([HeardTextGate(ledger, always_deliver=(TurnSpokenFrame,)),
                         HeardTurns(on_heard)])
    down, _ = await run_test(pipeline, frames_to_send=frames)
    assert heard == [(0, "One.", True), (1, "Three. Four.", False)]
    assert not any(isinstance(f, TurnSpokenFrame) for f in down)


async def test_an_echo_just_before_an_interruption_keeps_its_sentence_on_its_turn():
    # "One." is echoed a moment before the caller talks over "Two.": "One." belongs to
    # turn 4, which is marked as cut short.
    ledger = MarkLedger()
    heard: list[tuple[int, str, bool]] = []

    async def on_heard(index: int, text: str, interrupted: bool) -> None:
        heard.append((index, text, interrupted))

    one = _sentence(ledger, "One.", heard=False)
    frames = [
        LLMFullResponseStartFrame(), one, _sentence(ledger, "Two.", heard=False),
        LLMFullResponseEndFrame(), TurnSpokenFrame(4), SleepFrame(sleep=0.3),
    ]
    gate = HeardTextGate(ledger, always_deliver=(TurnSpokenFrame,))

    async def echo_then_interrupt() -> None:
        await asyncio.sleep(0.2)
        ledger.echoed(ledger.mark_for(one.id))
        await gate.queue_frame(InterruptionFrame())

    task = asyncio.create_task(echo_then_interrupt())
    await run_test(Pipeline([gate, HeardTurns(on_heard)]), frames_to_send=frames)
    await task
    assert heard == [(4, "One.", True)]
