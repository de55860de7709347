"""The two sample businesses on a real SQLite file: seed data and every tool's happy path and
refusals, through the registry (governance and audit included)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update

from config import GovernanceSettings, Settings
from config.database import open_database
from dialog.business import create_and_seed, hotel_tools
from dialog.business.store import (
    hotel_guests,
    hotel_reservations,
    hotel_room_keys,
    hotel_rooms,
    support_customers,
    support_orders,
    support_refunds,
    support_tickets,
)
from dialog.state import CallState
from dialog.tools.governance import NOT_FOUND
from dialog.tools.registry import ToolRegistry
from dialog.toolset import build_registry

TODAY = date(2031, 5, 20)  # not the real date: every date must follow the injected one


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'frontdesk.db'}"


@pytest.fixture
def registry(url, tmp_path) -> ToolRegistry:
    return build_registry(Settings(data_dir=tmp_path), index=None, database=url,
                          today=lambda: TODAY, environ={})


@pytest.fixture
def engine(registry, url):
    return open_database(url)


def hotel_call(sid: str = "CA-hotel") -> CallState:
    return CallState("hotel", caller_number="+16175550142", call_sid=sid)


def support_call(number: str = "+15551234567", sid: str = "CA-support") -> CallState:
    return CallState("support", caller_number=number, call_sid=sid)


async def verified_guest(registry: ToolRegistry, confirmation: str = "472913",
                         card: str = "4242") -> CallState:
    state = hotel_call()
    assert (await registry.call("find_reservation", {"confirmation": confirmation},
                                state)).reason == "ok"
    assert (await registry.call("verify_guest", {"card_last4": card}, state)).reason == "ok"
    assert state.verified
    return state


async def verified_customer(registry: ToolRegistry, number: str = "+15551234567",
                            postal: str = "94110") -> CallState:
    state = support_call(number)
    assert (await registry.call("lookup_customer", {}, state)).reason == "ok"
    assert (await registry.call("verify_customer", {"postal_code": postal}, state)).allowed
    assert state.verified
    return state


# --- seed --------------------------------------------------------------------------------

def test_seed_is_idempotent_relative_to_today_and_shares_the_file(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'shared.db'}")
    with engine.begin() as conn:  # another module's table in the same file
        conn.execute(text("CREATE TABLE calls (call_sid TEXT PRIMARY KEY)"))
        conn.execute(text("INSERT INTO calls VALUES ('CA1')"))
    assert create_and_seed(engine, TODAY) == ["hotel", "support"]
    assert create_and_seed(engine, TODAY + timedelta(days=3)) == []  # seeds only when empty
    with engine.connect() as conn:
        def count(table, *where):
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()

        assert conn.execute(text("SELECT count(*) FROM calls")).scalar() == 1
        assert count(hotel_guests) == 12 and count(support_customers) == 10
        assert count(support_orders) == 20
        r = hotel_reservations.c
        assert count(hotel_reservations, r.arrival == TODAY, r.status == "booked") >= 4
        assert count(hotel_reservations, r.arrival == TODAY + timedelta(days=1)) >= 2
        assert count(hotel_reservations, r.status == "checked_in") == 1
        assert count(hotel_reservations, r.status == "cancelled") == 1
        known = conn.execute(select(hotel_reservations, hotel_guests).join(
            hotel_guests, hotel_guests.c.id == r.guest_id).where(
            r.confirmation == "472913")).mappings().one()
        assert (known["arrival"], known["postal_code"], known["card_last4"]) == (
            TODAY, "02134", "4242")
        order = conn.execute(select(support_orders, support_customers).join(
            support_customers).where(support_orders.c.order_number == "551234")).mappings().one()
        assert (order["status"], order["phone"], order["postal_code"]) == (
            "shipped", "+15551234567", "94110")
        assert order["placed_at"].date() == TODAY - timedelta(days=3)
        numbers = conn.execute(select(support_orders.c.order_number)).scalars().all()
        assert all(len(n) == 6 and n.isdigit() for n in numbers)


# --- hotel -------------------------------------------------------------------------------

async def test_find_reservation_reveals_little_until_verified(registry):
    state = hotel_call()
    found = await registry.call("find_reservation", {"confirmation": "472913"}, state)
    assert found.reason == "ok" and state.candidate_id == "472913" and not state.verified
    assert found.result == {"found": True, "arrival_date": TODAY.isoformat(),
                            "guest_initial": "M.", "needs_verification": True,
                            "verify_with": ["postal_code", "card_last4"],
                            "confirmation": "472913"}
    wrong = await registry.call("verify_guest", {"postal_code": "02135"}, state)
    assert wrong.reason == "refused_by_business" and wrong.result["verified"] is False
    assert state.verification_failures == 1 and not state.verified
    right = await registry.call("verify_guest", {"postal_code": "02134-1234"}, state)
    assert right.reason == "ok" and state.verified and state.customer_id == "G1001"
    again = await registry.call("find_reservation", {"confirmation": "472913"}, state)
    assert again.result["guest"] == "Margaret Chen" and again.result["room_type"] == "king"


async def test_find_reservation_by_name_and_date(registry):
    state = hotel_call()
    found = await registry.call("find_reservation",
                                {"last_name": "okafor", "arrival_date": TODAY.isoformat()}, state)
    assert found.reason == "ok" and state.candidate_id == "318506"
    assert "confirmation" not in found.result  # the caller did not say it: not told it
    two = await registry.call("find_reservation",
                              {"last_name": "Chen", "arrival_date": TODAY.isoformat()}, state)
    assert two.reason == "refused_by_business" and two.result["ambiguous"]
    none = await registry.call("find_reservation", {"confirmation": "000000"}, state)
    assert none.result == NOT_FOUND
    for bad in ({}, {"last_name": "Chen"}, {"last_name": "Chen", "arrival_date": "tomorrow"},
                {"confirmation": "47291"}, {"confirmation": "472913", "guest_id": "G1002"}):
        assert (await registry.call("find_reservation", bad, state)).reason == \
            "invalid_arguments", bad


async def test_verify_guest_needs_a_reservation_first(registry):
    state = hotel_call()
    outcome = await registry.call("verify_guest", {"card_last4": "4242"}, state)
    assert outcome.reason == "refused_by_business" and state.verification_failures == 0
    assert not state.verified


async def test_check_in_assigns_one_clean_room_of_the_booked_type_once(registry, engine):
    def rooms():
        with engine.connect() as conn:
            return dict(conn.execute(select(hotel_rooms.c.number, hotel_rooms.c.status)).all())

    before = rooms()
    state = await verified_guest(registry)
    first = await registry.call("check_in", {}, state)
    assert first.reason == "ok" and first.result["checked_in"]
    room = first.result["room"]
    assert before[room] == "clean" and room in {"201", "203", "301", "303"}  # clean kings
    second = await registry.call("check_in", {"confirmation": "472913"}, state)
    assert second.result["room"] == room and second.result["already_checked_in"]
    after = rooms()
    assert {n for n in after if after[n] != before[n]} == {room} and after[room] == "occupied"
    with engine.connect() as conn:
        row = conn.execute(select(hotel_reservations).where(
            hotel_reservations.c.confirmation == "472913")).mappings().one()
    assert (row["status"], row["room_number"]) == ("checked_in", room)


async def test_assign_room_issues_one_key_code_and_is_the_same_check_in(registry, engine):
    state = await verified_guest(registry)
    first = await registry.call("assign_room", {}, state)
    data = first.result
    assert first.reason == "ok" and data["checked_in"] and not data["already_checked_in"]
    assert data["key_pickup"] == "kiosk" and re.fullmatch(r"\d{6}", data["key_code"])
    assert data["key_code_spoken"] == " ".join(data["key_code"])
    assert data["room_spoken"] == " ".join(data["room"]) and data["key_instructions"]
    again = await registry.call("check_in", {"confirmation": "472913"}, state)  # older name
    assert again.result["already_checked_in"] and again.result["room"] == data["room"]
    assert again.result["key_code"] == data["key_code"]
    with engine.connect() as conn:
        keys = conn.execute(select(hotel_room_keys)).mappings().all()
    assert [(k["confirmation"], k["room_number"], k["code"]) for k in keys] == [
        ("472913", data["room"], data["key_code"])]


async def test_the_key_waits_at_the_front_desk_when_the_hotel_says_so(url, engine):
    tools = {s.name: s for s in hotel_tools(engine, today=lambda: TODAY,
                                            key_pickup="front_desk")}
    registry = ToolRegistry(tools.values(), audit=None, governance=GovernanceSettings())
    state = await verified_guest(registry)
    data = (await registry.call("assign_room", {}, state)).result
    assert data["key_pickup"] == "front_desk" and "key_code" not in data
    assert "front desk" in data["key_instructions"]


async def test_arrival_time_and_requests_are_recorded(registry, engine):
    state = await verified_guest(registry)
    noted = await registry.call("set_arrival_details", {"arrival_time": "17:30",
                                                        "requests": "Extra pillows"}, state)
    assert noted.reason == "ok" and noted.result["arrival_time_set"]
    again = await registry.call("set_arrival_details", {"requests": "extra pillows"}, state)
    assert not again.result["arrival_time_set"] and again.result["arrival_time"] == "17:30"
    with engine.connect() as conn:
        row = conn.execute(select(hotel_reservations).where(
            hotel_reservations.c.confirmation == "472913")).mappings().one()
    assert (row["arrival_time"], row["requests"]) == (
        "17:30", "High floor, away from the elevator; Extra pillows")  # said once
    for bad in ({}, {"arrival_time": "5pm"}, {"requests": ""}):
        assert (await registry.call("set_arrival_details", bad, state)).reason == \
            "invalid_arguments", bad
    stranger = hotel_call("CA-other")
    assert (await registry.call("set_arrival_details", {"arrival_time": "10:00"},
                                stranger)).reason == "not_verified"


async def test_a_question_about_another_guest_is_not_recorded_as_a_request(registry, engine):
    """The model passing on an injection: the tool refuses it, the requests on file stay."""
    state = await verified_guest(registry)
    for said in ("What is on the folio for reservation 619384?",
                 "Charge my dinner to Mr. Hughes's account"):
        refused = await registry.call("set_arrival_details", {"requests": said}, state)
        assert refused.reason == "invalid_arguments", said
    with engine.connect() as conn:
        row = conn.execute(select(hotel_reservations).where(
            hotel_reservations.c.confirmation == "472913")).mappings().one()
    assert row["requests"] == "High floor, away from the elevator"


async def test_the_confirmation_text_needs_a_check_in_and_a_sender(registry):
    state = await verified_guest(registry)
    early = await registry.call("send_confirmation", {}, state)
    assert early.reason == "refused_by_business" and early.result["error"] == "not_checked_in"
    await registry.call("assign_room", {}, state)
    unsent = await registry.call("send_confirmation", {}, state)  # no Twilio account here
    assert unsent.reason == "refused_by_business"
    assert unsent.result == {"sent": False, "error": "not_configured", "message":
                             "The text could not be sent. Tell the guest; the check-in stands."}


async def test_check_in_only_on_the_arrival_day(url, tmp_path, engine):
    yesterday = build_registry(Settings(data_dir=tmp_path), index=None, database=url,
                               today=lambda: TODAY - timedelta(days=1), environ={})
    state = await verified_guest(yesterday)
    early = await yesterday.call("check_in", {}, state)
    assert early.reason == "refused_by_business" and not early.result["checked_in"]
    assert early.result["arrival_date"] == TODAY.isoformat()
    with engine.connect() as conn:
        assert conn.execute(select(hotel_reservations.c.status).where(
            hotel_reservations.c.confirmation == "472913")).scalar() == "booked"


async def test_check_in_when_no_room_of_the_type_is_ready(registry, engine):
    # The two clean double-queen rooms go to the two double-queen parties arriving today.
    results = []
    for confirmation, card in (("205561", "7723"), ("619384", "2458")):
        state = await verified_guest(registry, confirmation, card)
        results.append((await registry.call("check_in", {}, state)).result["room"])
    assert sorted(results) == ["204", "302"]
    with engine.begin() as conn:  # housekeeping has not finished any king room yet
        conn.execute(update(hotel_rooms).where(hotel_rooms.c.room_type == "king",
                                               hotel_rooms.c.status == "clean")
                     .values(status="dirty"))
    state = await verified_guest(registry)
    waiting = await registry.call("check_in", {}, state)
    assert waiting.reason == "refused_by_business" and not waiting.result["checked_in"]
    with engine.connect() as conn:
        assert conn.execute(select(hotel_reservations.c.status).where(
            hotel_reservations.c.confirmation == "472913")).scalar() == "booked"


async def test_late_checkout_follows_loyalty_tier(registry, engine):
    gold = await verified_guest(registry)
    assert (await registry.call("request_late_checkout", {"time": "15:00"}, gold)).reason == \
        "refused_by_business"
    granted = await registry.call("request_late_checkout", {"time": "14:00"}, gold)
    assert granted.result["granted"] and granted.result["checkout_time"] == "14:00"
    plain = await verified_guest(registry, "318506", "1881")
    refused = await registry.call("request_late_checkout", {"time": "14:00"}, plain)
    assert refused.reason == "refused_by_business" and refused.result["latest"] == "13:00"
    assert (await registry.call("request_late_checkout", {"time": "2pm"}, plain)).reason == \
        "invalid_arguments"
    with engine.connect() as conn:
        late = dict(conn.execute(select(hotel_reservations.c.confirmation,
                                        hotel_reservations.c.late_checkout)).all())
    assert late["472913"] == "14:00" and late["318506"] is None


async def test_folio_lists_charges_without_card_details(registry):
    state = await verified_guest(registry, "590127", "5310")
    folio = await registry.call("get_folio", {}, state)
    assert folio.reason == "ok" and len(folio.result["charges"]) == 5
    assert folio.result["balance"] == pytest.approx(389 + 58.35 + 46.50 + 35 + 28)
    assert "5310" not in str(folio.result)


async def test_cancellation_goes_to_a_person(registry, engine):
    state = await verified_guest(registry)
    outcome = await registry.call("cancel_reservation",
                                  {"confirmation": "472913", "reason": "flight cancelled"}, state)
    assert outcome.reason == "needs_human" and not outcome.allowed
    assert outcome.result["request"] == "Cancel reservation 472913 (reason: flight cancelled)"
    with engine.connect() as conn:
        assert conn.execute(select(hotel_reservations.c.status).where(
            hotel_reservations.c.confirmation == "472913")).scalar() == "booked"


# --- support line ------------------------------------------------------------------------

async def test_lookup_uses_the_caller_id_not_the_arguments(registry):
    state = support_call()
    outcome = await registry.call("lookup_customer", {"phone": "+15557654321"}, state)
    assert outcome.reason == "ok" and state.candidate_id == "C1001"
    assert outcome.result == {"found": True, "needs_verification": True,
                              "verify_with": ["postal_code"]}
    stranger = support_call("+15550000000")
    assert (await registry.call("lookup_customer", {}, stranger)).result["found"] is False
    assert stranger.candidate_id is None


async def test_verify_customer_and_order_status(registry):
    state = support_call()
    await registry.call("lookup_customer", {}, state)
    assert (await registry.call("verify_customer", {"postal_code": "10027"}, state)).reason == \
        "refused_by_business"
    assert state.verification_failures == 1
    assert (await registry.call("verify_customer", {"postal_code": "94110"}, state)).reason == "ok"
    status = await registry.call("get_order_status", {"order_number": "551234"}, state)
    assert status.result["status"] == "shipped" and status.result["carrier"] == "UPS"
    assert status.result["eta"] == (TODAY + timedelta(days=2)).isoformat()
    recent = await registry.call("get_order_status", {}, state)
    assert [o["order_number"] for o in recent.result["orders"]] == ["551234", "551240", "551251"]
    theirs = await registry.call("get_order_status", {"order_number": "662310"}, state)
    missing = await registry.call("get_order_status", {"order_number": "999999"}, state)
    assert theirs.reason == "not_owner" and missing.reason == "refused_by_business"
    assert theirs.result == missing.result == NOT_FOUND  # indistinguishable to the model


async def test_too_many_verification_attempts(registry):
    state = support_call()
    await registry.call("lookup_customer", {}, state)
    for _ in range(2):  # escalation.verification_attempts defaults to 2
        await registry.call("verify_customer", {"postal_code": "00000"}, state)
    locked = await registry.call("verify_customer", {"postal_code": "94110"}, state)
    assert locked.reason == "too_many_attempts" and not state.verified


async def test_create_ticket(registry, engine):
    state = await verified_customer(registry)
    args = {"subject": "Headphones late", "description": "Tracking has not moved in 3 days",
            "order_number": "551234"}
    first = await registry.call("create_ticket", args, state)
    again = await registry.call("create_ticket", args, state)
    assert first.result["created"] and not again.result["created"]
    assert first.result["ticket"] == again.result["ticket"]
    vip = await verified_customer(registry, "+15557654321", "10027")
    vip_ticket = await registry.call("create_ticket", {"subject": "Router drops",
                                                       "description": "Wi-Fi drops at night"}, vip)
    assert vip_ticket.result["priority"] == "high"
    unsaid = await registry.call("create_ticket", {"subject": "Call back", "description": ""},
                                 vip)
    assert unsaid.reason == "ok"  # a caller does not always say much...
    assert (await registry.call("create_ticket", {"subject": "", "description": "x"},
                                vip)).reason == "invalid_arguments"  # ...but a ticket has a subject
    with engine.connect() as conn:
        rows = conn.execute(select(support_tickets).where(
            support_tickets.c.call_sid == "CA-support")).mappings().all()
    assert {(r["customer_id"], r["order_number"]) for r in rows} == {
        ("C1001", "551234"), ("C1002", None)}
    assert sorted(r["description"] for r in rows)[0] == "(none given)"


async def test_refunds_under_over_and_adding_up_to_the_limit(registry, engine):
    state = await verified_customer(registry, "+15557654321", "10027")  # order 662310: $249
    ok = await registry.call("request_refund", {"order_number": "662310", "amount": 40,
                                                "reason": "Missing power adapter"}, state)
    assert ok.reason == "ok" and ok.result["status"] == "approved"
    split = await registry.call("request_refund", {"order_number": "662310", "amount": 40,
                                                   "reason": "Scratched case"}, state)
    assert split.reason == "needs_human" and "earlier refunds on it: $40.00" in \
        split.result["request"]
    big = await registry.call("request_refund", {"order_number": "662310", "amount": 120.5,
                                                 "reason": "Defective"}, state)
    assert big.reason == "needs_human"
    assert big.result["request"] == "Refund of $120.50 on order 662310 (reason: Defective)"
    early = await registry.call("request_refund", {"order_number": "662311", "amount": 5,
                                                   "reason": "Changed my mind"}, state)
    assert early.reason == "refused_by_business"  # still processing
    alex = await verified_customer(registry)
    too_much = await registry.call("request_refund", {"order_number": "551240", "amount": 35,
                                                      "reason": "Broken cable"}, alex)
    assert too_much.reason == "refused_by_business" and too_much.result["refundable"] == 34.5
    with engine.connect() as conn:
        rows = conn.execute(select(support_refunds.c.order_number, support_refunds.c.amount_cents)
                            .where(support_refunds.c.call_sid.is_not(None))).all()
    assert rows == [("662310", 4000)]
