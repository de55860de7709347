"""A scripted OpenAI-compatible chat-completions server on loopback.

Each request takes the next step of the script (or asks a callable for one). A step streams
Server-Sent Events exactly as api.openai.com does (``data: {chunk}`` lines, then
``data: [DONE]``): text in small pieces, tool calls split across chunks, a slow first token, a
stall mid-reply, an HTTP error, or a connection cut. Every request body is recorded, so tests
assert on what the real client sent. A request with ``stream_options.include_usage`` gets the
last chunk OpenAI sends then (no choices, the token counts), and the counts are kept in
``usage``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

__all__ = ["FakeLlm", "Step", "call", "say"]


@dataclass
class Step:
    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name", "arguments"}
    status: int = 200  # != 200: an error response (OpenAI's error JSON)
    first_token_delay: float = 0.0  # seconds before the first chunk
    chunk_delay: float = 0.0  # seconds between chunks
    stall_after_chars: int | None = None  # stop sending (keep the socket open) after this
    piece: int = 6  # characters per text chunk


def say(text: str, **kwargs: Any) -> Step:
    return Step(text=text, **kwargs)


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


Script = Step | Callable[[dict[str, Any]], Step]


class FakeLlm:
    def __init__(self, steps: list[Script] | None = None, model: str = "fake-model") -> None:
        self.steps: list[Script] = list(steps or [])
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.usage: list[dict[str, int]] = []  # the counts sent, one per usage chunk

    def script(self, *steps: Script) -> None:
        self.steps = list(steps)
        self.requests.clear()
        self.headers.clear()
        self.usage.clear()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions", response_model=None)
        async def completions(request: Request) -> StreamingResponse | JSONResponse:
            body = await request.json()
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            if not self.steps:
                return JSONResponse({"error": {"message": "script exhausted",
                                               "type": "server_error"}}, status_code=500)
            step = self.steps.pop(0)
            if callable(step):
                step = step(body)
            if step.status != 200:
                await asyncio.sleep(step.first_token_delay)
                return JSONResponse({"error": {"message": f"scripted {step.status}",
                                               "type": "server_error"}}, status_code=step.status)
            usage = None
            if (body.get("stream_options") or {}).get("include_usage"):
                # Roughly four characters a token, as a real tokenizer would count them.
                prompt = len(json.dumps(body["messages"])) // 4
                completion = max(1, (len(step.text) + len(json.dumps(step.tool_calls))) // 4)
                usage = {"prompt_tokens": prompt, "completion_tokens": completion,
                         "total_tokens": prompt + completion}
            return StreamingResponse(self._events(step, usage), media_type="text/event-stream")

        return app

    async def _events(self, step: Step,
                      usage: dict[str, int] | None = None) -> AsyncIterator[bytes]:
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            payload = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                       "created": created, "model": self.model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(payload)}\n\n".encode()

        await asyncio.sleep(step.first_token_delay)
        yield chunk({"role": "assistant", "content": ""})
        sent = 0
        for start in range(0, len(step.text), step.piece):
            if step.stall_after_chars is not None and sent >= step.stall_after_chars:
                await asyncio.sleep(3600)
            piece = step.text[start:start + step.piece]
            sent += len(piece)
            yield chunk({"content": piece})
            await asyncio.sleep(step.chunk_delay)
        for index, tool in enumerate(step.tool_calls):
            arguments = json.dumps(tool["arguments"])
            half = len(arguments) // 2
            yield chunk({"tool_calls": [{"index": index, "id": f"call_{index}_{tool['name']}",
                                         "type": "function",
                                         "function": {"name": tool["name"],
                                                      "arguments": arguments[:half]}}]})
            yield chunk({"tool_calls": [{"index": index,
                                         "function": {"arguments": arguments[half:]}}]})
        yield chunk({}, "tool_calls" if step.tool_calls else "stop")
        if usage is not None:
            self.usage.append(usage)
            payload = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                       "created": created, "model": self.model, "choices": [], "usage": usage}
            yield f"data: {json.dumps(payload)}\n\n".encode()
        yield b"data: [DONE]\n\n"
