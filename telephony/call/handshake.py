"""The start of a media stream: `connected`, then `start` carrying our token.

Nothing of the call is built before the token checks out, and no call slot is taken:
sockets that have not shown a valid token are counted apart, under a small cap of their
own, and given `stream.start_timeout_seconds` to show one.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket, WebSocketDisconnect

from config import Settings, StreamSettings
from telephony.twilio import wire
from telephony.twilio.security import TokenError
from telephony.twilio.twiml import TOKEN_PARAMETER

if TYPE_CHECKING:
    from telephony.runtime import Runtime

__all__ = ["StreamRefused", "accept_stream", "refusal_on_open"]

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


class StreamRefused(Exception):
    """A stream not taken; ``close_code`` is the WebSocket close code it is refused with
    (``code``, the reason sent with it)."""

    def __init__(self, code: str, message: str, *, close_code: int = POLICY_VIOLATION) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.close_code = close_code


def _at_capacity(active_calls: int, limits: StreamSettings) -> StreamRefused | None:
    if active_calls >= limits.max_concurrent_calls:
        return StreamRefused("at_capacity", f"{limits.max_concurrent_calls} calls already "
                             "in progress", close_code=TRY_AGAIN_LATER)
    return None


def refusal_on_open(active_calls: int, unverified_streams: int,
                    limits: StreamSettings) -> StreamRefused | None:
    """Why a socket just opened is refused at once (a full line, or too many sockets still
    to show a token), or None: it may go on to show its token."""
    refusal = _at_capacity(active_calls, limits)
    if refusal is None and unverified_streams >= limits.max_unverified_streams:
        refusal = StreamRefused("too_many_unverified", f"{limits.max_unverified_streams} "
                                "streams already waiting to start", close_code=TRY_AGAIN_LATER)
    return refusal


async def _next_event(websocket: WebSocket, settings: Settings) -> wire.Event:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise StreamRefused("closed", "the socket closed before the stream started")
    data = message.get("text") if message.get("text") is not None else message.get("bytes")
    if data is None:
        raise StreamRefused("bad_message", "empty WebSocket message")
    try:
        return wire.parse_message(data, max_bytes=settings.stream.max_message_bytes)
    except wire.WireError as exc:
        raise StreamRefused(exc.code, str(exc)) from exc


async def _read_start(websocket: WebSocket, settings: Settings) -> wire.Start:
    event = await _next_event(websocket, settings)
    if isinstance(event, wire.Connected):
        event = await _next_event(websocket, settings)
    if not isinstance(event, wire.Start):
        raise StreamRefused("out_of_order", f"expected start, got {type(event).__name__.lower()}")
    return event


async def accept_stream(websocket: WebSocket, settings: Settings, runtime: Runtime) -> wire.Start:
    """Read up to `start` and check its token; raise StreamRefused otherwise.

    On return the stream holds one of ``runtime.active_calls``, which the caller gives back.
    """
    try:
        start = await asyncio.wait_for(
            _read_start(websocket, settings), timeout=settings.stream.start_timeout_seconds
        )
    except TimeoutError as exc:
        raise StreamRefused("start_timeout", "no start message in time") from exc
    except WebSocketDisconnect as exc:
        raise StreamRefused("closed", "the socket closed before the stream started") from exc
    token = start.custom_parameters.get(TOKEN_PARAMETER, "")
    if not token:
        raise StreamRefused("no_token", "start carries no stream token")
    try:
        claims = runtime.tokens.verify(token)
    except TokenError as exc:
        raise StreamRefused(f"token_{exc.code}", str(exc)) from exc
    if claims.call_sid != start.call_sid:
        raise StreamRefused("token_wrong_call", "the token was issued for another call")
    # The slot is taken before the token is spent: a full line leaves it unused.
    refusal = _at_capacity(runtime.active_calls, settings.stream)
    if refusal is not None:
        raise refusal
    runtime.active_calls += 1
    try:
        claimed = await asyncio.to_thread(runtime.records.claim_token, claims.token_id,
                                          start.call_sid)
    except BaseException:
        runtime.active_calls -= 1
        raise
    if not claimed:
        runtime.active_calls -= 1
        raise StreamRefused("token_replayed", "the token was already used")
    return start
