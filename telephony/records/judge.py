"""The LLM judge of QA items no rule can check (``check: judge`` with a ``question``): the
configured LLM reads the call's transcript, as stored (private data already masked), and answers
the question with a verdict, a turn and a reason, as JSON.

A verdict is marked ``by: "llm"``. An answer that is not the JSON asked for, a timeout or an
error makes the item not applicable (with why), never a pass or a fail: the score is not moved
by a judge that did not judge. Blocking: QA runs in a thread after the call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import openai
from loguru import logger

from config.rules import QaItem
from config.settings import LlmSettings
from telephony.records.qa import ItemResult

__all__ = ["LlmJudge", "transcript_lines"]

SYSTEM = (
    "You review a recorded phone call between a business's virtual agent and a caller, for "
    "quality assurance. You are given the transcript, each line with its turn number, and one "
    "question about the call. Answer with JSON only, no other text: "
    '{"passed": true or false, or null when the question does not apply to this call, '
    '"turn": the number of the turn your answer rests on, or null, '
    '"reason": one short sentence}. "passed" is true when the answer to the question is yes.'
)
_JSON = re.compile(r"\{.*\}", re.DOTALL)
MAX_TRANSCRIPT_CHARS = 12_000


def transcript_lines(call: Mapping[str, Any]) -> str:
    """The call as the judge reads it: "[turn N] Caller: ..." / "[turn N] Agent: ..."."""
    lines = []
    for turn in call.get("turns") or ():
        n = turn.get("turn_index")
        said = turn.get("caller_text") or (
            f"(pressed {turn['caller_dtmf']})" if turn.get("caller_dtmf") else "")
        if said:
            lines.append(f"[turn {n}] Caller: {said}")
        reply = turn.get("heard_text") or turn.get("reply_text")
        if reply:
            lines.append(f"[turn {n}] Agent: {reply}")
    text = "\n".join(lines)
    return text if len(text) <= MAX_TRANSCRIPT_CHARS else "...\n" + text[-MAX_TRANSCRIPT_CHARS:]


def _verdict(text: str, turns: set[int]) -> tuple[bool | None, int | None, str] | None:
    found = _JSON.search(text or "")
    try:
        data = json.loads(found.group(0)) if found else None
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("passed") not in (True, False, None):
        return None
    turn = data.get("turn")
    turn = turn if isinstance(turn, int) and not isinstance(turn, bool) and turn in turns \
        else None
    return data["passed"], turn, str(data.get("reason") or "")[:300]


class LlmJudge:
    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self.client = openai.OpenAI(
            base_url=settings.base_url, api_key=settings.api_key.get_secret_value() or "none",
            default_headers=settings.headers or None, default_query=settings.query or None,
            timeout=settings.total_timeout_seconds, max_retries=settings.retries)

    def __call__(self, item: QaItem, call: Mapping[str, Any]) -> ItemResult:
        transcript = transcript_lines(call)
        if not transcript:
            return ItemResult("judge", None, detail="nothing was said", by="llm")
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Question: {item.question}\n\nTranscript:\n"
                                                f"{transcript}"}]
        try:
            stream = self.client.chat.completions.create(
                model=self.settings.model, messages=messages, stream=True, temperature=0,
                max_tokens=200)
            answer = "".join(chunk.choices[0].delta.content or "" for chunk in stream
                             if chunk.choices)
        except (openai.APIError, TimeoutError) as e:
            logger.warning(f"QA judge: no answer ({type(e).__name__}) for {item.question!r}")
            return ItemResult("judge", None, detail=f"the judge did not answer "
                              f"({type(e).__name__}): {item.question}", by="llm")
        verdict = _verdict(answer, {t.get("turn_index") for t in call.get("turns") or ()})
        if verdict is None:
            return ItemResult("judge", None, detail=f"the judge's answer was not understood: "
                              f"{item.question}", by="llm")
        passed, turn, reason = verdict
        return ItemResult("judge", passed, turn, f"{item.question} {reason}".strip(), by="llm")
