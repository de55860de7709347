"""The registry that runs the dialog's tools under governance (the specs: ``dialog.tools.spec``).

A call goes: parse and validate the arguments (JSON schema), resolve whose record the call names
(``ToolSpec.owner_of``, read-only), ask ``governance.authorize`` (pure) whether it may run, run
the handler under its timeout, apply identity changes to the ``CallState`` and audit the call,
allowed or refused. ``ToolRegistry.call`` never raises: every way a call can end is a
``ToolOutcome`` with a reason code.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Protocol

import jsonschema
from loguru import logger

from config import GovernanceSettings
from config.policy import CallPolicy
from dialog.state import CallState
from dialog.tools import governance
from dialog.tools.spec import (
    InvalidArguments,
    Tier,
    ToolContext,
    ToolOutcome,
    ToolResult,
    ToolSpec,
)
from dialog.understanding.guard import detect_injection

__all__ = ["ALWAYS_ALLOWED", "Auditor", "ToolRegistry", "route_allows"]


class Auditor(Protocol):
    def record(self, outcome: ToolOutcome, state: CallState) -> None: ...


_FAILED = {"error": "unavailable",
           "message": "The system is not responding right now. Offer to transfer the caller."}


# A caller can always reach a person or end the call, whatever the route allows.
ALWAYS_ALLOWED = frozenset({"transfer_to_agent", "end_call"})


def route_allows(state: CallState, name: str) -> bool:
    allowed = state.allowed_tools
    return allowed is None or name in allowed or name in ALWAYS_ALLOWED


class ToolRegistry:
    """The tools of every business, run under governance. One per process, shared by calls."""

    def __init__(self, specs: Iterable[ToolSpec], *, audit: Auditor | None,
                 governance: GovernanceSettings, verification_attempts: int = 3) -> None:
        self._specs: dict[str, ToolSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"two tools are named {spec.name!r}")
            jsonschema.Draft202012Validator.check_schema(spec.parameters)
            self._specs[spec.name] = spec
        self._validators = {name: jsonschema.Draft202012Validator(s.parameters)
                            for name, s in self._specs.items()}
        # A tool naming a queue is validated against the call's queues (by tool and queues).
        self._queue_validators: dict[tuple[str, frozenset[str]],
                                     jsonschema.Draft202012Validator] = {}
        self.audit = audit
        self.settings = governance
        # Without a call's policy (a tool called on its own): the deployment's limit.
        self.verification_attempts = verification_attempts
        # One lock per call: calls that may change records or identity run one at a time
        # (an LLM may ask for several tools at once), so e.g. parallel verification guesses
        # all count toward the attempt limit. Reads run concurrently.
        self._locks: dict[int, asyncio.Lock] = {}
        # Told of every tool call once it is over (the server's metrics); never breaks a call.
        self.observer: Callable[[ToolOutcome], None] | None = None

    def spec(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    def available(self, state: CallState) -> list[ToolSpec]:
        """The tools of the call's business (and those of every business) that the call's
        route allows."""
        return [s for s in self._specs.values()
                if (not s.businesses or state.business in s.businesses)
                and route_allows(state, s.name)]

    def openai_tools(self, state: CallState,
                     policy: CallPolicy | None = None) -> list[dict[str, Any]]:
        """The schemas the model is offered: with the call's ``policy``, a transfer names the
        call's queues."""
        queues = policy.queues if policy is not None else None
        return [s.openai_schema(queues) for s in self.available(state)]

    async def call(self, name: str, args: dict[str, Any] | str, state: CallState, *,
                   injection: bool = False, policy: CallPolicy | None = None) -> ToolOutcome:
        """Run one tool call for ``state``'s caller. Never raises; always audited.

        ``policy`` is the call's own (its verification attempts, its queues and default
        queue); without it the registry's defaults apply."""
        attempts = policy.verification_attempts if policy is not None \
            else self.verification_attempts
        started = time.perf_counter()
        spec = self._specs.get(name)
        if spec is not None and (spec.verifies or spec.tier != Tier.READ):
            async with self._lock(state):
                outcome = await self._run(name, args, state, injection=injection,
                                          policy=policy, attempts=attempts)
        else:
            outcome = await self._run(name, args, state, injection=injection,
                                      policy=policy, attempts=attempts)
        outcome = replace(outcome, duration_ms=round((time.perf_counter() - started) * 1000, 2))
        if outcome.reason == "injection":
            logger.warning("injection attempt refused: tool {} (call {})", name,
                           state.call_sid or "-")
        elif outcome.reason not in ("ok", "refused_by_business"):
            logger.info("tool {} refused or failed: {} (call {})", name, outcome.reason,
                        state.call_sid or "-")
        if self.observer is not None:
            try:
                self.observer(outcome)
            except Exception:
                logger.exception("tool observer failed for {}", name)
        if self.audit is not None:
            try:
                await asyncio.to_thread(self.audit.record, outcome, state)
            except Exception:  # an audit failure is logged, never breaks the call
                logger.exception("tool audit write failed for {}", name)
        return outcome

    def _lock(self, state: CallState) -> asyncio.Lock:
        key = id(state)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
            weakref.finalize(state, self._locks.pop, key, None)  # forgotten with the call
        return lock

    def _validator(self, spec: ToolSpec,
                   policy: CallPolicy | None) -> jsonschema.Draft202012Validator:
        if spec.queue_arg is None or policy is None:
            return self._validators[spec.name]
        key = (spec.name, policy.queues)
        validator = self._queue_validators.get(key)
        if validator is None:
            validator = self._queue_validators[key] = jsonschema.Draft202012Validator(
                spec.parameters_for(policy.queues))
        return validator

    async def _run(self, name: str, raw: dict[str, Any] | str, state: CallState, *,
                   injection: bool, policy: CallPolicy | None, attempts: int) -> ToolOutcome:
        args, problem = _parse(raw)
        spec = self._specs.get(name)
        if spec is None or (spec.businesses and state.business not in spec.businesses):
            return ToolOutcome(name, args, False, {"error": "unknown_tool"}, "unknown_tool")
        if problem is None:
            problem = _schema_problem(self._validator(spec, policy), args)
        if problem is not None:
            return _refused(spec, args, "invalid_arguments", {"error": "invalid_arguments",
                                                              "message": problem})
        if not route_allows(state, name):  # the routing rules leave this to a person
            return _refused(spec, args, "needs_human", {
                **governance.refusal_data(spec, args, "needs_human"), "route": "not_allowed"})
        if self.settings.detect_injection:
            # The turn was flagged, or the model copied an injection into a write's arguments.
            injection = injection or _args_look_injected(args)
        else:
            injection = False
        ctx = ToolContext.of(state, policy)
        try:
            async with asyncio.timeout(spec.timeout_seconds):  # owner lookup and handler
                owner = None
                if spec.owner_of is not None and ctx.customer_id is not None:
                    owner = await spec.owner_of(ctx, args)
                reason = governance.authorize(
                    spec, args, ctx, self.settings, injection=injection, owner=owner,
                    verification_failures=state.verification_failures,
                    max_verification_failures=attempts)
                if reason is not None:
                    return _refused(spec, args, reason,
                                    governance.refusal_data(spec, args, reason))
                result = await spec.handler(ctx, dict(args))
        except TimeoutError:
            return ToolOutcome(name, args, True, dict(_FAILED), "timeout", spec.tier)
        except InvalidArguments as e:
            return _refused(spec, args, "invalid_arguments",
                            {"error": "invalid_arguments", "message": str(e)})
        except Exception:
            logger.exception("tool {} failed", name)
            return ToolOutcome(name, args, True, dict(_FAILED), "error", spec.tier)
        _apply(spec, result, state)
        if result.refusal is not None:
            data = result.data or governance.refusal_data(spec, args, result.refusal)
            return _refused(spec, args, result.refusal, data)
        return ToolOutcome(name, args, True, _jsonable(result.data),
                           "ok" if result.ok else "refused_by_business", spec.tier,
                           citations=result.citations)


def _apply(spec: ToolSpec, result: ToolResult, state: CallState) -> None:
    """Identity changes a handler asked for; only a verification tool may verify."""
    if result.candidate is not None:
        state.candidate_id = result.candidate
    if result.verified_customer is not None and spec.verifies:
        state.customer_id = result.verified_customer
        state.verified = True
    elif result.verified_customer is not None:
        logger.warning("tool {} tried to verify a caller; ignored", spec.name)
    if result.verification_failed:
        state.verification_failures += 1


def _parse(raw: dict[str, Any] | str) -> tuple[dict[str, Any], str | None]:
    if isinstance(raw, dict):
        return dict(raw), None
    try:
        value = json.loads(raw) if raw.strip() else {}
    except (ValueError, AttributeError):
        return {"_raw": str(raw)[:500]}, "arguments are not valid JSON"
    if not isinstance(value, dict):
        return {"_raw": str(raw)[:500]}, "arguments must be a JSON object"
    return value, None


def _schema_problem(validator: jsonschema.Draft202012Validator,
                    args: dict[str, Any]) -> str | None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(args))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def _args_look_injected(args: dict[str, Any]) -> bool:
    text = " ".join(v for v in args.values() if isinstance(v, str))
    return bool(text) and detect_injection(text) is not None


def _refused(spec: ToolSpec, args: dict[str, Any], reason: str,
             data: dict[str, Any]) -> ToolOutcome:
    return ToolOutcome(spec.name, args, False, _jsonable(data), reason, spec.tier)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str))

