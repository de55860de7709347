"""A task's progress is typed (``dialog.state.TaskProgress``), travels with the call's state as
JSON, and state stored before it existed (the progress as ``slots`` strings) still loads; the
task machinery knows no business (the businesses register their tasks)."""

from __future__ import annotations

import ast
import json
import re

import pytest
from testpaths import ROOT

from dialog.business import TASKS
from dialog.business.hotel_checkin import CHECK_IN, CHECK_IN_STEPS
from dialog.business.hotel_tasks import GUEST, verification_arg
from dialog.business.support_tasks import ORDER
from dialog.embedded.tasks import prefill
from dialog.state import CallState, TaskProgress

ROOT = ROOT


def test_a_new_call_has_no_progress() -> None:
    state = CallState("hotel")
    assert state.task is None
    assert state.progress == TaskProgress()
    assert state.progress.misses == 0 and state.progress.awaiting is None


def test_progress_round_trips_through_json() -> None:
    state = CallState("support", call_sid="CA1", task="refund")
    state.progress = TaskProgress(values={"order_number": "551234"}, awaiting="amount",
                                  misses=2, request="I want a refund", intent="refund",
                                  checked=True, partial="55")
    back = CallState.from_json(state.to_json())
    assert back == state
    assert isinstance(back.progress, TaskProgress)
    assert back.progress.checked is True and back.progress.misses == 2


def test_progress_round_trips_through_a_handoffs_dict() -> None:
    """What a handoff stores (``to_dict``, as JSON in the database) is what a caller back
    from a transfer resumes with."""
    state = CallState("hotel", task="check_in")
    state.progress = TaskProgress(values={"confirmation": "472913", "details_ok": "yes"},
                                  awaiting="arrival_time", search_misses=1,
                                  asked_instead=True, record="472913")
    stored = json.loads(json.dumps(state.to_dict()))
    assert CallState.from_dict(stored) == state


def test_state_stored_with_the_old_string_slots_still_loads() -> None:
    old = {"business": "support", "call_sid": "CA2", "task": "refund", "slots": {
        "_request": "refund for my order", "_intent": "refund", "order_number": "551234",
        "_order_checked": "1", "_awaiting": "amount", "_misses": "2", "_partial": "4"}}
    state = CallState.from_json(json.dumps(old))
    assert state.task == "refund"
    assert state.progress == TaskProgress(
        values={"order_number": "551234"}, awaiting="amount", misses=2,
        request="refund for my order", intent="refund", checked=True, partial="4")


def test_old_hotel_slots_load_too() -> None:
    old = {"business": "hotel", "task": "check_in", "slots": {
        "_name_misses": "1", "_name_asked": "1", "_stay": "472913", "last_name": "Mendoza",
        "_awaiting": "arrival_date"}}
    progress = CallState.from_dict(old).progress
    assert progress.values == {"last_name": "Mendoza"}
    assert (progress.search_misses, progress.asked_instead, progress.record) == (1, True,
                                                                                 "472913")
    assert progress.misses == 0 and progress.checked is False


def test_old_empty_slots_are_no_progress() -> None:
    assert CallState.from_dict({"business": "hotel", "slots": {}}).progress == TaskProgress()


def test_unknown_fields_are_still_refused() -> None:
    with pytest.raises(ValueError, match="unknown session fields"):
        CallState.from_dict({"business": "hotel", "mystery": 1})
    with pytest.raises(ValueError, match="unknown task progress fields"):
        CallState.from_dict({"business": "hotel", "progress": {"mystery": 1}})


def test_the_businesses_register_their_tasks() -> None:
    assert TASKS["check_in"] is CHECK_IN
    assert {"check_in", "find_reservation", "late_checkout", "folio", "cancel_reservation",
            "order_status", "create_ticket", "refund"} == set(TASKS)
    assert CHECK_IN.steps == CHECK_IN_STEPS and CHECK_IN.identity is GUEST
    assert all(CHECK_IN.slot(slot.name) is slot for slot in CHECK_IN_STEPS)
    assert TASKS["refund"].slot("order_number") is ORDER


def test_prefill_takes_the_identity_and_the_needs_from_the_request() -> None:
    assert prefill(CHECK_IN, "check in, confirmation 472913", "en") == {
        "confirmation": "472913"}
    assert prefill(TASKS["order_status"], "where is order 551234?", "en") == {
        "order_number": "551234"}


def test_a_guest_verifies_with_the_zip_code_or_the_cards_last_four() -> None:
    assert verification_arg("02116") == "postal_code"
    assert verification_arg("4242") == "card_last4"


def test_the_task_machinery_knows_no_business() -> None:
    source = (ROOT / "dialog" / "embedded" / "tasks.py").read_text(encoding="utf-8")
    imports = {node.module for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.ImportFrom) and node.module}
    assert not {m for m in imports if m.startswith("dialog.business")}
    words = ("hotel", "guest", "reservation", "check_in", "check-in", "order", "refund",
             "customer", "support")
    assert [w for w in words if re.search(rf"\b{w}s?\b", source, re.IGNORECASE)] == []
