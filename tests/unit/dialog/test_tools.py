"""The tool registry: argument parsing and schema validation, timeouts, failures, identity
changes, business scoping, built-in tools, and the audit rows of allowed and refused calls."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from config import GovernanceSettings
from dialog.state import CallState
from dialog.tools.audit import ToolAudit
from dialog.tools.registry import ToolRegistry
from dialog.tools.spec import InvalidArguments, Tier, ToolContext, ToolResult, ToolSpec
from dialog.toolset import builtin_tools

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["word"],
          "properties": {"word": {"type": "string", "maxLength": 10},
                         "times": {"type": "integer", "minimum": 1, "maximum": 3}}}
EMPTY = {"type": "object", "properties": {}}
ran: list[str] = []


async def echo(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    ran.append("echo")
    return ToolResult({"echo": args["word"] * args.get("times", 1), "customer": ctx.customer_id})


async def slow(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    await asyncio.sleep(5)
    return ToolResult({"late": True})


async def boom(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    raise ConnectionError("PMS at 10.0.0.7 refused the connection")


async def picky(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    raise InvalidArguments("say either this or that")


async def verifier(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    await asyncio.sleep(0.01)  # like a database round trip
    if args.get("code") == "1234":
        return ToolResult({"verified": True}, verified_customer="C1")
    return ToolResult({"verified": False}, ok=False, verification_failed=True)


async def imposter(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    return ToolResult({"verified": True}, verified_customer="C9", candidate="R9")


async def write(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    ran.append("write")
    return ToolResult({"written": True})


SPECS = [
    ToolSpec("echo", "Echo a word.", SCHEMA, Tier.READ, echo),
    ToolSpec("slow", "Never answers in time.", EMPTY, Tier.READ, slow, timeout_seconds=0.2),
    ToolSpec("boom", "Always fails.", EMPTY, Tier.READ, boom),
    ToolSpec("picky", "Needs one of two forms.", EMPTY, Tier.READ, picky),
    ToolSpec("verify", "Verify.", {"type": "object", "properties": {"code": {"type": "string"}}},
             Tier.READ, verifier, verifies=True),
    ToolSpec("imposter", "Claims to verify.", EMPTY, Tier.READ, imposter),
    ToolSpec("write", "Change something.", EMPTY, Tier.WRITE, write,
             businesses=frozenset({"support"})),
]


@pytest.fixture
def audit(tmp_path) -> ToolAudit:
    return ToolAudit(f"sqlite:///{tmp_path / 'audit.db'}")


@pytest.fixture
def registry(audit) -> ToolRegistry:
    ran.clear()
    return ToolRegistry(SPECS, audit=audit, governance=GovernanceSettings())


def call(business: str = "support", sid: str = "CA-tools") -> CallState:
    return CallState(business, caller_number="+15551234567", call_sid=sid)


async def test_arguments_parsed_from_json_and_validated(registry):
    state = call()
    ok = await registry.call("echo", '{"word": "hi", "times": 2}', state)
    assert ok.reason == "ok" and ok.allowed and ok.result == {"echo": "hihi", "customer": None}
    assert (await registry.call("echo", "", state)).reason == "invalid_arguments"  # no word
    for bad in ('{"word": "hi"', "[1, 2]", '"hi"', {"word": 3}, {"word": "hi", "times": 9},
                {"word": "hi", "extra": 1}, {"word": "x" * 11}):
        outcome = await registry.call("echo", bad, state)
        assert outcome.reason == "invalid_arguments" and not outcome.allowed, bad
        assert outcome.result["error"] == "invalid_arguments" and outcome.result["message"]
    assert ran == ["echo"]  # the handler never saw bad arguments
    picked = await registry.call("picky", {}, state)
    assert picked.reason == "invalid_arguments" and "either" in picked.result["message"]


async def test_unknown_and_other_business_tools(registry):
    assert (await registry.call("nope", {}, call())).reason == "unknown_tool"
    hotel = call("hotel")
    assert (await registry.call("write", {}, hotel)).reason == "unknown_tool"
    assert "write" not in [s.name for s in registry.available(hotel)]
    assert "write" in [s.name for s in registry.available(call())]
    schemas = registry.openai_tools(hotel)
    assert {"type": "function", "function": {"name": "echo", "description": "Echo a word.",
                                             "parameters": SCHEMA}} in schemas


async def test_timeout_and_exceptions_become_outcomes(registry):
    state = call()
    late = await registry.call("slow", {}, state)
    assert late.reason == "timeout" and late.failed and late.duration_ms < 2000
    failed = await registry.call("boom", {}, state)
    assert failed.reason == "error" and failed.failed
    assert "10.0.0.7" not in str(failed.result)  # internals are logged, not told to the model
    assert not (await registry.call("echo", {"word": "a"}, state)).failed


async def test_only_verification_tools_verify(registry):
    state = call()
    await registry.call("imposter", {}, state)
    assert not state.verified and state.customer_id is None and state.candidate_id == "R9"
    await registry.call("verify", {"code": "0000"}, state)
    assert state.verification_failures == 1 and not state.verified
    await registry.call("verify", {"code": "1234"}, state)
    assert state.verified and state.customer_id == "C1"
    assert (await registry.call("echo", {"word": "a"}, state)).result["customer"] == "C1"


async def test_parallel_verification_guesses_all_count(audit):
    registry = ToolRegistry(SPECS, audit=audit, governance=GovernanceSettings(),
                            verification_attempts=2)
    state = call()
    guesses = await asyncio.gather(*(registry.call("verify", {"code": f"000{i}"}, state)
                                     for i in range(5)))
    assert sorted(o.reason for o in guesses) == ["refused_by_business"] * 2 + [
        "too_many_attempts"] * 3
    assert (await registry.call("verify", {"code": "1234"}, state)).reason == \
        "too_many_attempts"
    assert not state.verified and state.verification_failures == 2


async def test_write_needs_verification_and_is_refused_in_an_injection_turn(registry):
    state = call()
    assert (await registry.call("write", {}, state)).reason == "not_verified"
    await registry.call("verify", {"code": "1234"}, state)
    assert (await registry.call("write", {}, state, injection=True)).reason == "injection"
    assert ran == []
    assert (await registry.call("write", {}, state)).reason == "ok" and ran == ["write"]
    off = ToolRegistry(SPECS, audit=None, governance=GovernanceSettings(detect_injection=False))
    assert (await off.call("write", {}, state, injection=True)).reason == "ok"


async def test_every_call_is_audited(registry, audit):
    state = call(sid="CA-audit")
    await registry.call("write", {}, state)
    await registry.call("verify", {"code": "1234"}, state)
    await registry.call("echo", {"word": "hi"}, state)
    await registry.call("echo", '{"word": ', state)
    await registry.call("boom", {}, state)
    await registry.call("nope", {"a": 1}, state)
    rows = audit.for_call("CA-audit")
    assert [(r["tool"], r["allowed"], r["reason"]) for r in rows] == [
        ("write", False, "not_verified"), ("verify", True, "ok"), ("echo", True, "ok"),
        ("echo", False, "invalid_arguments"), ("boom", True, "error"),
        ("nope", False, "unknown_tool")]
    assert rows[0]["customer_id"] is None and rows[2]["customer_id"] == "C1"
    assert rows[2]["args"] == {"word": "hi"} and rows[2]["result"]["echo"] == "hi"
    assert rows[0]["tier"] == "write" and rows[5]["tier"] is None
    assert all(r["business"] == "support" and r["duration_ms"] >= 0 for r in rows)
    assert audit.for_call("CA-other") == []


async def test_an_audit_failure_never_breaks_the_call():
    class Broken:
        def record(self, outcome, state):
            raise OSError("disk full")

    registry = ToolRegistry(SPECS, audit=Broken(), governance=GovernanceSettings())
    assert (await registry.call("echo", {"word": "hi"}, call())).reason == "ok"


def test_bad_registries_are_refused_at_start_up():
    with pytest.raises(ValueError, match="two tools"):
        ToolRegistry([SPECS[0], SPECS[0]], audit=None, governance=GovernanceSettings())
    broken = ToolSpec("x", "x", {"type": "object", "properties": {"a": {"type": "nope"}}},
                      Tier.READ, echo)
    with pytest.raises(Exception, match="nope"):
        ToolRegistry([broken], audit=None, governance=GovernanceSettings())


async def test_transfer_and_end_call_return_the_decision():
    registry = ToolRegistry(builtin_tools(index=None, queues=["billing"]), audit=None,
                            governance=GovernanceSettings())
    state = call()
    moved = await registry.call("transfer_to_agent", {"queue": "billing", "reason": "refund",
                                                      "request": "Refund $80 on 551251"}, state)
    assert moved.result == {"action": "transfer", "queue": "billing", "reason": "refund",
                            "request": "Refund $80 on 551251"}
    default = await registry.call("transfer_to_agent", {"reason": "asked"}, state)
    assert default.result["queue"] == "front_desk"
    assert (await registry.call("transfer_to_agent", {"queue": "nowhere", "reason": "x"},
                                state)).reason == "invalid_arguments"
    assert (await registry.call("end_call", {"reason": "done"}, state)).result == {
        "action": "hangup", "reason": "done"}
    assert registry.spec("search_knowledge") is None  # no index, no search tool


async def test_search_knowledge_cites_the_passages(index):
    registry = ToolRegistry(builtin_tools(index=index, min_score=0.25), audit=None,
                            governance=GovernanceSettings())
    state = call("hotel")
    found = await registry.call("search_knowledge", {"query": "What time is breakfast?"}, state)
    assert found.reason == "ok" and found.citations
    assert found.citations == tuple(p["id"] for p in found.result["passages"])
    assert any("breakfast" in p["text"].lower() for p in found.result["passages"])
    nothing = await registry.call("search_knowledge", {"query": "purple elephant banana"}, state)
    assert nothing.reason == "refused_by_business" and not nothing.citations
