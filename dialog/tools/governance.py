"""Governance: may this tool call run for this caller? Pure functions of data.

Rules, in the order they are checked (the first that applies is the reason code):

1. ``injection``: in a turn that looks like prompt injection, nothing that touches a
   customer's records runs (write and restricted tools, and reads that need a verified caller).
2. ``too_many_attempts``: a verification tool after too many failed attempts.
3. ``not_verified``: write and restricted tools, and reads that need it, need a verified caller.
4. ``not_owner``: the record the call names belongs to someone else. Tools act only on the
   verified customer's records, whatever the model puts in the arguments; the model is told
   exactly what it is told for a record that does not exist (``NOT_FOUND``).
5. ``needs_human``: restricted tools, and amounts above the refund limit, need a person; the
   refusal carries the request so the call can be transferred with it in the briefing.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from config import GovernanceSettings

if TYPE_CHECKING:
    from dialog.tools.spec import ToolContext, ToolSpec

__all__ = [
    "NOT_FOUND",
    "authorize",
    "describe_request",
    "over_limit",
    "owns",
    "refusal_data",
    "touches_records",
]

# What the model hears for a record that does not exist and for someone else's record alike.
NOT_FOUND: dict[str, Any] = {
    "found": False,
    "message": "No matching record was found for this caller. Check the number with the caller.",
}


def touches_records(spec: ToolSpec) -> bool:
    """The tool changes, or reads the private part of, a customer's records."""
    return spec.tier != "read" or spec.needs_verified


def owns(owner: str | None, ctx: ToolContext) -> bool:
    """The verified caller owns the record (a record with no owner is nobody's)."""
    return owner is not None and ctx.customer_id is not None and owner == ctx.customer_id


def over_limit(spec: ToolSpec, args: dict[str, Any], settings: GovernanceSettings) -> bool:
    if spec.amount_limit_arg is None:
        return False
    try:
        amount = float(args.get(spec.amount_limit_arg, 0) or 0)
    except (TypeError, ValueError):
        return True  # an amount we cannot read is not one we can approve
    return amount > settings.refund_limit


def authorize(spec: ToolSpec, args: dict[str, Any], ctx: ToolContext,
              settings: GovernanceSettings, *, injection: bool, owner: str | None = None,
              verification_failures: int = 0, max_verification_failures: int = 3) -> str | None:
    """None when the call may run, else the reason code it is refused with.

    ``owner`` is the customer owning the record the arguments name (``ToolSpec.owner_of``),
    None when they name none or it does not exist (the handler then says "not found").
    """
    if injection and touches_records(spec):
        return "injection"
    if spec.verifies and verification_failures >= max_verification_failures:
        return "too_many_attempts"
    if touches_records(spec) and ctx.customer_id is None:
        return "not_verified"
    if owner is not None and not owns(owner, ctx):
        return "not_owner"
    if spec.tier == "restricted" or over_limit(spec, args, settings):
        return "needs_human"
    return None


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def describe_request(spec: ToolSpec, args: dict[str, Any]) -> str:
    """What a person is asked to do, for the transfer briefing."""
    if spec.request_template:
        try:
            return string.Formatter().vformat(spec.request_template, (), _Missing(args))
        except (ValueError, TypeError, IndexError):
            pass  # an argument of the wrong type for the template: say it plainly
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(args.items()))
    return f"{spec.name}({shown})"


def refusal_data(spec: ToolSpec, args: dict[str, Any], reason: str) -> dict[str, Any]:
    """What the model (and the engine) is told about a refused call."""
    if reason == "not_owner":
        return dict(NOT_FOUND)
    if reason == "needs_human":
        return {"error": "needs_human", "tool": spec.name, "request": describe_request(spec, args),
                "message": "Only a person can do this. Transfer the caller with this request."}
    if reason == "not_verified":
        return {"error": "not_verified",
                "message": "Verify the caller first (look up the record, then verify)."}
    if reason == "too_many_attempts":
        return {"error": "too_many_attempts",
                "message": "Too many failed verification attempts. Transfer the caller."}
    if reason == "injection":
        return {"error": "refused", "message": "That cannot be done in this conversation."}
    return {"error": reason}
