"""The LLM dialog manager: an OpenAI-compatible chat-completions endpoint, streamed, with tools.

One ``LlmDialog`` per call; the ``AsyncOpenAI`` client is shared by the process. A turn:
1. the caller's words are searched in the knowledge (the best passages go into the prompt, so
   most questions need no tool round);
2. the reply streams; each sentence is checked for invented figures (``grounding``) and handed
   to ``say`` as soon as it is complete, so the first sentence is being synthesised while the
   model writes the second;
3. tool calls (several per round allowed, run concurrently) go through the ``ToolRegistry``,
   which applies identity and permission rules and audits them; at most ``max_tool_rounds``
   rounds per turn;
4. a round that fails before producing anything (connection error, HTTP 5xx, no first token in
   time) is retried after a short holding line; when retries run out, or the failure comes
   mid-reply, the caller is told so and transferred. There is never dead air.

At ~300 lines: the turn loop above, with its retries and grounding, reads best in one place;
the prompt (``dialog.llm.prompt``) and the tool schemas already live apart.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import openai
from loguru import logger

from config import LlmSettings
from config.policy import CallPolicy
from dialog.engine import Say
from dialog.llm.grounding import unsupported_figures
from dialog.llm.prompt import caller_message, history_messages, system_prompt
from dialog.phrases.lines import Lines
from dialog.state import CallState
from dialog.tools.registry import ToolRegistry
from dialog.tools.spec import ToolOutcome
from dialog.types import CallerTurn, Exchange, Hangup, Transfer
from knowledge.passages import Passage, split_sentences

__all__ = ["LlmAnswer", "LlmDialog", "make_client"]

_STALL_SECONDS_MIN = 2.0  # between chunks once the reply has started
_SLOW_TOOLS_SECONDS = 1.0  # tools taking longer than this get a holding line
_MODEL_REFUSALS = {
    "not_verified": "Refused: the caller is not verified. Find their record and verify them "
                    "with the verification tool first.",
    "not_owner": "Not found for this caller.",
    "injection": "Refused: this turn looks like an attempt to override the rules.",
    "invalid_arguments": "Refused: the arguments do not match the tool's schema.",
    "unknown_tool": "No such tool.",
    "timeout": "The system did not answer in time.",
    "error": "The system failed.",
}


def make_client(settings: LlmSettings) -> openai.AsyncOpenAI:
    """One client per process: its connection pool is shared by every call."""
    return openai.AsyncOpenAI(
        base_url=settings.base_url, api_key=settings.api_key.get_secret_value() or "none",
        timeout=openai.Timeout(settings.total_timeout_seconds,
                               connect=settings.connect_timeout_seconds),
        max_retries=0,  # retries are ours: the caller hears a holding line first
        default_headers=settings.headers or None, default_query=settings.query or None,
    )


class _RoundFailed(Exception):
    """A completion request failed; ``before_output`` says whether it can be retried."""

    def __init__(self, cause: str, *, before_output: bool) -> None:
        super().__init__(cause)
        self.before_output = before_output


class _Unsupported(Exception):
    """A sentence carried a figure that nothing in the evidence supports."""


@dataclass
class LlmAnswer:
    spoken: list[str] = field(default_factory=list)
    tools: list[ToolOutcome] = field(default_factory=list)
    decision: Transfer | Hangup | None = None
    reason_codes: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    rounds: int = 0
    # What the model was asked and answered, over every round of the turn (when the server
    # reports it): prompt_tokens, completion_tokens, requests, and cost_usd when priced.
    usage: dict[str, float] | None = None

    def count(self, usage: Any, settings: LlmSettings) -> None:
        """Add one request's token counts (an OpenAI ``CompletionUsage``)."""
        total = self.usage or {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0}
        total["prompt_tokens"] += int(getattr(usage, "prompt_tokens", 0) or 0)
        total["completion_tokens"] += int(getattr(usage, "completion_tokens", 0) or 0)
        total["requests"] += 1
        if settings.price_input_per_million or settings.price_output_per_million:
            total["cost_usd"] = round(
                total["prompt_tokens"] * settings.price_input_per_million / 1e6
                + total["completion_tokens"] * settings.price_output_per_million / 1e6, 6)
        self.usage = total

    @property
    def text(self) -> str:
        return " ".join(self.spoken)


@dataclass
class _Round:
    text: str = ""
    calls: dict[int, dict[str, str]] = field(default_factory=dict)  # index -> id, name, args
    usage: Any = None  # the server's token counts (``stream_options.include_usage``)


class LlmDialog:
    def __init__(
        self, client: openai.AsyncOpenAI, settings: LlmSettings, *, registry: ToolRegistry,
        state: CallState, business_name: str, lines: Lines, policy: CallPolicy,
    ) -> None:
        self.client = client
        self.policy = policy  # the call's: its queues, default queue and limits
        self.settings = settings
        self.registry = registry
        self.state = state
        self.business_name = business_name
        self.lines = lines

    async def respond(
        self, history: Sequence[Exchange], turn: CallerTurn, say: Say, *,
        passages: Sequence[Passage], injection: bool = False,
    ) -> LlmAnswer:
        answer = LlmAnswer(passages=list(passages))
        language = self.state.language
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_prompt(self.business_name, self.state,
                                                        passages, language, date.today())},
            *history_messages(history), caller_message(turn),
        ]
        evidence = [self.business_name, turn.text, *(e.caller for e in history),
                    *(e.agent for e in history), *(p.text for p in passages),
                    json.dumps(self.state.facts, default=str)]
        deadline = time.monotonic() + self.settings.total_timeout_seconds
        held = False

        async def speak(sentence: str) -> None:
            if unsupported_figures(sentence, evidence):
                raise _Unsupported(sentence)
            answer.spoken.append(sentence)
            await say(sentence)

        try:
            for _ in range(self.settings.max_tool_rounds):
                answer.rounds += 1
                attempt = 0
                while True:
                    try:
                        result = await self._round(messages, speak, deadline)
                        if result.usage is not None:
                            answer.count(result.usage, self.settings)
                        break
                    except _RoundFailed as failure:
                        can_retry = failure.before_output and attempt < self.settings.retries
                        logger.warning(f"LLM round failed ({failure}); "
                                       f"{'retrying' if can_retry else 'giving up'}")
                        if not can_retry:
                            raise
                        attempt += 1
                        answer.reason_codes.append("llm_retry")
                        if not held and not answer.spoken:
                            held = True
                            await say(self.lines.get("holding", language))
                if not result.calls:
                    return answer
                await self._run_tools(result, messages, answer, evidence, say, injection)
                if answer.decision is not None:
                    return answer
            answer.reason_codes.append("tool_rounds_exhausted")
            if not answer.spoken:
                await self._fail(answer, say, "tool_rounds_exhausted")
            return answer
        except _RoundFailed:
            await self._fail(answer, say, "llm_unavailable")
        except _Unsupported as unsupported:
            logger.info(f"unsupported figure in LLM sentence, replaced: {unsupported}")
            answer.reason_codes.append("unsupported_answer")
            line = self.lines.get("unsupported", language)
            answer.spoken.append(line)
            await say(line)
            answer.decision = Transfer(self.policy.default_queue, "unsupported_answer")
        return answer

    async def _fail(self, answer: LlmAnswer, say: Say, reason: str) -> None:
        answer.reason_codes.append(reason)
        line = self.lines.get("llm_failed", self.state.language)
        answer.spoken.append(line)
        await say(line)
        answer.decision = Transfer(self.policy.default_queue, reason)

    async def _round(self, messages: list[dict[str, Any]], speak: Say,
                     deadline: float) -> _Round:
        """One completion request, streamed: complete sentences are spoken as they arrive."""
        tools = self.registry.openai_tools(self.state, self.policy)
        first_deadline = min(deadline, time.monotonic() + self.settings.first_token_timeout_seconds)
        result = _Round()
        buffer = ""
        output = False
        try:
            stream = await asyncio.wait_for(self.client.chat.completions.create(
                model=self.settings.model, messages=messages, stream=True,
                temperature=self.settings.temperature, max_tokens=self.settings.max_tokens,
                **({"tools": tools} if tools else {}),
                **({"stream_options": {"include_usage": True}}
                   if self.settings.report_usage else {}),
            ), timeout=max(0.01, first_deadline - time.monotonic()))
        except (openai.APIError, TimeoutError) as e:
            raise _RoundFailed(_describe(e), before_output=True) from e
        try:
            chunks = aiter(stream)
            while True:
                limit = first_deadline if not output else min(
                    deadline, time.monotonic() + max(_STALL_SECONDS_MIN,
                                                     self.settings.first_token_timeout_seconds))
                try:
                    remaining = max(0.01, limit - time.monotonic())
                    chunk = await asyncio.wait_for(anext(chunks), remaining)
                except StopAsyncIteration:
                    break
                if getattr(chunk, "usage", None) is not None:
                    result.usage = chunk.usage
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                if delta.content:
                    output = True
                    buffer += delta.content
                    result.text += delta.content
                    complete, buffer = _complete_sentences(buffer)
                    for sentence in complete:
                        await speak(sentence)
                for call in delta.tool_calls or []:
                    output = True
                    slot = result.calls.setdefault(call.index, {"id": "", "name": "", "args": ""})
                    slot["id"] = call.id or slot["id"]
                    if call.function is not None:
                        slot["name"] += call.function.name or ""
                        slot["args"] += call.function.arguments or ""
        except (openai.APIError, TimeoutError) as e:
            raise _RoundFailed(_describe(e), before_output=not output) from e
        finally:
            await stream.close()
        if buffer.strip():
            await speak(buffer.strip())
        return result

    async def _run_tools(
        self, result: _Round, messages: list[dict[str, Any]], answer: LlmAnswer,
        evidence: list[str], say: Say, injection: bool,
    ) -> None:
        calls = [result.calls[i] for i in sorted(result.calls)]
        messages.append({"role": "assistant", "content": result.text or None, "tool_calls": [
            {"id": c["id"] or f"call_{n}", "type": "function",
             "function": {"name": c["name"], "arguments": c["args"] or "{}"}}
            for n, c in enumerate(calls)]})
        work = asyncio.gather(*(self.registry.call(
            c["name"], c["args"] or "{}", self.state, injection=injection,
            policy=self.policy) for c in calls))
        done, _ = await asyncio.wait({work}, timeout=_SLOW_TOOLS_SECONDS)
        if not done and not answer.spoken:
            await say(self.lines.get("checking", self.state.language))
        outcomes: list[ToolOutcome] = await work
        for n, (call, outcome) in enumerate(zip(calls, outcomes, strict=True)):
            answer.tools.append(outcome)
            content = outcome.result if outcome.result is not None else {
                "error": outcome.reason, "message": _MODEL_REFUSALS.get(outcome.reason, "")}
            text = json.dumps(content, ensure_ascii=False, default=str)
            evidence.append(text)
            messages.append({"role": "tool", "tool_call_id": call["id"] or f"call_{n}",
                             "content": text})
            self._decide(outcome, answer)
        decision = answer.decision
        if decision is None:
            return
        if decision.reason == "needs_human":  # the model has not said why: we do
            key = "needs_human"
        elif not answer.spoken:
            key = "handoff" if isinstance(decision, Transfer) else "goodbye"
        else:
            return
        line = self.lines.get(key, self.state.language)
        answer.spoken.append(line)
        await say(line)

    def _decide(self, outcome: ToolOutcome, answer: LlmAnswer) -> None:
        """Turn a decision tool (or a refusal that needs a person) into a call decision."""
        if answer.decision is not None:
            return
        if outcome.reason == "needs_human":
            request = str((outcome.result or {}).get("request") or outcome.name)
            answer.decision = Transfer(self.policy.default_queue, "needs_human", request=request)
        elif outcome.allowed and outcome.name == "transfer_to_agent":
            data = outcome.result or {}
            queue = str(data.get("queue") or "")
            policy = self.policy
            answer.decision = Transfer(queue if queue in policy.queues else policy.default_queue,
                                       "agent_transfer", request=str(data.get("reason", "")))
        elif outcome.allowed and outcome.name == "end_call":
            answer.decision = Hangup(str((outcome.result or {}).get("reason") or "caller_done"))


def _complete_sentences(buffer: str) -> tuple[list[str], str]:
    """The finished sentences of streamed text, and the raw unfinished rest (spaces kept)."""
    parts = split_sentences(buffer)
    if len(parts) < 2:
        return [], buffer
    rest = len(buffer.rstrip()) - len(parts[-1])
    return parts[:-1], buffer[rest:]


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}"
    return type(error).__name__
