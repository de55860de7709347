"""Two frontdesk server processes on one PostgreSQL database, behind one public URL, as behind a
load balancer with WebSocket support (each request may reach either server):

- a rules version saved on server A is the one a new call on server B runs under;
- a call whose webhook reached A streams to B (the stream token A minted is good on B, once);
- the handoff B creates for it shows live on a desk signed in to A (Server-Sent Events);
- Twilio's status callback for the agent leg lands on A, which moves the handoff on;
- wrong passwords tried on A hold the address up on B (the sign-in throttle is shared).

The servers are `frontdesk serve` processes with the real models; the caller presses 0 (the
operator), so no speech is needed. Twilio's REST API is the loopback fake."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN
from postgres import PostgresServer, postgres  # noqa: F401 (the fixture)
from servers import FakeTwilio, free_port, until
from test_warm_transfer import Twilio

from config import Settings
from telephony.cli.simulator import CallerStep, resume_call, webhook_params
from telephony.records.store import Records
from telephony.transfer.handoffs import HandoffStore

pytestmark = pytest.mark.asyncio

PUBLIC = "http://lb.frontdesk.test"  # the load balancer's name (http: the cookies are not "secure")
AGENT = ("ann", "a long agent password")
ADMIN = ("ada", "a long admin password")
MARKER = "You are on one of two servers."


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log: Path


@dataclass
class Pair:
    a: Server
    b: Server
    database_url: str
    settings: Settings  # what Twilio (the simulator) knows: the public URL and the token


def _start(name: str, env: dict[str, str], folder: Path) -> Server:
    port = free_port()
    log = folder / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom telephony.cli.main import main\n"
                               "sys.exit(main(['serve']))"],
        env={**env, "FRONTDESK_PORT": str(port), "FRONTDESK_DATA_DIR": str(folder / name),
             "FRONTDESK_RECOVERY__INSTANCE_ID": name},
        stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return Server(name, f"http://127.0.0.1:{port}", process, log)


def _ready(server: Server, within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server {server.name} exited:\n"
                                 f"{server.log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"server {server.name} not ready:\n"
                         f"{server.log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def pair(postgres: PostgresServer, fake_twilio: FakeTwilio, models_dir: Path,  # noqa: F811
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("two-servers")
    database_url = postgres.new_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update({
        "FRONTDESK_HOST": "127.0.0.1", "FRONTDESK_PUBLIC_URL": PUBLIC,
        "FRONTDESK_DATABASE_URL": database_url, "FRONTDESK_MODELS_DIR": str(models_dir),
        "FRONTDESK_DEMO": "true", "FRONTDESK_DIALOG__BUSINESS": "support",
        "FRONTDESK_STT__LANGUAGE": "en",
        "FRONTDESK_TWILIO__ACCOUNT_SID": ACCOUNT_SID, "FRONTDESK_TWILIO__AUTH_TOKEN": AUTH_TOKEN,
        "FRONTDESK_TWILIO__API_BASE_URL": fake_twilio.url,  # type: ignore[attr-defined]
        "FRONTDESK_DESK__AGENTS": json.dumps({AGENT[0]: AGENT[1]}),
        "FRONTDESK_DESK__SESSION_SECRET": "one secret for the desk on both servers",
        "FRONTDESK_ADMIN__USERS": json.dumps({ADMIN[0]: {"password": ADMIN[1],
                                                          "role": "admin"}}),
        "FRONTDESK_ADMIN__SESSION_SECRET": "one secret for the console on both servers",
    })
    # One at a time: both loading their models at once on two cores takes longer in all.
    a = _start("a", env, folder)
    _ready(a)
    b = _start("b", env, folder)
    _ready(b)
    settings = Settings(public_url=PUBLIC, twilio={"account_sid": ACCOUNT_SID,
                                                   "auth_token": AUTH_TOKEN})
    yield Pair(a, b, database_url, settings)
    for server in (a, b):
        server.process.terminate()
    for server in (a, b):
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()


def _save_rules(server: Server) -> int:
    """Sign in to the console and save the active rules with a new greeting: its version."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        login = client.post("/admin/login", data={"username": ADMIN[0], "password": ADMIN[1]},
                            headers={"X-Requested-With": "frontdesk-admin"})
        assert login.status_code == 200, login.text
        csrf = {"X-CSRF-Token": login.json()["csrf"]}
        active = client.get("/admin/api/rules").json()
        source = active["source"].replace("I'm the virtual assistant.",
                                          f"I'm the virtual assistant. {MARKER}", 1)
        assert source != active["source"]
        saved = client.post("/admin/api/rules", headers=csrf, json={
            "source": source, "based_on": active["version"]["id"], "comment": "two servers"})
        assert saved.status_code == 201, saved.text
        return int(saved.json()["id"])


async def _desk_events(server: Server, seen: list[dict], ready: asyncio.Event) -> None:
    """A desk signed in to ``server``, following its live handoffs."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        login = await client.post("/desk/login", data={"username": AGENT[0],
                                                      "password": AGENT[1]},
                                  headers={"X-Requested-With": "frontdesk-desk"})
        assert login.status_code == 200, login.text
        async with client.stream("GET", "/desk/events") as events:
            event = ""
            async for line in events.aiter_lines():
                if line.startswith("event: "):
                    event = line[len("event: "):]
                elif line.startswith("data: "):
                    if event == "ready":
                        ready.set()
                    elif event == "handoff":
                        seen.append(json.loads(line[len("data: "):]))


async def test_two_servers_share_one_database(pair: Pair, fake_twilio: FakeTwilio) -> None:
    version = await asyncio.to_thread(_save_rules, pair.a)
    seen: list[dict] = []
    ready = asyncio.Event()
    desk = asyncio.create_task(_desk_events(pair.a, seen, ready))
    records, handoffs = Records(pair.database_url), HandoffStore(pair.database_url)
    try:
        await asyncio.wait_for(ready.wait(), 30)
        # The webhook reaches A; the media stream (with the token A minted) reaches B.
        call_sid = "CA" + os.urandom(16).hex()
        params = webhook_params(call_sid, ACCOUNT_SID, "+15551234567", "+15559870000")
        twiml = await asyncio.to_thread(Twilio(pair.a.url, pair.settings).post,
                                        f"{PUBLIC}/twilio/voice", params)
        assert twiml.status_code == 200, twiml.text
        await resume_call(twiml.text, [CallerStep(dtmf="0")], call_sid=call_sid,
                          settings=pair.settings, voice=None, whisper=None,
                          base_url=pair.b.url, quiet_seconds=1.5)
        call = await until(lambda: records.call(call_sid))
        assert call["owner"] == "b"  # B carried the stream
        assert MARKER in call["turns"][0]["reply_text"]  # under the rules saved on A
        assert await until(lambda: next((t for t in records.call(call_sid)["turns"]
                                         if t.get("route")), None)) is not None
        routed = next(t for t in records.call(call_sid)["turns"] if t.get("route"))
        assert routed["route"]["version"] == version
        # The handoff B made shows on the desk signed in to A.
        [handoff] = await until(lambda: handoffs.for_call(call_sid))
        await until(lambda: any(h["id"] == handoff["id"] for h in seen), within=10)
        # Twilio's status callback for the agent leg lands on A, which moves the handoff on.
        dialed = await until(lambda: (h := handoffs.get(handoff["id"])) and
                             h["status"] == "dialing" and h["agent_call_sid"] and h)
        leg = next(c for c in fake_twilio.created if c["sid"] == dialed["agent_call_sid"])
        status_url = leg["form"]["StatusCallback"]
        assert status_url.startswith(f"{PUBLIC}/twilio/agent/{handoff['id']}/")
        posted = await asyncio.to_thread(Twilio(pair.a.url, pair.settings).post, status_url, {
            "CallSid": dialed["agent_call_sid"], "CallStatus": "no-answer",
            "SequenceNumber": "1", "AccountSid": ACCOUNT_SID})
        assert posted.status_code == 204, posted.text
        moved = await until(lambda: (h := handoffs.get(handoff["id"])) and (
            h["status"] != "dialing" or h["attempt"] > dialed["attempt"]) and h)
        assert moved["attempt"] > dialed["attempt"] or moved["status"] != "dialing"
        kinds = [e["kind"] for e in handoffs.events(handoff["id"])]
        assert "agent_no-answer" in kinds
        # Wrong passwords tried on A hold the address up on B.
        async with httpx.AsyncClient(timeout=30) as client:
            xrw = {"X-Requested-With": "frontdesk-desk"}
            for _ in range(10):
                wrong = await client.post(f"{pair.a.url}/desk/login", headers=xrw,
                                          data={"username": AGENT[0], "password": "guess"})
                assert wrong.status_code == 401
            held = await client.post(f"{pair.b.url}/desk/login", headers=xrw,
                                     data={"username": AGENT[0], "password": AGENT[1]})
            assert held.status_code == 429 and int(held.headers["retry-after"]) > 0
    finally:
        desk.cancel()
        await asyncio.gather(desk, return_exceptions=True)
        records.close()
        handoffs.close()
