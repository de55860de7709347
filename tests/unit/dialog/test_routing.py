"""The routing evaluator: decisions and reason codes for the bundled rules, with an injected
clock (hours, holidays, time zones and DST), keypad menus, and the shadow evaluation's core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.rules import bundled_rules_file
from config.settings import GovernanceSettings
from dialog.routing.commands import Labels, evaluate
from dialog.routing.evaluate import (
    BUILTIN_TOOLS,
    BUSINESS_TOOLS,
    RouteContext,
    load_routing_rules,
    route,
)

HOTEL = load_routing_rules(bundled_rules_file("hotel"))
SUPPORT = load_routing_rules(bundled_rules_file("support"))
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")


def at(text: str, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def said(intent: str, when: datetime, **kw) -> RouteContext:
    return RouteContext(now=when, intent=intent, confidence=0.9, language=kw.pop("language", "en"),
                        **kw)


# -- hours, holidays, time zones ----------------------------------------------------------------


def test_a_call_at_two_in_the_morning_follows_the_after_hours_rule():
    night = route(SUPPORT, said("human", at("2025-06-11 02:00")))  # a Wednesday
    assert (night.action, night.queue, night.rule) == ("take_message", "support",
                                                       "after_hours_person")
    assert night.reasons == ("rule:after_hours_person", "intent:human", "hours:closed")
    assert night.message.startswith("Our support team is available Monday to Friday")
    assert night.local_time == "2025-06-11T02:00-04:00"
    day = route(SUPPORT, said("human", at("2025-06-11 11:00")))
    assert (day.action, day.queue, day.rule) == ("transfer", "support", "person")


def test_the_clock_is_read_in_the_business_time_zone():
    # 06:00 UTC is 02:00 in New York (after hours) and 23:00 the day before in Los Angeles.
    utc = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)
    assert route(SUPPORT, said("human", utc)).rule == "after_hours_person"
    assert route(SUPPORT, said("human", utc)).local_time == "2025-06-11T02:00-04:00"
    # 16:00 UTC is 12:00 in New York: open.
    assert route(SUPPORT, said("human", utc.replace(hour=16))).rule == "person"


def test_daylight_saving_time_is_honoured():
    # The same UTC clock time, 12:30, is 07:30 EST (closed) the day before DST starts and
    # 08:30 EDT (open) the day it starts; in November it goes the other way.
    rules = HOTEL.model_copy(update={"business": HOTEL.business.model_copy(
        update={"timezone": "America/New_York",
                "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                                       "08:00-20:00")})})

    def hours(day: int, month: int) -> str:
        when = datetime(2025, month, day, 12, 30, tzinfo=UTC)
        return route(rules, said("cancel", when)).rule or ""

    assert hours(8, 3) == "cancel_after_hours"  # 07:30 EST
    assert hours(9, 3) == "cancel_with_reservations"  # 08:30 EDT
    assert hours(1, 11) == "cancel_with_reservations"  # 08:30 EDT
    assert hours(2, 11) == "cancel_after_hours"  # 07:30 EST


def test_a_queue_in_its_own_time_zone():
    queues = dict(SUPPORT.queues)
    queues["billing"] = queues["billing"].model_copy(update={"timezone": "Europe/Berlin"})
    rules = SUPPORT.model_copy(update={"queues": queues})
    # 11:00 in New York is 17:00 in Berlin: the Berlin billing team has gone home.
    decision = route(rules, said("refund", at("2025-06-10 11:00")))
    assert (decision.action, decision.queue, decision.rule) == ("callback", "billing",
                                                                "refunds_after_hours")
    assert "skip:refunds:queue_closed" in decision.reasons


def test_holidays_close_the_business_and_its_staffed_queues():
    thanksgiving = at("2025-11-27 12:00")  # a Thursday
    decision = route(SUPPORT, said("human", thanksgiving, language="es"))
    assert (decision.action, decision.rule) == ("take_message", "after_hours_person")
    assert decision.message.startswith("Nuestro equipo atiende")
    refund = route(SUPPORT, said("refund", thanksgiving))
    assert refund.rule == "refunds_after_hours"  # billing's hours do not cover holidays
    # The hotel's front desk has no hours: open on Christmas Day too.
    christmas = route(HOTEL, said("human", at("2025-12-25 12:00", LOS_ANGELES)))
    assert (christmas.action, christmas.queue) == ("transfer", "front_desk")
    assert route(HOTEL, said("cancel", at("2025-12-25 12:00", LOS_ANGELES))).rule == (
        "cancel_after_hours")


def test_a_naive_clock_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        RouteContext(now=datetime(2025, 6, 10, 2, 0))


# -- tiers, sentiment, failed turns ---------------------------------------------------------------


def test_vip_callers_skip_the_line_while_the_priority_desk_is_open():
    day = route(SUPPORT, said("human", at("2025-06-10 11:00"), tier="vip"))
    assert (day.action, day.queue, day.priority) == ("transfer", "priority_desk", 9)
    assert day.reasons == ("rule:vip_priority", "intent:human", "tier:vip")
    night = route(SUPPORT, said("human", at("2025-06-11 02:00"), tier="vip"))
    assert (night.action, night.rule) == ("take_message", "after_hours_person")
    assert night.reasons[:2] == ("rule:after_hours_person", "skip:vip_priority:queue_closed")


def test_hotel_vip_reaches_the_concierge_by_day_and_the_front_desk_by_night():
    day = route(HOTEL, said("human", at("2025-06-10 10:30", LOS_ANGELES), tier="vip"))
    assert (day.queue, day.priority, day.rule) == ("concierge", 9, "vip_concierge")
    night = route(HOTEL, said("human", at("2025-06-11 02:00", LOS_ANGELES), tier="vip"))
    assert (night.queue, night.priority, night.rule) == ("front_desk", 9, "vip_overnight")


def test_a_frustrated_caller_goes_to_a_person_in_their_language():
    decision = route(HOTEL, said("question", at("2025-06-10 10:30", LOS_ANGELES),
                                 sentiment=-0.8, language="fr"))
    assert (decision.action, decision.queue, decision.priority) == ("transfer", "front_desk", 8)
    assert decision.reasons == ("rule:frustrated_caller", "sentiment:below")
    assert decision.message.startswith("Je suis désolé")
    calm = route(HOTEL, said("question", at("2025-06-10 10:30", LOS_ANGELES), sentiment=-0.2))
    assert calm.action == "answer" and calm.rule is None


def test_a_language_the_business_does_not_speak_hears_the_default_one():
    decision = route(HOTEL, said("question", at("2025-06-10 10:30", LOS_ANGELES),
                                 sentiment=-0.8, language="it"))
    assert decision.message.startswith("I'm sorry about this")


def test_failed_turns_hand_the_caller_over():
    decision = route(HOTEL, RouteContext(now=at("2025-06-10 10:30", LOS_ANGELES),
                                         intent="question", failed_turns=3))
    assert (decision.rule, decision.reasons) == ("stuck_caller", ("rule:stuck_caller",
                                                                  "failed_turns:3"))


# -- defaults, tools ----------------------------------------------------------------------------


def test_defaults_follow_the_intent_action_and_the_entry_menu():
    morning = at("2025-06-10 10:30", LOS_ANGELES)
    start = route(HOTEL, RouteContext(now=morning))
    assert (start.action, start.menu, start.reasons) == ("menu", "main", (
        "default", "call_start", "hours:open"))
    check_in = route(HOTEL, RouteContext(now=morning, intent="check_in", intent_action="task"))
    assert (check_in.action, check_in.reasons) == ("answer", ("default", "intent:check_in",
                                                              "hours:open"))
    rules = HOTEL.model_copy(update={"rules": []})
    person = route(rules, RouteContext(now=morning, intent="human", intent_action="transfer"))
    assert (person.action, person.queue) == ("transfer", "front_desk")
    bye = route(rules, RouteContext(now=morning, intent="goodbye", intent_action="hangup"))
    assert bye.action == "hangup"


def test_each_route_carries_its_allowed_tools():
    billing = route(HOTEL, said("folio", at("2025-06-10 10:30", LOS_ANGELES)))
    assert billing.allowed_tools == ("find_reservation", "verify_guest", "get_folio",
                                     "search_knowledge", "transfer_to_agent", "end_call")
    other = route(HOTEL, said("question", at("2025-06-10 10:30", LOS_ANGELES)))
    assert other.allowed_tools == tuple(HOTEL.tools or ())
    assert "cancel_reservation" not in other.allowed_tools


def test_the_tool_names_match_the_real_registry(tmp_path: Path):
    from config.database import open_database
    from dialog.business import hotel_tools, support_tools
    from dialog.toolset import builtin_tools

    engine = open_database(f"sqlite:///{tmp_path / 'tools.db'}")
    specs = [*builtin_tools(index=object()), *hotel_tools(engine),  # type: ignore[arg-type]
             *support_tools(engine, governance=GovernanceSettings())]
    assert {s.name for s in specs if not s.businesses} == set(BUILTIN_TOOLS)
    for business, names in BUSINESS_TOOLS.items():
        assert {s.name for s in specs if business in s.businesses} == set(names)
    engine.dispose()


# -- keypad -------------------------------------------------------------------------------------


def keys(rules, digits: str, menu: str, when: datetime) -> tuple:
    d = route(rules, RouteContext(now=when, menu=menu, digits=digits))
    return d.action, d.queue or d.menu or d.tool or d.question, d.reasons


def test_keypad_options_timeouts_and_wrong_keys():
    morning = at("2025-06-10 10:30", LOS_ANGELES)
    assert keys(HOTEL, "0", "main", morning) == ("transfer", "front_desk", (
        "default", "menu:main", "keypad:0", "hours:open"))
    assert keys(HOTEL, "1", "main", morning)[:2] == ("menu", "reservations")
    assert keys(HOTEL, "4", "main", morning)[:2] == ("answer", "What time is breakfast served?")
    assert keys(HOTEL, "7", "main", morning)[::2] == ("answer", (
        "default", "menu:main", "keypad:no_match", "hours:open"))
    assert keys(HOTEL, "", "reservations", morning)[:2] == ("transfer", "front_desk")
    assert keys(SUPPORT, "1", "main", at("2025-06-10 11:00"))[:2] == ("tool", "lookup_customer")


def test_keypad_rules_after_hours():
    night = at("2025-06-11 02:00", LOS_ANGELES)
    action, queue, reasons = keys(HOTEL, "1", "reservations", night)
    assert (action, queue) == ("callback", "reservations")
    assert reasons == ("rule:reservations_keypad_after_hours", "hours:closed",
                       "menu:reservations", "keypad:1")
    # A menu option to a closed queue with no rule for it takes a message for that queue.
    saturday = at("2025-06-14 10:00")
    assert keys(SUPPORT, "0", "technical", saturday) == ("take_message", "technical", (
        "default", "menu:technical", "keypad:0", "queue:technical:closed", "hours:open"))


def test_the_same_input_gives_the_same_decision():
    context = said("refund", at("2025-06-10 11:00"), tier="vip", sentiment=0.1)
    assert route(SUPPORT, context) == route(SUPPORT, context)
    assert route(SUPPORT, context).as_dict()["reasons"] == ["rule:refunds", "intent:refund"]


# -- the shadow evaluation's core, with a scripted classifier ------------------------------------


@dataclass(frozen=True)
class FakeIntent:
    name: str
    score: float
    action: str


def test_evaluate_reports_accuracy_and_disagreements():
    labels = Labels.model_validate({"business": "support", "calls": [
        {"text": "a person please", "time": "2025-06-11 02:00",
         "expected": {"action": "take_message", "queue": "support"}},
        {"text": "a person please", "time": "2025-06-11 11:00", "language": "de",
         "expected": {"action": "transfer", "queue": "billing"}},
        {"keypad": "0", "time": "2025-06-11 11:00",
         "expected": {"action": "transfer", "queue": "support"}},
    ]})
    report = evaluate(SUPPORT, labels, classify=lambda text: FakeIntent("human", 0.9, "transfer"),
                      measure=lambda text, language: 0.0)
    assert (report["correct"], report["total"], report["accuracy"]) == (2, 3, 0.6667)
    assert report["breakdown"]["language:de"] == {"correct": 0, "total": 1, "accuracy": 0.0}
    assert report["breakdown"]["input:keypad"]["accuracy"] == 1.0
    [wrong] = report["disagreements"]
    assert wrong["index"] == 1 and wrong["got"] == {"action": "transfer", "queue": "support"}
    assert wrong["rule"] == "person" and wrong["intent"] == "human"
    assert wrong["time"] == "2025-06-11T11:00:00-04:00"  # naive label times are local
