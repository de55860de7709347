"""Business hours and what a warm transfer does when nobody can take the call."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from config import QueueSettings, Settings
from telephony.handoffs import HandoffStore
from telephony.security import StreamTokens
from telephony.twilio_rest import TwilioRest
from telephony.warm import WarmTransfers, is_open

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
        handoff_id = await warm.start(
            call_sid="CA1", queue="front_desk", reason="caller_asked_for_person", request="",
            briefing={"summary": "x"}, caller_id="+15559870000", base_url="http://x",
            now=datetime(2026, 11, 23, 2, 0, tzinfo=NY), better_briefing=better())
        assert handoff_id is None  # the caller stays with the AI
        [handoff] = store.for_call("CA1")
        assert handoff["status"] == "closed" and handoff["briefing"] == {"summary": "x"}
        summarized.set()
    finally:
        await warm.aclose()  # waits for the pending steps
    [handoff] = store.for_call("CA1")
    assert handoff["briefing"] == {"summary": "better"}
    assert [e["kind"] for e in store.events(handoff["id"])] == [
        "created", "closed", "briefing_updated"]
    store.close()
