"""The call's policy (config.policy): which owner wins, that it is frozen, and that the tasks,
the tools and the LLM go by it, the rules' values included (no models)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pydantic
import pytest
from fake_llm import FakeLlm, Step, call

from config import LlmSettings, QueueSettings, Settings
from config.policy import CallPolicy
from config.rules import Rules, bundled_rules_file
from dialog.business import TASKS
from dialog.llm.client import LlmDialog, make_client
from dialog.phrases.lines import Lines
from dialog.routing.evaluate import load_routing_rules
from dialog.state import CallState
from dialog.tools.registry import ToolRegistry
from dialog.toolset import build_registry
from dialog.types import CallerTurn, Transfer
from dialog.understanding.classifier import Intent
from dialog.understanding.escalation import VERIFICATION_FAILED

ALEX = "+15551234567"  # seeded support customer, ZIP 94110
SUPPORT = load_routing_rules(bundled_rules_file("support"))
SUPPORT_QUEUES = {"support", "technical", "billing", "priority_desk"}


def _rules(attempts: int) -> Rules:
    return SUPPORT.model_copy(update={"escalation": SUPPORT.escalation.model_copy(
        update={"verification_attempts": attempts})})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, dialog={"business": "support"},
                    escalation={"low_confidence_turns": 5, "verification_attempts": 4},
                    transfer={"queues": {"after_hours": "+15550001111"}},
                    queues={"vip_line": QueueSettings(agents=["+15550002222"])})


@pytest.fixture
def registry(tmp_path: Path) -> ToolRegistry:
    # The settings' defaults: two verification attempts, the front desk, no other queue.
    return build_registry(Settings(data_dir=tmp_path), index=None,
                          database=f"sqlite:///{tmp_path / 'tools.db'}",
                          today=lambda: date(2031, 5, 20), environ={})


def _support_call() -> CallState:
    return CallState("support", caller_number=ALEX, call_sid="CA-policy")


# -- precedence ------------------------------------------------------------------------------
def test_without_rules_the_settings_decide(settings: Settings) -> None:
    policy = CallPolicy.build(settings, None)
    assert policy.escalation.model_dump() == settings.escalation.model_dump()
    assert (policy.escalation.low_confidence_turns, policy.verification_attempts) == (5, 4)
    assert policy.default_queue == "front_desk" == settings.dialog.default_queue
    # The deployment's cold and warm queues, and the default one.
    assert policy.queues == {"front_desk", "after_hours", "vip_line"}


def test_with_rules_the_rules_decide(settings: Settings) -> None:
    rules = _rules(1)
    policy = CallPolicy.build(settings, rules)
    assert policy.escalation == rules.escalation and policy.verification_attempts == 1
    assert policy.escalation.low_confidence_turns == 3  # the rules', not the settings' 5
    assert policy.default_queue == "support"  # the rules' business.default_queue
    # The rules' queues, and the deployment's own (which win by name: CallPolicy.queue).
    assert set(SUPPORT.queues) == SUPPORT_QUEUES
    assert policy.queues == SUPPORT_QUEUES | {"after_hours", "vip_line"}


def test_the_policy_is_frozen_and_keeps_its_values(settings: Settings) -> None:
    policy = CallPolicy.build(settings, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.default_queue = "elsewhere"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        policy.escalation.verification_attempts = 9
    # A copy: the settings changing afterwards does not reach a call in progress.
    settings.escalation.verification_attempts = 9
    assert policy.verification_attempts == 4
    assert isinstance(policy.queues, frozenset)


# -- the tools -------------------------------------------------------------------------------
async def test_the_transfer_tool_goes_to_the_calls_queues(registry: ToolRegistry) -> None:
    state, policy = _support_call(), CallPolicy.build(Settings(), SUPPORT)
    # Before: a transfer naming none went to the settings' front desk, and a rules queue
    # was not among the tool's choices (refused as invalid arguments).
    plain = await registry.call("transfer_to_agent", {"reason": "asked"}, state)
    assert plain.result is not None and plain.result["queue"] == "front_desk"
    refused = await registry.call("transfer_to_agent", {"queue": "billing", "reason": "x"}, state)
    assert refused.reason == "invalid_arguments"
    # With the call's policy: the rules' default queue, and the rules' queues.
    default = await registry.call("transfer_to_agent", {"reason": "asked"}, state,
                                  policy=policy)
    assert default.result is not None and default.result["queue"] == "support"
    billing = await registry.call("transfer_to_agent", {"queue": "billing", "reason": "x"},
                                  state, policy=policy)
    assert billing.result is not None and billing.result["queue"] == "billing"
    elsewhere = await registry.call("transfer_to_agent", {"queue": "front_desk", "reason": "x"},
                                    state, policy=policy)
    assert elsewhere.reason == "invalid_arguments"  # not a queue of this call


def test_the_model_is_offered_the_calls_queues(registry: ToolRegistry) -> None:
    state, policy = _support_call(), CallPolicy.build(Settings(), SUPPORT)

    def queue_choices(schemas: list[dict]) -> list[str]:
        [transfer] = [s for s in schemas if s["function"]["name"] == "transfer_to_agent"]
        return transfer["function"]["parameters"]["properties"]["queue"]["enum"]

    assert queue_choices(registry.openai_tools(state)) == ["front_desk"]
    assert queue_choices(registry.openai_tools(state, policy)) == sorted(SUPPORT_QUEUES)


async def test_the_registry_keeps_the_calls_verification_attempts(
        registry: ToolRegistry) -> None:
    state, policy = _support_call(), CallPolicy.build(Settings(), _rules(3))
    await registry.call("lookup_customer", {}, state, policy=policy)
    for _ in range(2):  # the settings' limit is two: the rules allow three
        await registry.call("verify_customer", {"postal_code": "00000"}, state, policy=policy)
    third = await registry.call("verify_customer", {"postal_code": "94110"}, state,
                                policy=policy)
    assert third.reason == "ok" and state.verified


# -- the tasks -------------------------------------------------------------------------------
async def test_a_task_hands_a_failed_verification_to_the_rules_default_queue(
        registry: ToolRegistry) -> None:
    from dialog.embedded.tasks import Tasks

    state, policy = _support_call(), CallPolicy.build(Settings(), _rules(1))
    tasks = Tasks(registry, state, Lines(business="Northwind"), policy, TASKS)
    asked = await tasks.start(Intent("order_status", 0.9, "task", "order_status"),
                              CallerTurn(text="where is my order"))
    assert asked.decision is None and "ZIP" in asked.text
    handoff = await tasks.answer(CallerTurn(text="one two three four five"))
    # One attempt by the rules, and their default queue (before: the settings' front desk).
    assert handoff is not None
    assert handoff.decision == Transfer("support", VERIFICATION_FAILED)


# -- the LLM ---------------------------------------------------------------------------------
async def test_the_llm_transfers_to_a_queue_of_the_rules(registry: ToolRegistry,
                                                         llm: FakeLlm) -> None:
    state, policy = _support_call(), CallPolicy.build(Settings(), SUPPORT)
    llm.script(Step(tool_calls=[call("transfer_to_agent", queue="billing", reason="refund")]))
    settings = LlmSettings(base_url=f"{llm.url}/v1", model="fake-model")  # type: ignore[attr-defined]
    dialog = LlmDialog(make_client(settings), settings, registry=registry, state=state,
                       business_name="Northwind", lines=Lines(business="Northwind"),
                       policy=policy)

    async def say(_sentence: str) -> None:
        return None

    answer = await dialog.respond([], CallerTurn(text="I want a refund"), say, passages=[])
    assert answer.decision == Transfer("billing", "agent_transfer", request="refund")
    [transfer] = [t for t in llm.requests[0]["tools"]
                  if t["function"]["name"] == "transfer_to_agent"]
    assert transfer["function"]["parameters"]["properties"]["queue"]["enum"] == \
        sorted(SUPPORT_QUEUES)
