"""Retries with backoff and jitter for the HTTP requests the server makes (tenacity).

A request is tried again when the server says it could not take it now (429, 5xx) or the
network failed, with exponential backoff and full jitter, and after the time a ``Retry-After``
header asks for (seconds or an HTTP date), up to the policy's ``longest_wait``: a longer one
ends the tries, since a caller is waiting. What is safe to repeat differs: changing a live call
(redirect, hang up) is, so every such failure is retried; creating a call or a message is not
when the first request may have been carried out (a timeout, a 500), so a new call retries
only what Twilio surely did not process (429, a refused connection); a confirmation text is
tried once more in any case (a duplicate text is the smaller harm). The LLM's first token is never
retried here: its holding line is a product decision (``dialog.llm``).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from loguru import logger
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

__all__ = ["CREATE", "UPDATE", "WEBHOOK", "RetryPolicy", "retry_after_seconds", "send"]

BUSY = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    first_wait: float  # seconds before the second try (then doubled, with jitter)
    max_wait: float
    longest_wait: float  # a Retry-After longer than this ends the tries
    statuses: frozenset[int] = BUSY
    errors: tuple[type[Exception], ...] = (httpx.TransportError,)


# Changing a call in progress: safe to repeat, and the caller is waiting.
UPDATE = RetryPolicy(attempts=3, first_wait=0.25, max_wait=1.0, longest_wait=2.0)
# Creating a call (ringing an agent): only what was surely not carried out.
CREATE = RetryPolicy(attempts=3, first_wait=0.25, max_wait=1.0, longest_wait=2.0,
                     statuses=frozenset({429}), errors=(httpx.ConnectError,))
# The desk webhook: in the background, so it may wait longer.
WEBHOOK = RetryPolicy(attempts=4, first_wait=1.0, max_wait=8.0, longest_wait=30.0)


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """The wait a response's ``Retry-After`` asks for, in seconds (None: none, or unreadable).
    A pure function of the response (and ``now``, for an HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def send(request: Callable[[], Awaitable[httpx.Response]], policy: RetryPolicy,
               what: str) -> httpx.Response:
    """``request()`` until it answers other than ``policy.statuses`` or tries run out; the last
    response, or the last network error raised."""
    backoff = wait_exponential_jitter(multiplier=policy.first_wait, max=policy.max_wait,
                                      jitter=policy.first_wait)

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            asked = retry_after_seconds(outcome.result())
            if asked is not None:
                return asked
        return backoff(state)

    def tell(state: RetryCallState) -> None:
        outcome = state.outcome
        why = (type(outcome.exception()).__name__ if outcome is not None and outcome.failed
               else f"HTTP {outcome.result().status_code}" if outcome is not None else "?")
        logger.warning(f"{what}: {why}; try {state.attempt_number + 1} of {policy.attempts} in "
                       f"{state.upcoming_sleep:.2f} s")

    def too_long(state: RetryCallState) -> bool:
        """Out of tries, or asked to wait longer than the policy allows."""
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            asked = retry_after_seconds(outcome.result())
            if asked is not None and asked > policy.longest_wait:
                return True
        return stop_after_attempt(policy.attempts)(state)

    retrying = AsyncRetrying(
        stop=too_long, wait=wait, before_sleep=tell, reraise=True,
        retry=(retry_if_exception_type(policy.errors)
               | retry_if_result(lambda r: r.status_code in policy.statuses)),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None)
    async def attempt() -> httpx.Response:  # tenacity awaits only a coroutine function
        return await request()

    return await retrying(attempt)
