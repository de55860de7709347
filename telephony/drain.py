"""A graceful stop: on SIGTERM the server drains before it exits.

``DrainingServer`` is uvicorn's server with one change to the first SIGTERM (or SIGINT): instead
of closing every connection at once (a call's WebSocket would close with 1012 mid-sentence), it
marks the app as draining (``app.state.draining``): ``/readyz`` answers 503, so a load balancer
sends no more, and a new call's webhook answers 503, so Twilio tries the number's fallback URL
(another server). Streams of calls already answered still connect, and every call in progress
goes on to its end. When none is left, or after ``drain_seconds``, uvicorn's own shutdown runs:
a call still going then has its stream closed, and Twilio carries out the TwiML after the
``<Connect>`` (``FRONTDESK_TRANSFER__FALLBACK_NUMBER``: a person takes it). A second signal
stops at once, as uvicorn's does.
"""

from __future__ import annotations

import time
from types import FrameType
from typing import Any

import uvicorn
from loguru import logger

__all__ = ["DrainingServer", "calls_left"]


def calls_left(state: Any) -> int:
    """Calls in progress (and streams still showing their token) on the app with ``state``."""
    runtime = getattr(state, "runtime", None)
    return 0 if runtime is None else runtime.active_calls + runtime.unverified_streams


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, *, state: Any, drain_seconds: float) -> None:
        super().__init__(config)
        self.state = state  # the app's ``app.state``
        self.drain_seconds = drain_seconds
        self.draining_since: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.draining_since is not None or self.should_exit:
            super().handle_exit(sig, frame)  # a second signal: now
            return
        self.draining_since = time.monotonic()
        self.state.draining = True
        logger.warning(f"signal {sig}: draining: no new calls; {calls_left(self.state)} in "
                       f"progress finish first (at most {self.drain_seconds:.0f} s)")

    async def on_tick(self, counter: int) -> bool:
        since = self.draining_since
        if since is not None and not self.should_exit:
            left = calls_left(self.state)
            if left == 0 or time.monotonic() - since >= self.drain_seconds:
                if left:
                    self.state.runtime.shutting_down = True
                    logger.warning(f"drain: {left} call(s) still in progress after "
                                   f"{self.drain_seconds:.0f} s; closing their streams (the "
                                   "TwiML fallback takes them)")
                self.should_exit = True
        return await super().on_tick(counter)
