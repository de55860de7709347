"""The model's summary: a language model may replace the template summary and bullets.

Under a timeout; any failure (timeout, HTTP error, bad JSON, a figure the call data does not
contain) keeps the template's and logs why, so a transfer never waits on or fails because of
its briefing.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace

import openai
from loguru import logger

from config import LlmSettings
from dialog.briefing.findings import SILENT_TOOLS
from dialog.briefing.text import MAX_BULLETS, MIN_BULLETS, unique
from dialog.briefing.types import Briefing
from dialog.llm.grounding import unsupported_figures
from dialog.phrases.format import spoken_date
from knowledge.passages import split_sentences

__all__ = ["summarize_with_llm"]

_LLM_PAYLOAD_CHARS = 12_000  # the call's data sent to the model (oldest transcript dropped)
_LLM_MIN_TOKENS = 400  # room for a sentence and five bullets of JSON
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

_SYSTEM_PROMPT = (
    "You write the briefing a support agent reads before taking over a phone call that an AI "
    "agent is transferring to them. Use only facts in the call data you are given; never add "
    "a name, number, date, amount or outcome that is not in it. Answer with JSON only, no "
    'other text: {"summary": "<one sentence, at most 40 words: who the caller is, what they '
    'wanted, what the AI found or did>", "bullets": ["<2 to 5 short points the agent needs>"]}'
    ". Write in English."
)


async def summarize_with_llm(client: openai.AsyncOpenAI, settings: LlmSettings,
                             briefing: Briefing, *, timeout_seconds: float = 4.0) -> Briefing:
    """``briefing`` with the model's summary and bullets; unchanged (the template's) when the
    model does not answer within ``timeout_seconds``, fails, or answers something unusable.
    Never raises: a transfer must not wait on, or fail because of, its briefing."""
    payload = _llm_payload(briefing)
    why = ""
    try:
        async with asyncio.timeout(timeout_seconds):
            text = await _complete(client, settings, payload)
        summary, bullets = _parse_answer(text, payload, briefing)
    except TimeoutError:
        why = f"no answer within {timeout_seconds:g} s"
    except openai.OpenAIError as e:
        why = f"{type(e).__name__}: {e}"
    except ValueError as e:  # bad JSON, wrong shape, an invented figure
        why = str(e)
    except Exception as e:  # anything else: still never in the way of the transfer
        logger.exception("briefing summary failed for call {}", briefing.call_sid or "-")
        why = f"{type(e).__name__}: {e}"
    if why:
        logger.warning("briefing for call {}: LLM summary not used ({}); template kept",
                       briefing.call_sid or "-", why[:300])
        return briefing
    return replace(briefing, summary=summary, bullets=bullets, summary_source="llm")


async def _complete(client: openai.AsyncOpenAI, settings: LlmSettings, payload: str) -> str:
    """One chat completion, streamed (what every OpenAI-compatible server supports) and
    joined."""
    stream = await client.chat.completions.create(
        model=settings.model, stream=True, temperature=settings.temperature,
        max_tokens=max(settings.max_tokens, _LLM_MIN_TOKENS),
        messages=[{"role": "system", "content": _SYSTEM_PROMPT},
                  {"role": "user", "content": payload}])
    parts: list[str] = []
    try:
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
    finally:
        await stream.close()  # on a timeout too: the connection goes back to the pool
    return "".join(parts)


def _llm_payload(b: Briefing) -> str:
    """The call's data for the model, as JSON, at most ``_LLM_PAYLOAD_CHARS`` (the oldest
    transcript lines go first)."""
    customer = {k: v for k, v in b.customer.items() if k != "records"}
    transcript = [{"speaker": t["speaker"], "text": t["text"]} for t in b.transcript]
    tools = [{k: t[k] for k in ("name", "args", "allowed", "reason", "result")}
             for t in b.tools if t["name"] not in SILENT_TOOLS]
    while True:
        data = {"caller_number": b.caller_number, "verified": b.verified,
                "customer": customer, "language": b.language, "intent": b.intent,
                "transfer_reason": b.reason_text, "request": b.request,
                "sentiment": b.sentiment_label, "tools": tools, "transcript": transcript}
        text = json.dumps(data, ensure_ascii=False, default=str)
        if len(text) <= _LLM_PAYLOAD_CHARS or not (transcript or tools):
            return text[:_LLM_PAYLOAD_CHARS * 2]
        if transcript:
            transcript = transcript[1:]
        else:
            tools = tools[1:]


def _parse_answer(text: str, evidence: str, briefing: Briefing) -> tuple[str, tuple[str, ...]]:
    """The summary (its first sentence) and 2-5 bullets; ValueError for anything unusable."""
    start, end = text.find("{"), text.rfind("}")  # models like to wrap JSON in ``` fences
    if start < 0 or end < start:
        raise ValueError(f"answer is not JSON: {text[:120]!r}")
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError as e:
        raise ValueError(f"answer is not JSON: {e}") from e
    summary = data.get("summary") if isinstance(data, dict) else None
    bullets = data.get("bullets") if isinstance(data, dict) else None
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError("answer has no summary")
    if not isinstance(bullets, list) or not all(isinstance(x, str) for x in bullets):
        raise ValueError("answer's bullets are not a list of strings")
    sentences = split_sentences(" ".join(summary.split()))
    summary = sentences[0] if sentences else summary.strip()
    points = unique(" ".join(x.split()) for x in bullets if x.strip())[:MAX_BULLETS]
    for extra in briefing.bullets:  # too few: the template's fill in
        if len(points) >= MIN_BULLETS:
            break
        if extra not in points:
            points.append(extra)
    # Dates as the model may write them ("Friday, June 6") count as the ISO ones they are.
    spoken = [_spoken_iso(iso) for iso in set(_ISO_DATE.findall(evidence))]
    invented = unsupported_figures(" ".join([summary, *points]), [evidence, *spoken])
    if invented:
        raise ValueError(f"answer has figures the call data does not: {invented}")
    return summary, tuple(points)


def _spoken_iso(iso: str) -> str:
    try:
        return spoken_date(iso)
    except ValueError:  # not a real date: nothing to add
        return ""
