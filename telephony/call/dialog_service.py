"""A pipecat LLM service backed by a `DialogEngine` (the per-call dialog manager).

It sits where an LLM service sits (after the user context aggregator), so the
pipeline is the same whether the embedded engine or a remote LLM answers: the
context carries the history (assistant messages hold only what the caller heard),
each sentence goes out as an LLM text frame for TTS as soon as the engine has it (an LLM's
first sentence is being synthesised while it writes the second), then one ReplyFrame for
telephony.
"""

from __future__ import annotations

import time

from loguru import logger
from pipecat.adapters.llm.services.open_ai_adapter import OpenAILLMAdapter
from pipecat.frames.frames import (
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    STTUpdateSettingsFrame,
    TTSUpdateSettingsFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings, STTSettings, TTSSettings
from pipecat.services.whisper.stt import WhisperSTTSettings

from dialog.embedded.hints import answer_hint
from dialog.engine import DialogEngine
from dialog.phrases import say as phrases
from dialog.types import CallerTurn, Exchange, Reply
from telephony.call.frames import ReplyFrame
from telephony.call.language import CallLanguage

__all__ = ["DTMF_PREFIX", "DialogService", "history_and_turn"]

DTMF_PREFIX = "DTMF: "
CONTINUATION_MAX_WORDS = 3


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict)).strip()
    return ""


def history_and_turn(messages: list, language: str) -> tuple[list[Exchange], CallerTurn]:
    """Split context messages into past exchanges and the caller's newest turn.

    A short fragment after a caller utterance whose answer the caller never heard
    continues that utterance: a caller who pauses mid-sentence ("I'd like to speak to
    someone, ... please") and is answered too early is still saying one thing. A
    longer utterance is a new request; keypad entries are turns of their own.
    """
    pairs: list[Exchange] = []
    pending: list[str] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        role, text = message.get("role"), _text(message.get("content"))
        if role == "user" and text:
            continues = (pending and len(text.split()) <= CONTINUATION_MAX_WORDS
                         and not (text + pending[-1]).count(DTMF_PREFIX))
            if pending and not continues:
                pairs.append(Exchange(caller=" ".join(pending), agent=""))
                pending = []
            pending.append(text)
        elif role == "assistant" and text:
            pairs.append(Exchange(caller=" ".join(pending), agent=text))
            pending = []
    caller = " ".join(pending)
    if caller.startswith(DTMF_PREFIX):
        return pairs, CallerTurn(text="", language=language,
                                 dtmf=caller.removeprefix(DTMF_PREFIX))
    return pairs, CallerTurn(text=caller, language=language)


class DialogService(LLMService):
    # Named here so the import (openai's SDK, ~0.9 s) happens at start-up, not on
    # the first call's event loop.
    adapter_class = OpenAILLMAdapter

    def __init__(self, engine: DialogEngine, *, language: CallLanguage, **kwargs) -> None:
        """``language``: the call's (``telephony.call.language``): the caller's turns are in its
        current language; before each sentence, when the engine speaks another language than
        the voice's, the voice (downstream) and speech recognition (upstream) switch to it."""
        # The embedded engine has no sampling knobs: every LLM setting is "unsupported".
        settings = LLMSettings(
            model="frontdesk-local", system_instruction=None, temperature=None, max_tokens=None,
            top_p=None, top_k=None, frequency_penalty=None, presence_penalty=None, seed=None,
            filter_incomplete_user_turns=False, user_turn_completion_config=None,
        )
        super().__init__(settings=settings, **kwargs)
        self._engine = engine
        self._language = language
        self._hint: str | None = None  # the recognition hint last sent upstream

    def can_generate_metrics(self) -> bool:
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._answer(frame.context)
        else:
            await self.push_frame(frame, direction)

    async def _follow_language(self) -> None:
        language = self._language.switch()
        if language is None:
            return
        await self.push_frame(TTSUpdateSettingsFrame(delta=TTSSettings(language=language)))
        await self.push_frame(STTUpdateSettingsFrame(delta=STTSettings(language=language)),
                              FrameDirection.UPSTREAM)

    async def _answer(self, context: LLMContext) -> None:
        history, turn = history_and_turn(list(context.get_messages()), self._language.current)
        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        await self.start_ttfb_metrics()
        started = time.perf_counter()
        said: list[str] = []

        async def say(sentence: str) -> None:
            await self._follow_language()
            if not said:
                await self.stop_ttfb_metrics()
            said.append(sentence)
            await self.push_frame(LLMTextFrame(f" {sentence}" if said[1:] else sentence))

        try:
            reply = await self._engine.respond(history, turn, say)
        except Exception as exc:  # the caller hears a graceful line, the log gets the cause
            logger.exception(f"dialog engine failed: {exc}")
            language = self._language.reply
            line = phrases.say("dialog_failed", language)
            reply = Reply(text=line, intent="error", confidence=0.0, language=language,
                          reason_codes=("dialog_error",))
            await say(line)
        dialog_ms = (time.perf_counter() - started) * 1000
        await self.stop_ttfb_metrics()
        await self.stop_processing_metrics()
        await self.push_frame(LLMFullResponseEndFrame())
        await self.push_frame(ReplyFrame(turn=turn, reply=reply, dialog_ms=dialog_ms))
        await self._hint_recognition(answer_hint(reply.expects, reply.language))

    async def _hint_recognition(self, hint: str | None) -> None:
        """Speech recognition (upstream) is given the answers the question just asked expects
        as Whisper's initial prompt, and none once nothing in particular is expected."""
        if hint == self._hint:
            return
        self._hint = hint
        await self.push_frame(STTUpdateSettingsFrame(delta=WhisperSTTSettings(
            initial_prompt=hint)), FrameDirection.UPSTREAM)
