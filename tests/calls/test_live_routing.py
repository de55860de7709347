"""The routing rules in live calls: the dialog acts on ``route`` decisions, with the clock
injected; a call keeps the rules version it started with (over a real WebSocket)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from servers import ThreadedServer
from test_checkin import in_language

from config import Settings
from config.rules import bundled_rules_file
from config.rules.store import RuleStore
from dialog.deps import DialogDeps
from dialog.loader import load_dialog
from dialog.manager import DialogManager
from dialog.routing.evaluate import load_routing_rules
from dialog.routing.turns import Understanding
from dialog.state import CallState
from dialog.types import CallerTurn, Reply, Transfer
from knowledge.encoder import SentenceEncoder
from telephony.cli.simulator import CallerStep, place_call
from telephony.records.store import Records

pytestmark = pytest.mark.asyncio
LA = ZoneInfo("America/Los_Angeles")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=LA)
MONDAY_2AM = datetime(2026, 11, 23, 2, 0, tzinfo=LA)
VIP = "+14155550100"  # on the hotel rules' VIP list


@pytest.fixture(scope="module")
def hotel(models_dir: Path, encoder: SentenceEncoder,
          tmp_path_factory: pytest.TempPathFactory) -> DialogDeps:
    settings = Settings(data_dir=tmp_path_factory.mktemp("routing"), models_dir=models_dir)
    return load_dialog(settings, encoder=encoder)


@pytest.fixture(scope="module")
def understanding(hotel: DialogDeps) -> Understanding:
    return Understanding(hotel.encoder, hotel.classifier.intents)


RULES = load_routing_rules(bundled_rules_file("hotel"))


def _call(deps: DialogDeps, understanding: Understanding, *, at: datetime,
          caller: str = "") -> DialogManager:
    """A hotel call routed by the bundled rules, at ``at``."""
    state = CallState(business="hotel", caller_number=caller, call_sid=f"CA{uuid.uuid4().hex}",
                      rules_version=7)
    return DialogManager(replace(deps, clock=lambda: at), state, RULES,
                                                    understanding.classifier(RULES))


async def _respond(manager: DialogManager, text: str,
                   dtmf: str | None = None) -> tuple[Reply, list[str]]:
    """One caller turn (in the call's current language): the reply, and what was said."""
    said: list[str] = []

    async def hear(sentence: str) -> None:
        said.append(sentence)

    turn = CallerTurn(text=text, language=manager.state.language, dtmf=dtmf)
    return await manager.respond([], turn, hear), said


async def _turn(deps: DialogDeps, understanding: Understanding, text: str, *,
                at: datetime, caller: str = "") -> tuple[Reply, list[str]]:
    return await _respond(_call(deps, understanding, at=at, caller=caller), text)


async def test_a_cancellation_at_2am_follows_the_after_hours_rule(hotel, understanding):
    night, said = await _turn(hotel, understanding, "I need to cancel my reservation.",
                              at=MONDAY_2AM)
    assert night.route["rule"] == "cancel_after_hours" and night.route["version"] == 7
    assert "hours:closed" in night.route["reasons"]
    assert said[0].startswith("Our reservations office is closed right now")
    assert not isinstance(night.decision, Transfer)
    day, _ = await _turn(hotel, understanding, "I need to cancel my reservation.",
                         at=MONDAY_10AM)
    assert day.route["rule"] == "cancel_with_reservations"
    assert day.decision == Transfer("reservations", "rule:cancel_with_reservations", priority=4)


async def test_vip_and_frustrated_callers_are_routed_by_their_rules(hotel, understanding):
    vip, _ = await _turn(hotel, understanding, "I'd like to speak to a person, please.",
                         at=MONDAY_10AM, caller=VIP)
    assert vip.decision.queue == "concierge" and vip.decision.priority == 9
    late, _ = await _turn(hotel, understanding, "I'd like to speak to a person, please.",
                          at=datetime(2026, 11, 23, 23, 30, tzinfo=LA), caller=VIP)
    assert late.route["rule"] == "vip_overnight" and late.decision.queue == "front_desk"
    assert "skip:vip_concierge:queue_closed" in late.route["reasons"]
    angry, _ = await _turn(hotel, understanding,
                           "This is absolutely ridiculous, I'm furious, your hotel is a "
                           "disgrace and nobody helps me!", at=MONDAY_10AM)
    assert angry.route["rule"] == "frustrated_caller"
    assert angry.decision.queue == "front_desk" and angry.decision.priority == 8
    assert angry.text.startswith("I'm sorry about this.")


async def test_a_call_keeps_the_rules_version_it_started_with(
        call_settings: Settings, voice_models, tmp_path: Path):
    """An admin changes the main menu's 0 while a call is in progress: that call keeps the
    old routing (a transfer); a call placed after the change gets the new (a menu)."""
    settings = call_settings.model_copy(update={
        "data_dir": tmp_path, "database_url": f"sqlite:///{tmp_path}/frontdesk.db"})
    from telephony.app import create_app

    server = ThreadedServer(create_app(settings),
                            ws_max_size=settings.stream.max_message_bytes).start()
    store = RuleStore(settings.database_url, partial(load_routing_rules, name="hotel rules"))
    records = Records(settings.database_url)
    press_zero = [CallerStep(dtmf="0", pause_seconds=3.0)]
    try:
        before = store.active("hotel")
        old = '"0": {action: transfer, queue: front_desk, priority: 3}'
        assert old in before.source
        first = asyncio.create_task(place_call(server.url, press_zero, settings=settings,
                                               voice=None, whisper=None))
        # Once the first call has started (its greeting recorded), publish the change.
        for _ in range(300):
            if await asyncio.to_thread(_greeted, records):
                break
            await asyncio.sleep(0.1)
        changed = store.submit("hotel", before.source.replace(
            old, '"0": {action: menu, menu: reservations}'), author="ann", role="admin",
            based_on=before.id, comment="0 opens the reservations menu")
        in_progress = await first
        after = await place_call(server.url, press_zero, settings=settings, voice=None,
                                 whisper=None)
        old_call = records.call(in_progress.call_sid)
        new_call = records.call(after.call_sid)
    finally:
        server.stop()
        store.close()
        records.close()
    [old_turn] = [t for t in old_call["turns"] if t["caller_dtmf"] == "0"]
    [new_turn] = [t for t in new_call["turns"] if t["caller_dtmf"] == "0"]
    assert old_turn["route"]["version"] == before.id and old_turn["route"]["action"] == "transfer"
    assert any(e["kind"] == "transfer" for e in old_call["events"])
    assert new_turn["route"]["version"] == changed.id and new_turn["route"]["action"] == "menu"
    assert new_turn["reply_text"].startswith("Press 1 to book or change a stay")
    assert not any(e["kind"] == "transfer" for e in new_call["events"])


def _greeted(records: Records) -> list[dict]:
    with records.engine.connect() as conn:
        from sqlalchemy import select

        from telephony.records.store import turns
        return [dict(r) for r in conn.execute(select(turns.c.id).where(
            turns.c.intent == "greeting")).mappings()]


@pytest.mark.parametrize(("text", "at", "caller"), [
    ("I need to cancel my reservation.", MONDAY_2AM, ""),
    ("I need to cancel my reservation.", MONDAY_10AM, ""),
    ("Can I talk to someone at the front desk?", MONDAY_10AM, VIP),
    ("What time is breakfast?", MONDAY_2AM, ""),
    ("Can you tell me what's on my bill?", MONDAY_10AM, ""),
    ("Necesito cancelar mi reserva.", MONDAY_2AM, ""),
    ("This is ridiculous, I am furious and nobody helps me!", MONDAY_10AM, ""),
    ("Thanks, that's all, goodbye.", MONDAY_10AM, ""),
])
async def test_the_dry_run_and_a_live_call_decide_the_same(hotel, understanding, text, at,
                                                           caller):
    from dialog.routing.turns import dry_run

    live, _ = await _turn(hotel, understanding, text, at=at, caller=caller)
    tried = dry_run(RULES, understanding, when=at, text=text, caller=caller or None)
    assert {k: v for k, v in live.route.items() if k != "version"} == tried["decision"]


async def test_the_dry_run_shows_a_language_key_as_a_live_call_takes_it():
    from dialog.routing.turns import dry_run

    tried = dry_run(RULES, None, when=MONDAY_10AM, keypad="6", menu="reservations")
    assert tried["decision"]["action"] == "language"
    assert tried["reasons"] == ["language_key:es"] and tried["decision"]["menu"] == "reservations"
    assert dry_run(RULES, None, when=MONDAY_10AM, keypad="3",
                   menu="reservations")["decision"]["action"] == "answer"  # check in


async def test_a_route_limits_the_tools_the_ai_may_use(hotel):
    state = CallState(business="hotel", call_sid=f"CA{uuid.uuid4().hex}",
                      allowed_tools=["search_knowledge", "find_reservation"])
    names = {s.name for s in hotel.registry.available(state)}
    assert {"search_knowledge", "find_reservation", "transfer_to_agent", "end_call"} == names
    refused = await hotel.registry.call("check_in", {}, state)
    assert refused.reason == "needs_human" and refused.result["route"] == "not_allowed"
    # The rules' decisions set what the call may use: the hotel's default list has no
    # cancellations; the after-hours cancellation rule has.
    night, _ = await _turn(hotel, understanding=Understanding(hotel.encoder,
                                                              hotel.classifier.intents),
                           text="I need to cancel my reservation.", at=MONDAY_2AM)
    assert "cancel_reservation" in night.route["allowed_tools"]


# -- the keypad language menu (business.language_keys) -----------------------------------------

async def _press(manager: DialogManager, digits: str) -> Reply:
    reply, _ = await _respond(manager, "", digits)
    return reply


async def test_the_greeting_offers_the_other_languages_each_in_its_own(hotel, understanding):
    english = _call(hotel, understanding, at=MONDAY_10AM).greeting("en")
    assert english.startswith("Thank you for calling the Harbor View Hotel.")
    assert english.endswith(f"{RULES.menus['main'].prompt['en']} Para español, marque 6. "
                            "Pour le français, tapez 7. Für Deutsch drücken Sie 8.")
    spanish = _call(hotel, understanding, at=MONDAY_10AM).greeting("es")
    assert spanish.startswith("Gracias por llamar al Hotel Harbor View.")
    assert "For English, press 5." in spanish and "Para español" not in spanish


async def test_the_greeting_invites_the_caller_first_and_lists_keys_after_a_silence(
        hotel, understanding):
    now, later = _call(hotel, understanding, at=MONDAY_10AM).greeting_parts("en")
    assert now == ("Thank you for calling the Harbor View Hotel. I'm the virtual front desk. "
                   "How can I help?")
    assert later.startswith("Or press 1 for reservations,")
    assert later.endswith("Para español, marque 6. Pour le français, tapez 7. "
                          "Für Deutsch drücken Sie 8.")


async def test_a_language_key_switches_the_call_and_repeats_the_menu_in_it(hotel, understanding):
    manager = _call(hotel, understanding, at=MONDAY_10AM)
    reply = await _press(manager, "6")
    assert manager.state.language == "es" and reply.language == "es"
    assert reply.text == f"Por supuesto, sigamos en español. {RULES.menus['main'].prompt['es']}"
    assert in_language(reply.text, "es")
    assert {"language:es", "route:language_key"} <= set(reply.reason_codes)
    assert reply.decision is None
    # At another menu, that menu is offered again; its options then work in the new language.
    await _press(manager, "1")
    assert manager.state.menu == "reservations"
    reply = await _press(manager, "7")
    assert manager.state.language == "fr"
    assert reply.text.endswith(RULES.menus["reservations"].prompt["fr"])
    reply = await _press(manager, "9")
    assert manager.state.menu == "main" and reply.text == RULES.menus["main"].prompt["fr"]


async def test_a_language_key_while_a_number_is_expected_is_a_digit(hotel, understanding):
    manager = _call(hotel, understanding, at=MONDAY_10AM)
    asked, _ = await _respond(manager, "I'd like to check in, please.")
    assert manager.embedded.expects_slot(), asked.text
    reply = await _press(manager, "6")
    assert manager.state.language == "en" and reply.language == "en"
    assert not any(code.startswith("language:") for code in reply.reason_codes)
    assert manager.embedded.expects_slot()  # still asking for the confirmation number
