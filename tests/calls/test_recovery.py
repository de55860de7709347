"""After a crash: calls and handoffs a killed server left behind are cleaned up, at start-up and
on every heartbeat, and a call another server carries (or this one) is left alone.

The rows are written as a server killed mid-call leaves them (through the same stores, leased
to the dead server), then the real app starts on that database (tests/servers.py).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import pytest
import websockets
from conftest import connect_stream
from servers import until
from sqlalchemy import update
from test_stream_refusals import CONNECTED, _answer, _ended, _start

from config import RecoverySettings, Settings
from telephony.records.recovery import call_end_reason, stale_handoff
from telephony.records.store import Records, calls
from telephony.transfer.handoffs import HandoffStore
from telephony.web.desk import OFFERED

ALEX = "+15551234567"


def _sid() -> str:
    return "CA" + secrets.token_hex(16)


@pytest.fixture
def settings(call_settings: Settings, tmp_path) -> Settings:
    return call_settings.model_copy(update={
        "data_dir": tmp_path, "database_url": f"sqlite:///{tmp_path}/frontdesk.db",
        "recovery": RecoverySettings(instance_id="node-a", heartbeat_seconds=0.25,
                                     lease_seconds=1.0)})


def _server(settings: Settings):
    from servers import ThreadedServer

    from telephony.app import create_app

    return ThreadedServer(create_app(settings),
                          ws_max_size=settings.stream.max_message_bytes).start()


def _call_left_by(url: str, server: str, *, number: str = ALEX, stream: bool = True,
                  lease_seconds: float = 3600.0) -> str:
    """A call as ``server`` writes it while carrying it (leased to it), then never ends."""
    records = Records(url, owner=server, lease_seconds=lease_seconds)
    call_sid = _sid()
    records.start_call(call_sid=call_sid, stream_sid="MZ" + secrets.token_hex(16) if stream
                       else "", account_sid="AC1", from_number=number, to_number="+1555000",
                       language="en")
    records.add_turn(call_sid, 0, intent="greeting", reply_text="Hello.")
    records.close()
    return call_sid


def _handoff(store: HandoffStore, call_sid: str, number: str = ALEX) -> str:
    return store.create(call_sid=call_sid, queue="front_desk", reason="caller_asked_for_person",
                        request="", briefing={"reason": "caller_asked_for_person"},
                        agents=["+15550002222"], state={"caller_number": number})


async def test_start_up_closes_what_a_killed_server_left_and_spares_live_calls(settings):
    url = settings.database_url
    store = HandoffStore(url)
    mine = _call_left_by(url, "node-a")  # this server, killed a moment ago: lease still valid
    elsewhere = _call_left_by(url, "node-b")  # another server's call, in progress
    expired = _call_left_by(url, "node-b", lease_seconds=-5)  # node-b died a while ago
    no_stream = _call_left_by(url, "node-a", stream=False)  # answered, stream never came
    legacy = _sid()  # written before leases existed, long ago
    old = Records(url)
    old.start_call(call_sid=legacy, stream_sid="MZ1", account_sid="AC1", from_number=ALEX,
                   to_number="+1555000", language="en")
    with old.engine.begin() as conn:
        conn.execute(update(calls).where(calls.c.call_sid == legacy)
                     .values(started_at=time.time() - 3600))
    anonymous = _call_left_by(url, "node-a", number="")
    waiting = _handoff(store, mine)  # stored, never placed
    theirs = _handoff(store, elsewhere)  # node-b is placing it
    nobody = _handoff(store, anonymous, number="")  # no number to call back
    ringing = _handoff(store, expired)
    assert store.transition(ringing, "dialing", expect={"pending"}, agent_call_sid="CA-agent")
    for handoff_id in (waiting, theirs, nobody):
        assert store.get(handoff_id)["status"] in OFFERED  # on the desk, as waiting

    server = _server(settings)
    try:
        for call_sid, reason in ((mine, "server_lost"), (expired, "server_lost"),
                                 (no_stream, "no_stream"), (legacy, "server_lost"),
                                 (anonymous, "server_lost")):
            call = old.call(call_sid)
            assert call["ended_at"] is not None and call["end_reason"] == reason, call_sid
            assert call["events"][-1]["kind"] == reason
            assert call_sid == legacy or call["turns"], "what was written is kept"
        assert old.call(elsewhere)["ended_at"] is None  # node-b still carries it

        back = store.get(waiting)
        assert (back["status"], back["callback_number"]) == ("callback", ALEX)
        assert back["status"] not in OFFERED
        assert "server_lost" in [e["kind"] for e in store.events(waiting)]
        assert store.get(nobody)["status"] == "withdrawn"
        assert store.get(theirs)["status"] == "pending"
        assert store.get(ringing)["status"] == "dialing"  # Twilio's callbacks carry it on

        # A heartbeat later: node-b's lease on its call runs out (it died), and the next sweep
        # closes the call and turns its handoff into a callback.
        with old.engine.begin() as conn:
            conn.execute(update(calls).where(calls.c.call_sid == elsewhere)
                         .values(lease_until=time.time() - 1))
        await until(lambda: old.call(elsewhere)["ended_at"])
        assert old.call(elsewhere)["end_reason"] == "server_lost"
        await until(lambda: store.get(theirs)["status"] == "callback")
    finally:
        server.stop()
        old.close()
        store.close()


async def test_a_live_call_keeps_its_lease_and_ends_as_it_ends(settings):
    """A stream held open over many leases (one second each) is renewed, never swept."""
    server = _server(settings)
    records = Records(settings.database_url)
    call_sid = _sid()
    try:
        stream_url, token = await _answer(server, call_sid)
        async with connect_stream(stream_url) as ws:
            await ws.send(CONNECTED)
            await ws.send(_start(call_sid, token))
            first = await until(lambda: (c := records.call(call_sid)) and c["stream_sid"]
                                 and c["lease_until"])
            listening = asyncio.ensure_future(_drain(ws))
            await until(lambda: records.call(call_sid)["lease_until"] > first + 3.0)
            listening.cancel()
            call = records.call(call_sid)
            assert call["ended_at"] is None and call["owner"] == "node-a"
        call = await _ended(records, call_sid)  # the caller hung up
        assert call["end_reason"] == "caller_hung_up"
    finally:
        server.stop()
        records.close()


async def _drain(ws) -> None:
    """Read (and drop) what the agent sends, so the stream stays open."""
    try:
        async for _ in ws:
            pass
    except websockets.ConnectionClosed:
        pass


def _call(**values: Any) -> dict[str, Any]:
    return {"call_sid": "CA1", "owner": "node-a", "lease_until": 100.0, "started_at": 10.0,
            "ended_at": None, "stream_sid": "MZ1", "from_number": ALEX, **values}


@pytest.mark.parametrize(("call", "live", "starting", "reason"), [
    (_call(), set(), True, "server_lost"),  # ours, from before the restart
    (_call(), set(), False, None),  # ours, lease running
    (_call(lease_until=40.0), {"CA1"}, False, None),  # live here, renewal late
    (_call(lease_until=40.0), set(), False, "server_lost"),
    (_call(owner="node-b"), set(), True, None),  # another server's, lease running
    (_call(owner="node-b", lease_until=40.0), set(), True, "server_lost"),
    (_call(owner=None, lease_until=None, started_at=45.0), set(), True, None),  # old, recent
    (_call(owner=None, lease_until=None), set(), True, "server_lost"),
    (_call(stream_sid=""), set(), True, "no_stream"),
    (_call(ended_at=20.0), set(), True, None),
])
def test_which_calls_are_stale(call, live, starting, reason) -> None:
    assert call_end_reason(call, me="node-a", live=live, now=50.0, starting=starting,
                           lease_seconds=10.0) == reason


@pytest.mark.parametrize(("status", "held", "updated_at", "number", "outcome"), [
    ("pending", False, 49.0, ALEX, ("callback", ALEX)),
    ("offered", False, 49.0, ALEX, ("callback", ALEX)),
    ("pending", False, 49.0, "", ("withdrawn", "")),
    ("pending", True, 0.0, ALEX, None),  # its call is live somewhere
    ("returned", False, 45.0, ALEX, None),  # the caller's new stream is on its way
    ("returned", False, 30.0, ALEX, ("callback", ALEX)),
    ("dialing", False, 0.0, ALEX, None),
    ("callback", False, 0.0, ALEX, None),
])
def test_which_handoffs_are_left_behind(status, held, updated_at, number,
                                              outcome) -> None:
    handoff = {"status": status, "updated_at": updated_at, "callback_number": None}
    assert stale_handoff(handoff, call_held=held, now=50.0, grace_seconds=10.0,
                         caller_number=number) == outcome


def test_a_lease_shorter_than_two_heartbeats_is_refused() -> None:
    with pytest.raises(ValueError, match="at least twice heartbeat_seconds"):
        RecoverySettings(heartbeat_seconds=30, lease_seconds=40)
