"""A bound on request bodies, enforced before anything reads them.

A Twilio webhook's signature covers its body, so the body must be read before the request
can be refused as unsigned: without a bound, anyone could make the server buffer a body of
any size first. `BodyLimit` answers 413 when the declared Content-Length is over the limit,
and otherwise counts the bytes as they arrive (chunked bodies declare no length), holding
at most the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "declared_too_large"]


def declared_too_large(content_length: str | None, max_bytes: int) -> bool:
    """Whether a Content-Length header value announces more than ``max_bytes`` (an
    unparseable one counts as too large: it cannot be trusted to bound the body)."""
    if content_length is None:
        return False
    value = content_length.strip()
    return not value.isdigit() or int(value) > max_bytes


class BodyLimit:
    """ASGI middleware: HTTP requests under ``prefix`` get at most ``max_bytes`` of body."""

    def __init__(self, app: ASGIApp, *, prefix: str, max_bytes: int,
                 on_refused: Callable[[], None] = lambda: None) -> None:
        self.app = app
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.on_refused = on_refused  # counts the refusal (the server's metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if declared_too_large(headers.get(b"content-length", b"").decode("latin-1") or None,
                              self.max_bytes):
            await self._refuse(send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: a disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        self.on_refused()
        content = json.dumps({"error": f"request body over {self.max_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})
