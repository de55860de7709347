"""Messages between the dialog layer and the call pipeline.

Commands are verbs (``Transfer``, ``Hangup``): the dialog decides, telephony acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialog.tools.spec import ToolOutcome

__all__ = ["Callback", "CallerTurn", "Exchange", "Hangup", "Reply", "Transfer", "Withdraw"]


@dataclass(frozen=True)
class Transfer:
    """Hand the caller to a person in ``queue``; ``reason`` is a code for logs and the handoff.

    ``request`` says what the caller wants done when a person must do it (a refund over the
    limit, a cancellation), for the briefing.
    """

    queue: str
    reason: str
    request: str = ""
    priority: int = 0  # from the routing rule (higher: answered first)


@dataclass(frozen=True)
class Hangup:
    """End the call after the reply has been spoken."""

    reason: str


@dataclass(frozen=True)
class Callback:
    """Back from a transfer no agent took, the caller asked to be called back at ``number``
    ("" when the caller ID is unknown); the handoff becomes a callback request."""

    number: str


@dataclass(frozen=True)
class Withdraw:
    """Back from a transfer no agent took, the caller no longer wants a person."""


Decision = Transfer | Hangup | Callback | Withdraw


@dataclass(frozen=True)
class CallerTurn:
    """What the caller said (``text``, in ``language``), or keypad digits in ``dtmf``.

    A keypad turn has ``dtmf`` set and ``text`` "".
    """

    text: str
    language: str = "en"
    dtmf: str | None = None


@dataclass(frozen=True)
class Exchange:
    """One past turn: what the caller said and what the caller actually heard of the agent."""

    caller: str
    agent: str


@dataclass(frozen=True)
class Reply:
    """What to say next, why, and what to do after saying it.

    ``confidence`` is in [0, 1]; ``citations`` are the ids of the knowledge passages the text
    came from; ``tools`` the tool calls made for this turn (allowed or refused);
    ``reason_codes`` why the dialog did what it did (e.g. "kb_answer", "low_confidence",
    "injection_detected", "escalate_rephrase"); ``language`` the language of ``text``.
    """

    text: str
    intent: str
    confidence: float
    decision: Decision | None = None
    citations: tuple[str, ...] = ()
    tools: tuple[ToolOutcome, ...] = ()
    reason_codes: tuple[str, ...] = ()
    language: str = "en"
    # The caller's sentiment in this turn's words: score in [-1, 1] and its label.
    sentiment: float | None = None
    sentiment_label: str | None = None
    # The routing decision for this turn (``RouteDecision.as_dict()`` and the rules version),
    # logged with the call; None when no rules applied (a task step, a choice).
    route: dict | None = None
    # The answer the dialog now waits for: a task slot's name, or "choice" (after a failed
    # transfer); speech recognition is hinted with it (``dialog.embedded.hints``).
    expects: str | None = None
    # The caller's answer to this reply is private (a ZIP code): kept out of the records.
    private: bool = False
    # The LLM's token counts (and cost) for this turn (``dialog.llm.client.LlmAnswer.usage``).
    llm_usage: dict | None = None
