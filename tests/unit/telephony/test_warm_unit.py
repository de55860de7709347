"""Business hours and what a warm transfer does when nobody can take the call."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from config import QueueSettings, Settings
from telephony.transfer.handoffs import HandoffStore
from telephony.transfer.warm import WarmTransfers, is_open
from telephony.twilio.rest import TwilioRest
from telephony.twilio.security import StreamTokens

NY = ZoneInfo("America/New_York")
WEEKDAYS = QueueSettings(agents=["+15550002222"], timezone="America/New_York",
                         hours={d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri")})


@pytest.mark.parametrize(("local", "open_"), [
    (datetime(2026, 11, 23, 9, 0, tzinfo=NY), True),  # Monday morning
    (datetime(2026, 11, 23, 2, 0, tzinfo=NY), False),  # Monday 02:00
    (datetime(2026, 11, 23, 20, 0, tzinfo=NY), False),  # closing time
    (datetime(2026, 11, 22, 12, 0, tzinfo=NY), False),  # Sunday
])
def test_hours_are_read_in_the_queues_time_zone(local: datetime, open_: bool) -> None:
    assert is_open(WEEKDAYS, local) is open_
    # The same instant given in UTC reads the same.
    assert is_open(WEEKDAYS, local.astimezone(ZoneInfo("UTC"))) is open_
    assert is_open(QueueSettings(agents=["+1"]), local)  # no hours: always open


async def test_closed_hours_store_the_handoff_and_dial_nobody(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, queues={"front_desk": WEEKDAYS},
                        twilio={"account_sid": "AC1", "auth_token": "t",
                                "api_base_url": "http://127.0.0.1:9"})  # nothing listens
    store = HandoffStore(settings.database_url)
    warm = WarmTransfers(settings, store, TwilioRest(settings), StreamTokens.for_auth_token(
        "t", 60))
    summarized = asyncio.Event()

    async def better() -> dict:  # the model's summary, arriving after the handoff is stored
        await summarized.wait()
        return {"summary": "better"}

    try:
        handoff_id = await warm.create(
            call_sid="CA1", queue="front_desk", reason="caller_asked_for_person", request="",
            briefing={"summary": "x"}, caller_id="+15559870000", base_url="http://x",
            better_briefing=better())
        placed = await warm.place(handoff_id, now=datetime(2026, 11, 23, 2, 0, tzinfo=NY))
        assert not placed.held  # the caller stays with the AI
        [handoff] = store.for_call("CA1")
        assert handoff["id"] == placed.handoff_id
        assert handoff["status"] == "closed" and handoff["briefing"] == {"summary": "x"}
        # At 02:00 only a callback can be offered; on Monday morning the next agent too.
        assert warm.options(handoff, datetime(2026, 11, 23, 2, 0, tzinfo=NY)) == ("callback",)
        assert warm.options(handoff, datetime(2026, 11, 23, 9, 0, tzinfo=NY)) == (
            "callback", "next_agent")
        summarized.set()
    finally:
        await warm.aclose()  # waits for the pending steps
    [handoff] = store.for_call("CA1")
    assert handoff["briefing"] == {"summary": "better"}
    assert [e["kind"] for e in store.events(handoff["id"])] == [
        "created", "closed", "briefing_updated"]
    store.close()


async def test_agents_per_hold_then_the_callers_choice_of_the_next_agent(
        tmp_path, fake_twilio) -> None:
    """Two agents rung per wait on hold; then the caller is brought back; choosing the next
    agent dials the third, and after the last the first again."""
    agents = ["+15550000001", "+15550000002", "+15550000003"]
    settings = Settings(data_dir=tmp_path, queues={"front_desk": QueueSettings(
        agents=agents, agents_per_hold=2)},
        twilio={"account_sid": fake_twilio.account_sid, "auth_token": fake_twilio.auth_token,
                "api_base_url": fake_twilio.url})
    store = HandoffStore(settings.database_url)
    warm = WarmTransfers(settings, store, TwilioRest(settings),
                         StreamTokens.for_auth_token(fake_twilio.auth_token, 60))
    seen = len(fake_twilio.created)

    def dialled() -> list[str]:
        return [c["form"]["To"] for c in fake_twilio.created[seen:]]

    async def no_answer(handoff_id: str) -> None:
        handoff = store.get(handoff_id)
        await warm.agent_status(handoff_id, {"CallSid": handoff["agent_call_sid"],
                                             "CallStatus": "no-answer", "SequenceNumber": "1"})

    try:
        placed = await warm.place(await warm.create(
            call_sid="CA2", queue="front_desk", reason="r", request="", briefing={"summary": "x"},
            caller_id="+15559870000", base_url="http://127.0.0.1:1", state={"business": "hotel"}))
        assert placed.held and dialled() == agents[:1]
        await no_answer(placed.handoff_id)
        assert dialled() == agents[:2]
        await no_answer(placed.handoff_id)  # two rung: back to the caller
        assert dialled() == agents[:2] and store.get(placed.handoff_id)["status"] == "returned"
        resume = [r for r in fake_twilio.for_call("CA2") if "frontdesk_resume" in r["form"][
            "Twiml"]]
        assert len(resume) == 1
        assert await warm.offered(placed.handoff_id)
        assert await warm.retry(placed.handoff_id, {"summary": "y"}, {"business": "hotel"})
        assert dialled() == agents and store.get(placed.handoff_id)["briefing"] == {
            "summary": "y"}
        await no_answer(placed.handoff_id)  # the last agent: back to the caller
        assert store.get(placed.handoff_id)["status"] == "returned"
        assert not await warm.retry(placed.handoff_id, {}, {})  # not offered: nothing moves
        assert await warm.offered(placed.handoff_id)
        assert await warm.retry(placed.handoff_id, {"summary": "z"}, {"business": "hotel"})
        assert dialled() == [*agents, agents[0]]  # after the last, the first again
        assert store.settle(placed.handoff_id, "callback") is False  # ringing: not offered
    finally:
        await warm.aclose()
        store.close()


def test_a_queue_is_the_settings_then_the_calls_rules() -> None:
    from config.policy import CallPolicy
    from config.rules import bundled_rules_file
    from dialog.routing.evaluate import load_routing_rules

    rules = load_routing_rules(bundled_rules_file("hotel"))

    def queue(settings: Settings, rules, name: str) -> QueueSettings | None:
        return CallPolicy.build(settings, rules).queue(name)

    plain = Settings()
    assert queue(plain, rules, "reservations").agents == ["+14155550122", "+14155550123"]
    assert queue(plain, rules, "reservations").timezone == "America/Los_Angeles"
    assert queue(plain, None, "reservations") is None
    cold = Settings(transfer={"queues": {"reservations": "+15550009999"}})
    assert queue(cold, rules, "reservations") == QueueSettings(
        agents=["+15550009999"], transfer="cold")
    warm = Settings(queues={"reservations": WEEKDAYS.model_copy(deep=True)})
    assert queue(warm, rules, "reservations") == WEEKDAYS
    # A copy: changing the settings afterwards does not reach a call in progress.
    policy = CallPolicy.build(warm, rules)
    warm.queues["reservations"].agents.append("+15550000000")
    assert policy.queue("reservations") == WEEKDAYS
    assert queue(plain, rules, "billing") is None
