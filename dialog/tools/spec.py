"""What a tool is, and what calling one gives: the spec, the context a handler may know, its
result, and the outcome the registry records (no behaviour: data shared by the registry,
governance, the tool modules and the engines)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from config.policy import CallPolicy
from dialog.state import CallState

__all__ = [
    "Handler",
    "InvalidArguments",
    "OwnerLookup",
    "Tier",
    "ToolContext",
    "ToolOutcome",
    "ToolResult",
    "ToolSpec",
]


class Tier(StrEnum):
    READ = "read"  # looks something up
    WRITE = "write"  # changes the caller's records (needs a verified caller)
    RESTRICTED = "restricted"  # needs a person: the call is transferred with the request


class InvalidArguments(ValueError):
    """Raised by a handler for arguments the schema cannot express (one of two forms)."""


@dataclass(frozen=True)
class ToolContext:
    """What a handler may know about the call: never taken from the model's arguments."""

    business: str
    caller_number: str
    customer_id: str | None  # verified customer, or None
    candidate_id: str | None  # matched but unverified record, or None
    call_sid: str = ""
    language: str = "en"
    called_number: str = ""  # the business's number the caller dialled (a text's sender)
    default_queue: str = ""  # the call's (``CallPolicy``); empty: the tool's own default

    @classmethod
    def of(cls, state: CallState, policy: CallPolicy | None = None) -> ToolContext:
        return cls(state.business, state.caller_number,
                   state.customer_id if state.verified else None, state.candidate_id,
                   state.call_sid, state.language, state.called_number,
                   policy.default_queue if policy is not None else "")


@dataclass(frozen=True)
class ToolResult:
    """A handler's answer. ``data`` goes back to the model / engine (JSON-serialisable).

    Identity changes are requests the registry applies to the ``CallState``: ``candidate``
    records a matched-but-unverified record; ``verified_customer`` marks the caller verified
    (only tools with ``verifies=True`` may set it). ``ok`` False is a business refusal
    ("not found", "not yet arrival day"), not a failure. ``refusal`` is a governance reason
    code the handler found in the data itself (``not_owner``, ``needs_human`` for a refund that
    goes over the limit with earlier ones): the registry records the call as refused.
    """

    data: dict[str, Any]
    ok: bool = True
    candidate: str | None = None
    verified_customer: str | None = None
    verification_failed: bool = False
    citations: tuple[str, ...] = ()
    refusal: str | None = None


Handler = Callable[["ToolContext", dict[str, Any]], Awaitable[ToolResult]]
# Whose record a call would act on (a customer id), None when it names none or it does not
# exist. Read-only; lets governance refuse another customer's record before the handler runs.
OwnerLookup = Callable[["ToolContext", dict[str, Any]], Awaitable[str | None]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str  # for the model: what it does and when to use it
    parameters: dict[str, Any]  # JSON schema (type "object") of the arguments
    tier: Tier
    handler: Handler
    timeout_seconds: float = 5.0
    needs_verified: bool = False  # refused unless the caller is verified
    verifies: bool = False  # may mark the caller verified
    businesses: frozenset[str] = field(default_factory=frozenset)  # empty: every business
    owner_of: OwnerLookup | None = None
    # Argument holding an amount: above ``GovernanceSettings.refund_limit`` the call needs a
    # person (a dynamic restriction, e.g. refunds).
    amount_limit_arg: str | None = None
    # What a person is asked to do when the call needs one, e.g. "Refund {amount} on order
    # {order_number}"; empty: the tool's name and arguments.
    request_template: str = ""
    # Argument naming a transfer queue: its choices are the call's queues (``CallPolicy.queues``)
    # when the call's policy is given, else the ``enum`` the parameters were built with.
    queue_arg: str | None = None

    def parameters_for(self, queues: Collection[str] | None) -> dict[str, Any]:
        """The JSON schema of the arguments for a call that may transfer to ``queues``."""
        if self.queue_arg is None or queues is None:
            return self.parameters
        properties = self.parameters["properties"]
        queue = {**properties[self.queue_arg], "enum": sorted(queues)}
        return {**self.parameters, "properties": {**properties, self.queue_arg: queue}}

    def openai_schema(self, queues: Collection[str] | None = None) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description,
            "parameters": self.parameters_for(queues)}}


@dataclass(frozen=True)
class ToolOutcome:
    """One tool call as it happened: what `frontdesk try` prints and the audit table stores.

    ``reason`` codes: ok, refused_by_business (handler said no), invalid_arguments,
    unknown_tool, not_verified, not_owner, needs_human, injection, too_many_attempts,
    timeout, error.
    """

    name: str
    args: dict[str, Any]
    allowed: bool
    result: dict[str, Any] | None
    reason: str
    tier: Tier | None = None
    duration_ms: float = 0.0
    citations: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """The back end failed (counts toward escalation), as opposed to a refusal."""
        return self.reason in ("timeout", "error")
