"""The agent desktop's routes and the handoff/call API, over real HTTP on loopback.

The app here is the desk router alone (no voice models): ``FastAPI()`` + ``desk_router``, its
stores opened on a temporary SQLite database that the tests write to directly, as the call
path would.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from servers import ThreadedServer, free_port
from sqlalchemy import update

from config.settings import Settings
from telephony.records.store import Records, calls
from telephony.retry import RetryPolicy
from telephony.transfer.handoffs import HandoffStore, handoffs
from telephony.web.desk import desk_router, handoff_json, post_briefing_webhook
from telephony.web.passwords import hash_password
from telephony.web.throttle import Backoff, LoginThrottle

PASSWORDS = {"alice": "correct horse battery staple", "bob": "tr0ub4dor&3 long enough"}
API_TOKEN = "api-token-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
SESSION_SECRET = "session-secret-0123456789abcdef0123456789abcdef"
WEBHOOK_SECRET = "webhook-secret-fedcba9876543210"
SECRETS = [*PASSWORDS.values(), API_TOKEN, SESSION_SECRET, WEBHOOK_SECRET]
XRW = {"X-Requested-With": "frontdesk-desk"}


def desk_settings(data_dir: Path, **desk: Any) -> Settings:
    values: dict[str, Any] = {"agents": PASSWORDS, "api_token": API_TOKEN,
                              "session_secret": SESSION_SECRET,
                              "webhook_secret": WEBHOOK_SECRET}
    values.update(desk)
    return Settings(data_dir=data_dir, desk=values)


def briefing(call_sid: str, **extra: Any) -> dict[str, Any]:
    return {
        "call_sid": call_sid, "caller_number": "+15555550123", "verified": True,
        "customer_id": "G-1001",
        "customer": {"name": "Maria Lopez", "room": "412", "loyalty": "gold"},
        "language": "en", "intent": "billing_dispute",
        "summary": "Guest disputes a minibar charge of $48 on her final bill.",
        "bullets": ["Checked out this morning", "Says she never opened the minibar"],
        "sentiment_now": -0.62, "sentiment_label": "negative", "sentiment_trend": "worsening",
        "sentiment_scores": [0.1, -0.2, -0.45, -0.62],
        "frustration": 0.72, "frustration_reasons": ["rephrasing", "raised_voice"],
        "transcript": [
            {"at": 1.2, "speaker": "agent", "text": "Thank you for calling. How can I help?"},
            {"at": 4.8, "speaker": "caller", "text": "There is a minibar charge I never made."},
            {"at": 9.0, "speaker": "caller", "text": "I want to talk to a person please."},
        ],
        "tools": [
            {"name": "find_guest", "args": {"phone": "+15555550123"}, "allowed": True,
             "reason": "", "result": {"found": True}},
            {"name": "refund", "args": {"amount": 48}, "allowed": False,
             "reason": "needs_verified", "result": None},
        ],
        "reason": "caller_asked_for_person", "reason_text": "The caller asked for a person.",
        "request": "remove the minibar charge",
        "suggested_next_step": "Check the minibar log for room 412 and refund if unopened.",
        "created_at": time.time(), **extra,
    }


def new_handoff(store: HandoffStore, call_sid: str = "CA" + "1" * 32, **extra: Any) -> str:
    return store.create(call_sid=call_sid, queue="front_desk", reason="caller_asked_for_person",
                        request="remove the minibar charge", briefing=briefing(call_sid, **extra),
                        agents=["+15550001111"])


class Desk:
    """A desk-only frontdesk on loopback with direct access to its database."""

    def __init__(self, settings: Settings, **router_options: Any) -> None:
        self.settings = settings
        app = FastAPI()
        app.include_router(desk_router(settings, **router_options))
        self.server = ThreadedServer(app).start()
        self.url = self.server.url
        self.store = HandoffStore(settings.database_url)
        self.records = Records(settings.database_url)
        self.clients: list[httpx.Client] = []

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=5.0, **kwargs)

    def signed_in(self, user: str = "alice") -> tuple[httpx.Client, str]:
        """A client with an agent's session cookie (closed with the server) and its CSRF
        token."""
        client = self.client()
        self.clients.append(client)
        response = client.post("/desk/login", data={"username": user,
                                                    "password": PASSWORDS[user]}, headers=XRW)
        assert response.status_code == 200, response.text
        return client, response.json()["csrf"]

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.server.stop()
        self.store.close()
        self.records.close()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    served = Desk(desk_settings(tmp_path_factory.mktemp("desk")))
    yield served
    served.close()


# -- Server-Sent Events, read with httpx -------------------------------------------------

class EventReader:
    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()

    def next(self) -> tuple[str, Any, str | None]:
        event, data, event_id = "message", [], None
        for line in self.lines:
            if not line:
                if data:
                    return event, json.loads("\n".join(data)), event_id
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                event_id = value
        raise EOFError("stream ended")

    def until(self, predicate) -> tuple[str, Any, str | None]:
        while True:
            item = self.next()
            if predicate(item):
                return item


# -- the page and signing in -----------------------------------------------------------------

def test_page_and_assets(desk: Desk) -> None:
    with desk.client() as client:
        page = client.get("/desk")
        assert page.status_code == 200
        assert "default-src 'self'" in page.headers["content-security-policy"]
        state = json.loads(page.text.split('type="application/json">')[1].split("</script>")[0])
        assert state["enabled"] is True and state["user"] is None
        assert client.get("/desk/desk.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/desk/desk.css").status_code == 200
        for secret in SECRETS:
            assert secret not in page.text


def test_desk_off_without_agents(tmp_path: Path) -> None:
    off = Desk(desk_settings(tmp_path, agents={}, api_token=""))
    try:
        with off.client() as client:
            page = client.get("/desk")
            assert page.status_code == 200
            assert '"enabled": false' in page.text
            assert "FRONTDESK_DESK__AGENTS" in page.text
            login = client.post("/desk/login", data={"username": "a", "password": "b"},
                                headers=XRW)
            assert login.status_code == 404
            assert client.get("/desk/events").status_code == 401
            # No API token: the API is off.
            assert client.get("/api/handoffs",
                              headers={"Authorization": "Bearer x"}).status_code == 404
    finally:
        off.close()


def test_login(desk: Desk) -> None:
    with desk.client() as client:
        ok = client.post("/desk/login", data={"username": "alice",
                                              "password": PASSWORDS["alice"]}, headers=XRW)
        assert ok.status_code == 200
        assert ok.json()["user"] == "alice" and len(ok.json()["csrf"]) >= 24
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert PASSWORDS["alice"] not in ok.headers["set-cookie"]
        assert client.get("/desk/session").json()["user"] == "alice"
        page = client.get("/desk")
        assert '"user": "alice"' in page.text
        out = client.post("/desk/logout", headers=XRW)
        assert out.status_code == 200
        assert client.get("/desk/session").status_code == 401


def test_login_refused(desk: Desk) -> None:
    with desk.client() as client:
        wrong = client.post("/desk/login", data={"username": "alice", "password": "nope"},
                            headers=XRW)
        unknown = client.post("/desk/login", data={"username": "mallory", "password": "nope"},
                              headers=XRW)
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == {"error": "Wrong username or password."}
        assert "set-cookie" not in wrong.headers
        # A cross-site form cannot add the header.
        bare = client.post("/desk/login", data={"username": "alice",
                                                "password": PASSWORDS["alice"]})
        assert bare.status_code == 403


def test_hashed_passwords_sign_in_and_concurrent_wrong_tries_all_count(
        tmp_path: Path) -> None:
    """Agents configured by hash (argon2id, bcrypt). Twelve wrong tries sent at once, each
    checked in a thread: all twelve count, so the address then waits (10 are free)."""
    bob_hash = bcrypt.hashpw(PASSWORDS["bob"].encode(), bcrypt.gensalt(rounds=4)).decode()
    hashed = Desk(desk_settings(tmp_path, agents={"alice": hash_password(PASSWORDS["alice"]),
                                                  "bob": bob_hash}))
    try:
        for user in ("alice", "bob"):
            hashed.signed_in(user)

        async def wrong_tries() -> list[int]:
            async with httpx.AsyncClient(base_url=hashed.url, timeout=30.0) as client:
                replies = await asyncio.gather(*(client.post(
                    "/desk/login", data={"username": "alice", "password": f"guess {n}"},
                    headers=XRW) for n in range(12)))
            return [r.status_code for r in replies]

        codes = asyncio.run(wrong_tries())
        assert sorted(codes) == [401] * 10 + [429] * 2, codes  # counted as heard, not as checked
        with hashed.client() as client:
            late = client.post("/desk/login", data={"username": "alice",
                                                    "password": PASSWORDS["alice"]}, headers=XRW)
        assert late.status_code == 429  # even the right password waits now
    finally:
        hashed.close()


def test_logout_ends_the_session_on_the_server(desk: Desk) -> None:
    """A cookie kept from before signing out is refused everywhere, though its signature
    and expiry are still good."""
    handoff_id = new_handoff(desk.store, "CA" + "9" * 32)
    client, csrf = desk.signed_in("bob")
    kept = client.cookies["frontdesk_desk"]
    assert client.post("/desk/logout", headers=XRW).status_code == 200
    with desk.client() as replay:
        replay.cookies.set("frontdesk_desk", kept)
        assert replay.get("/desk/session").status_code == 401
        assert replay.get("/desk/events").status_code == 401
        assert replay.post(f"/desk/handoffs/{handoff_id}/accept",
                           headers={"X-CSRF-Token": csrf}).status_code == 401
        assert '"user": null' in replay.get("/desk").text
    assert desk.store.get(handoff_id)["status"] == "pending"
    # Signing out ends that session only: the agent's other sign-in goes on.
    other, _ = desk.signed_in("bob")
    assert other.get("/desk/session").json()["user"] == "bob"


def _from(address: str) -> dict[str, str]:
    """Headers of a sign-in from ``address`` (the test server is uvicorn with its default
    proxy headers: X-Forwarded-For from loopback is believed)."""
    return {**XRW, "X-Forwarded-For": address}


def _stopped_clock() -> float:
    """The throttle's clock in these tests: no wait ever runs out while a test runs."""
    return 1000.0


def test_a_locked_out_address_does_not_lock_out_the_user(tmp_path: Path) -> None:
    guarded = Desk(desk_settings(tmp_path), throttle=LoginThrottle(clock=_stopped_clock))
    wrong = {"username": "bob", "password": "x"}
    right = {"username": "bob", "password": PASSWORDS["bob"]}
    try:
        with guarded.client() as client:
            codes = [client.post("/desk/login", data=wrong,
                                 headers=_from("198.51.100.7")).status_code for _ in range(12)]
            assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
            refused = client.post("/desk/login", data=right, headers=_from("198.51.100.7"))
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            # Bob, from his own address, signs in.
            assert client.post("/desk/login", data=right,
                               headers=_from("203.0.113.20")).status_code == 200
    finally:
        guarded.close()


def test_many_usernames_from_one_address_are_throttled(tmp_path: Path) -> None:
    guarded = Desk(desk_settings(tmp_path), throttle=LoginThrottle(clock=_stopped_clock))
    try:
        with guarded.client() as client:
            codes = [client.post("/desk/login", data={"username": f"user{i}", "password": "x"},
                                 headers=_from("198.51.100.8")).status_code for i in range(11)]
            assert codes[:10] == [401] * 10 and codes[10] == 429
            assert int(client.post("/desk/login", data={"username": "alice", "password": "x"},
                                   headers=_from("198.51.100.8")).headers["retry-after"]) > 0
    finally:
        guarded.close()


def test_a_global_cap_slows_a_distributed_attempt(tmp_path: Path) -> None:
    """Wrong passwords from many addresses, each under its own limit, reach the cap on all
    sign-ins; an address that signed in before is not held up by it."""
    throttle = LoginThrottle(everyone=Backoff(free=20, window_seconds=900, first_wait=5,
                                              max_wait=60), clock=_stopped_clock)
    guarded = Desk(desk_settings(tmp_path), throttle=throttle)
    right = {"username": "alice", "password": PASSWORDS["alice"]}
    try:
        with guarded.client() as client:
            assert client.post("/desk/login", data=right,
                               headers=_from("203.0.113.30")).status_code == 200
            codes = [client.post("/desk/login", data={"username": "alice", "password": "x"},
                                 headers=_from(f"10.0.{i}.1")).status_code for i in range(22)]
            assert codes[:20] == [401] * 20 and codes[20:] == [429, 429]
            fresh = client.post("/desk/login", data=right, headers=_from("203.0.113.31"))
            assert fresh.status_code == 429 and int(fresh.headers["retry-after"]) > 0
            assert client.post("/desk/login", data=right,
                               headers=_from("203.0.113.30")).status_code == 200
    finally:
        guarded.close()


def test_session_required(desk: Desk) -> None:
    handoff_id = new_handoff(desk.store)
    with desk.client() as client:
        assert client.get("/desk/events").status_code == 401
        assert client.post(f"/desk/handoffs/{handoff_id}/accept",
                           headers={"X-CSRF-Token": "x"}).status_code == 401
        client.cookies.set("frontdesk_desk", "forged.cookie")
        assert client.get("/desk/events").status_code == 401
    client, csrf = desk.signed_in()
    # Signed in, but without the CSRF header (what a cross-site form would send).
    assert client.post(f"/desk/handoffs/{handoff_id}/accept").status_code == 403
    assert client.post(f"/desk/handoffs/{handoff_id}/accept",
                       headers={"X-CSRF-Token": csrf + "x"}).status_code == 403
    assert desk.store.get(handoff_id)["status"] == "pending"


# -- live handoffs ----------------------------------------------------------------------------

def test_events_deliver_existing_and_new_handoffs(desk: Desk) -> None:
    existing = new_handoff(desk.store, "CA" + "2" * 32)
    client, _ = desk.signed_in()
    with client.stream("GET", "/desk/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = EventReader(response)
        seen = {}
        kind, data, _ = events.next()
        while kind != "ready":
            seen[data["id"]] = data
            kind, data, _ = events.next()
        assert existing in seen
        first = seen[existing]
        assert first["status"] == "pending" and first["queue"] == "front_desk"
        assert first["briefing"]["summary"].startswith("Guest disputes")
        assert "agents" not in first

        created: dict[str, float] = {}

        def create() -> None:
            time.sleep(0.3)
            created["at"] = time.time()
            created["id"] = new_handoff(desk.store, "CA" + "3" * 32)

        thread = threading.Thread(target=create)
        thread.start()
        _, data, event_id = events.until(lambda e: e[0] == "handoff" and e[1]["id"] != existing
                                         and e[1]["call_sid"] == "CA" + "3" * 32)
        delay = time.time() - created["at"]
        thread.join()
        print(f"SSE: new handoff delivered {delay * 1000:.0f} ms after it was created")
        assert data["id"] == created["id"] and delay < 1.0
        assert event_id is not None and float(event_id) >= data["updated_at"]

        # A status change is an event too.
        desk.store.transition(created["id"], "dialing", expect={"pending"},
                              agent_call_sid="CA" + "9" * 32)
        _, data, _ = events.until(lambda e: e[0] == "handoff" and e[1]["id"] == created["id"])
        assert data["status"] == "dialing"
    # The client went away: the server's stream ends (nothing left running for it).
    deadline = time.monotonic() + 2.0
    while desk.server.server.server_state.tasks and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not desk.server.server.server_state.tasks


def test_events_leave_out_old_handoffs(desk: Desk) -> None:
    old = new_handoff(desk.store, "CA" + "6" * 32)
    with desk.store.engine.begin() as conn:
        conn.execute(update(handoffs).where(handoffs.c.id == old).values(
            updated_at=time.time() - 3 * 24 * 3600))
    client, _ = desk.signed_in()
    with client.stream("GET", "/desk/events") as response:
        events = EventReader(response)
        seen = {events.until(lambda e: e[0] in ("handoff", "ready"))[1].get("id")}
        while None not in seen:  # until "ready" (it has no id)
            seen.add(events.next()[1].get("id"))
        marker = new_handoff(desk.store, "CA" + "8" * 32)  # polls after the snapshot
        while marker not in seen:
            seen.add(events.next()[1].get("id"))
    assert old not in seen


def test_signing_out_ends_an_open_event_stream(desk: Desk) -> None:
    client, _ = desk.signed_in("bob")
    with client.stream("GET", "/desk/events") as response:
        events = EventReader(response)
        events.until(lambda e: e[0] == "ready")
        assert client.post("/desk/logout", headers=XRW).status_code == 200
        with pytest.raises(EOFError):  # long before the stream's 30 seconds
            while True:
                events.next()


def test_events_resume_after_reconnect(tmp_path: Path) -> None:
    short = Desk(desk_settings(tmp_path), stream_seconds=0.6)
    try:
        new_handoff(short.store, "CA" + "4" * 32)
        client, _ = short.signed_in()
        with client.stream("GET", "/desk/events") as response:
            events = EventReader(response)
            _, _, last_id = events.until(lambda e: e[0] == "handoff")
            events.until(lambda e: e[0] == "ready")
            with pytest.raises(EOFError):  # the stream ends by itself
                while True:
                    events.next()
        later = new_handoff(short.store, "CA" + "5" * 32)
        with client.stream("GET", "/desk/events",
                           headers={"Last-Event-ID": str(last_id)}) as response:
            events = EventReader(response)
            _, data, _ = events.until(lambda e: e[0] == "handoff" and
                                      e[1]["id"] == later)
            assert data["status"] == "pending"
    finally:
        short.close()


# -- accept, decline, notes -------------------------------------------------------------------

def test_accept_then_second_accept_conflicts(desk: Desk) -> None:
    handoff_id = new_handoff(desk.store)
    alice, alice_csrf = desk.signed_in("alice")
    bob, bob_csrf = desk.signed_in("bob")
    ok = alice.post(f"/desk/handoffs/{handoff_id}/accept",
                    headers={"X-CSRF-Token": alice_csrf})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "accepted" and ok.json()["accepted_by"] == "alice"
    late = bob.post(f"/desk/handoffs/{handoff_id}/accept", headers={"X-CSRF-Token": bob_csrf})
    assert late.status_code == 409
    assert "accepted by alice" in late.json()["error"]
    assert late.json()["handoff"]["status"] == "accepted"
    decline = bob.post(f"/desk/handoffs/{handoff_id}/decline",
                       headers={"X-CSRF-Token": bob_csrf})
    assert decline.status_code == 409
    missing = alice.post("/desk/handoffs/nope/accept", headers={"X-CSRF-Token": alice_csrf})
    assert missing.status_code == 404
    row = desk.store.get(handoff_id)
    assert row["status"] == "accepted" and row["accepted_by"] == "alice"
    kinds = [e["kind"] for e in desk.store.events(handoff_id)]
    assert kinds == ["created", "accepted"]


def test_decline(desk: Desk) -> None:
    handoff_id = new_handoff(desk.store)
    desk.store.transition(handoff_id, "briefing", expect={"pending"})
    client, csrf = desk.signed_in("bob")
    response = client.post(f"/desk/handoffs/{handoff_id}/decline",
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    again = client.post(f"/desk/handoffs/{handoff_id}/accept", headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409
    events = desk.store.events(handoff_id)
    assert [e["kind"] for e in events] == ["created", "briefing", "declined", "desk"]
    assert events[-1]["detail"] == {"agent": "bob", "action": "declined"}


def test_notes_saved(desk: Desk) -> None:
    handoff_id = new_handoff(desk.store)
    client, csrf = desk.signed_in()
    headers = {"X-CSRF-Token": csrf}
    saved = client.post(f"/desk/handoffs/{handoff_id}/notes", headers=headers,
                        json={"notes": "Refunded $48; minibar log shows no use.",
                              "outcome": "resolved"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["outcome"] == "resolved"
    bad = client.post(f"/desk/handoffs/{handoff_id}/notes", headers=headers,
                      json={"notes": "x", "outcome": "shrug"})
    assert bad.status_code == 422
    assert client.post(f"/desk/handoffs/{handoff_id}/notes", headers=headers,
                       content=b"not json").status_code == 400
    assert client.post("/desk/handoffs/nope/notes", headers=headers,
                       json={"notes": "x"}).status_code == 404
    row = desk.store.get(handoff_id)
    assert row["notes"] == "Refunded $48; minibar log shows no use."
    assert row["outcome"] == "resolved"
    assert desk.store.events(handoff_id)[-1]["detail"] == {"agent": "alice",
                                                             "outcome": "resolved"}


# -- the API ------------------------------------------------------------------------------------

def test_api_auth(desk: Desk) -> None:
    with desk.client() as client:
        assert client.get("/api/handoffs").status_code == 401
        wrong = client.get("/api/handoffs", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/handoffs",
                          headers={"Authorization": f"Basic {API_TOKEN}"}).status_code == 401
        assert client.get("/api/calls/CA1").status_code == 401
        assert client.get("/api/handoffs/x").status_code == 401
        # A desk session is not an API credential.
    alice, _ = desk.signed_in()
    assert alice.get("/api/handoffs").status_code == 401


def test_api_content(desk: Desk) -> None:
    call_sid = "CA" + "7" * 32
    desk.records.start_call(call_sid=call_sid, stream_sid="MZ1", account_sid="AC1",
                            from_number="+15555550123", to_number="+15550009999",
                            language="en")
    desk.records.add_turn(call_sid, 0, caller_text="There is a minibar charge I never made.",
                          caller_ended_at=time.time(), reply_text="I'm sorry to hear that.",
                          heard_text="I'm sorry to hear that.", replied_at=time.time())
    desk.records.add_turn(call_sid, 1, caller_dtmf="0", reply_text="Connecting you now.",
                          replied_at=time.time())
    desk.records.add_event(call_sid, "transfer", {"queue": "front_desk"})
    before = time.time()
    handoff_id = new_handoff(desk.store, call_sid)
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    with desk.client(headers=auth) as client:
        listed = client.get("/api/handoffs", params={"since": before - 0.001, "limit": 10})
        assert listed.status_code == 200
        ids = [h["id"] for h in listed.json()["handoffs"]]
        assert handoff_id in ids
        assert client.get("/api/handoffs", params={"limit": 0}).status_code == 422
        later = client.get("/api/handoffs", params={"since": time.time() + 60})
        assert later.json()["handoffs"] == []

        one = client.get(f"/api/handoffs/{handoff_id}").json()
        assert one["briefing"]["summary"].startswith("Guest disputes")
        assert [e["kind"] for e in one["events"]] == ["created"]
        assert client.get("/api/handoffs/nope").status_code == 404

        call = client.get(f"/api/calls/{call_sid}")
        assert call.status_code == 200
        body = call.json()
        assert [t["turn_index"] for t in body["turns"]] == [0, 1]
        assert [(line["speaker"], line["text"]) for line in body["transcript"]] == [
            ("caller", "There is a minibar charge I never made."),
            ("agent", "I'm sorry to hear that."),
            ("caller", "[keypad] 0"),
            ("agent", "Connecting you now."),
        ]
        assert [e["kind"] for e in body["events"]] == ["transfer"]
        assert [h["id"] for h in body["handoffs"]] == [handoff_id]
        assert client.get("/api/calls/CA-none").status_code == 404
        for response in (listed, call):
            for secret in SECRETS:
                assert secret not in response.text


def test_api_lists_calls(tmp_path: Path) -> None:
    served = Desk(desk_settings(tmp_path))
    try:
        records, store = served.records, served.store
        for n, sid in enumerate(["CA" + "c" * 32, "CA" + "d" * 32, "CA" + "e" * 32]):
            records.start_call(call_sid=sid, stream_sid=f"MZ{n}", account_sid="AC1",
                               from_number=f"+1555000000{n}", to_number="+15550009999",
                               language="en")
            with records.engine.begin() as conn:  # started a minute apart, oldest first
                conn.execute(update(calls).where(calls.c.call_sid == sid)
                             .values(started_at=1_750_000_000.0 + 60 * n))
            for turn in range(n + 1):
                records.add_turn(sid, turn, caller_text="hi", reply_text="Hello.")
        older, middle, newest = ("CA" + c * 32 for c in "cde")
        first = new_handoff(store, middle)
        second = new_handoff(store, middle)
        records.end_call(older, "hangup")  # ended now: changed after any ``since`` below
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        with served.client(headers=auth) as client:
            listed = client.get("/api/calls")
            assert listed.status_code == 200
            found = listed.json()["calls"]
            assert [c["call_sid"] for c in found] == [newest, middle, older]  # newest first
            assert found[1] == {
                "call_sid": middle, "from_number": "+15550000001", "to_number": "+15550009999",
                "started_at": 1_750_000_060.0, "ended_at": None, "end_reason": None,
                "language": "en", "outcome": None, "outcome_reason": None,
                "repeated_by": None, "turn_count": 2, "handoff_ids": [first, second]}
            assert (found[2]["end_reason"], found[2]["turn_count"], found[2]["handoff_ids"]) \
                == ("hangup", 1, [])
            since = {"since": 1_750_000_030.0}
            assert [c["call_sid"] for c in client.get("/api/calls", params=since)
                    .json()["calls"]] == [newest, middle, older]  # older: it ended since
            assert [c["call_sid"] for c in client.get(
                "/api/calls", params={**since, "limit": 1}).json()["calls"]] == [newest]
            assert client.get("/api/calls", params={"since": time.time() + 60}).json()[
                "calls"] == []
            for bad in ({"limit": 0}, {"limit": 201}, {"since": -1}):
                assert client.get("/api/calls", params=bad).status_code == 422
            # The KPIs of the calls that started in a period (telephony.records.report).
            report = client.get("/api/report", params={"since": 1_750_000_000.0,
                                                       "until": 1_750_000_070.0}).json()
            assert report["calls"] == 2 and report["undecided"] == 2
            assert report["by_outcome"]["resolved"] == 0
            assert client.get("/api/report").status_code == 422  # since is required
        with served.client() as client:
            assert client.get("/api/report", params={"since": 0}).status_code == 401
            assert client.get("/api/calls").status_code == 401
            assert client.get("/api/calls",
                              headers={"Authorization": "Bearer nope"}).status_code == 401
    finally:
        served.close()


# -- the webhook ------------------------------------------------------------------------------

class Receiver:
    """A loopback webhook receiver that checks the signature like a real one would."""

    def __init__(self, secret: str) -> None:
        self.received: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            timestamp = request.headers.get("x-frontdesk-timestamp", "")
            expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(expected, request.headers.get(
                "x-frontdesk-signature", ""))
            fresh = abs(time.time() - int(timestamp or 0)) < 300
            self.received.append({"valid": valid and fresh, "body": json.loads(body),
                                  "event": request.headers.get("x-frontdesk-event")})
            return JSONResponse({"ok": valid}, status_code=200 if valid else 401)

        self.server = ThreadedServer(app).start()
        self.url = self.server.url + "/hook"


async def test_webhook_signed(tmp_path: Path) -> None:
    receiver = Receiver(WEBHOOK_SECRET)
    store = HandoffStore(f"sqlite:///{tmp_path / 'hook.db'}")
    try:
        row = store.get(new_handoff(store))
        settings = desk_settings(tmp_path, webhook_url=receiver.url)
        async with httpx.AsyncClient() as client:
            assert await post_briefing_webhook(settings, row, client) is True
            # A receiver with another secret refuses it: the signature covers the body.
            other = desk_settings(tmp_path, webhook_url=receiver.url, webhook_secret="other")
            assert await post_briefing_webhook(other, row, client) is False
        first, second = receiver.received
        assert first["valid"] and not second["valid"]
        assert first["event"] == "handoff.created"
        assert first["body"] == handoff_json(row)
        assert first["body"]["briefing"]["summary"].startswith("Guest disputes")
    finally:
        receiver.server.stop()
        store.close()


QUICK = RetryPolicy(attempts=2, first_wait=0.05, max_wait=0.1, longest_wait=1.0)


async def test_a_busy_receiver_gets_the_briefing_again(tmp_path: Path) -> None:
    answers = [503, 200]
    seen: list[float] = []
    app = FastAPI()

    @app.post("/hook")
    async def hook() -> JSONResponse:
        seen.append(time.monotonic())
        return JSONResponse({}, status_code=answers.pop(0))

    server = ThreadedServer(app).start()
    try:
        async with httpx.AsyncClient() as client:
            settings = desk_settings(tmp_path, webhook_url=server.url + "/hook")
            assert await post_briefing_webhook(settings, {"id": "h1"}, client,
                                               policy=QUICK) is True
    finally:
        server.stop()
    assert len(seen) == 2 and not answers


async def test_webhook_failures_are_not_raised(tmp_path: Path) -> None:
    row = {"id": "h1", "briefing": {"summary": "x"}}
    async with httpx.AsyncClient() as client:
        nobody = desk_settings(tmp_path, webhook_url=f"http://127.0.0.1:{free_port()}/hook")
        assert await post_briefing_webhook(nobody, row, client, policy=QUICK) is False
        off = desk_settings(tmp_path, webhook_url="")
        assert await post_briefing_webhook(off, row, client) is False

    slow_app = FastAPI()

    @slow_app.post("/hook")
    async def slow() -> JSONResponse:
        await asyncio.sleep(2)
        return JSONResponse({})

    slow_server = ThreadedServer(slow_app).start()
    try:
        async with httpx.AsyncClient() as client:
            settings = desk_settings(tmp_path, webhook_url=slow_server.url + "/hook")
            started = time.monotonic()
            assert await post_briefing_webhook(settings, row, client, timeout_seconds=0.3,
                                               policy=QUICK) is False
            assert time.monotonic() - started < 1.5  # two tries of 0.3 s, not the 2 s answer
    finally:
        slow_server.stop()


def test_in_the_app_with_runtime_stores(tmp_path: Path) -> None:
    """create_app serves the desk, with the runtime's stores when it has them."""
    from types import SimpleNamespace

    from telephony.app import create_app

    url = f"sqlite:///{tmp_path / 'runtime.db'}"
    runtime = SimpleNamespace(handoffs=HandoffStore(url), records=Records(url), active_calls=0)
    settings = desk_settings(tmp_path / "settings")  # another database: must not be used
    server = ThreadedServer(create_app(settings, runtime=runtime)).start()  # type: ignore[arg-type]
    try:
        handoff_id = new_handoff(runtime.handoffs)
        with httpx.Client(base_url=server.url, timeout=5.0) as client:
            assert client.get("/desk").status_code == 200
            found = client.get(f"/api/handoffs/{handoff_id}",
                               headers={"Authorization": f"Bearer {API_TOKEN}"})
            assert found.status_code == 200 and found.json()["status"] == "pending"
            login = client.post("/desk/login", data={"username": "bob",
                                                     "password": PASSWORDS["bob"]}, headers=XRW)
            accepted = client.post(f"/desk/handoffs/{handoff_id}/accept",
                                   headers={"X-CSRF-Token": login.json()["csrf"]})
            assert accepted.status_code == 200
        assert runtime.handoffs.get(handoff_id)["accepted_by"] == "bob"
    finally:
        server.stop()
        runtime.handoffs.close()
        runtime.records.close()
