"""The end of a caller's turn: Smart Turn's verdict, and a whole question as a second opinion."""

from __future__ import annotations

import asyncio

import pytest
from pipecat.audio.turn.base_turn_analyzer import BaseTurnAnalyzer, BaseTurnParams, EndOfTurnState
from pipecat.frames.frames import (
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.utils.asyncio.task_manager import TaskManager

from voice.turn import QuestionEndsTurnStop, reads_as_finished_question


class _Unfinished(BaseTurnAnalyzer):
    """Smart Turn's verdict on a flat voice: never finished (the silence limit is not reached
    in these tests)."""

    @property
    def speech_triggered(self) -> bool:
        return True

    @property
    def params(self) -> BaseTurnParams:
        return BaseTurnParams()

    def append_audio(self, buffer: bytes, is_speech: bool) -> EndOfTurnState:
        return EndOfTurnState.INCOMPLETE

    async def analyze_end_of_turn(self) -> tuple[EndOfTurnState, None]:
        return EndOfTurnState.INCOMPLETE, None

    def update_vad_start_secs(self, vad_start_secs: float) -> None:
        pass

    def clear(self) -> None:
        pass


def test_a_whole_question_is_three_words_or_more_ending_in_a_question_mark() -> None:
    assert reads_as_finished_question("Is there parking at the hotel?")
    assert reads_as_finished_question(" ¿Puedo llevar a mi perro? ")
    assert not reads_as_finished_question("Parking?")
    assert not reads_as_finished_question("I'd like to book a")
    assert not reads_as_finished_question("My number is 4 7 2.")


async def _turn(words: list[str]) -> bool:
    """Whether the strategy ends the turn after the VAD stop and these transcripts."""
    stop = QuestionEndsTurnStop(turn_analyzer=_Unfinished(),
                                task_manager=TaskManager(loop=asyncio.get_running_loop()))
    ended = asyncio.Event()

    @stop.event_handler("on_user_turn_stopped")
    async def _ended(*_: object) -> None:
        ended.set()

    await stop.process_frame(VADUserStartedSpeakingFrame(start_secs=0.05))
    await stop.process_frame(VADUserStoppedSpeakingFrame(stop_secs=0.2))
    for text in words:
        await stop.process_frame(TranscriptionFrame(text, "caller", "", finalized=True))
    try:
        await asyncio.wait_for(ended.wait(), 0.5)
    except TimeoutError:
        return False
    finally:
        await stop.cleanup()
    return True


@pytest.mark.asyncio
async def test_a_whole_question_ends_the_turn_that_smart_turn_called_unfinished() -> None:
    assert await _turn(["Is there parking at the hotel?"])


@pytest.mark.asyncio
async def test_other_words_keep_smart_turns_verdict() -> None:
    assert not await _turn(["I'd like to book a"])
    assert not await _turn(["Parking?"])
