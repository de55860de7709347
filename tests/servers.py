"""Real servers on loopback for the call tests: frontdesk itself, and a scripted
Twilio-compatible REST fake that records what it was asked."""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

__all__ = ["FakeTwilio", "ThreadedServer", "free_port"]


async def until(find: Callable[[], Any], within: float = 20.0) -> Any:
    """What ``find`` (blocking, run in a thread) returns once it is truthy; fails after
    ``within`` seconds (a bound on a wait for another task's write, never a timing claim)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(find)
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThreadedServer:
    """uvicorn in its own thread and event loop, so the test's loop plays Twilio."""

    def __init__(self, app, *, port: int | None = None, ws_max_size: int = 16 * 1024 * 1024,
                 drain_seconds: float | None = None):
        """``drain_seconds``: frontdesk's own server (``telephony.drain``), which drains when
        ``server.handle_exit`` is called (as a signal would: none reaches this thread)."""
        self.port = port or free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                ws_max_size=ws_max_size, lifespan="on")
        if drain_seconds is None:
            self.server = uvicorn.Server(config)
        else:
            from telephony.drain import DrainingServer

            self.server = DrainingServer(config, state=app.state, drain_seconds=drain_seconds)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


F = TypeVar("F")


def on_loopback(fake: F) -> Iterator[F]:
    """For a fixture: ``fake.app()`` served on loopback while it is in use, at ``fake.url``."""
    server = ThreadedServer(fake.app()).start()  # type: ignore[attr-defined]
    fake.url = server.url  # type: ignore[attr-defined]
    yield fake
    server.stop()


@dataclass
class FakeTwilio:
    """Answers the Calls and Messages resources like api.twilio.com, recording every request:
    updates of a call (redirect, hang up), new outbound calls (``created``, each given a CA...
    SID) and text messages (``messages``, each given an SM... SID). ``refuse_to`` lists numbers
    whose new calls or messages fail (HTTP 400), like an invalid number; ``fail_messages``
    makes that many next message requests fail with HTTP 503 (recorded in
    ``message_attempts``, as every message request is). ``call_faults`` are the answers (status,
    headers) the next requests on the Calls resource get instead, one each, in order (counted in
    ``call_attempts``)."""

    account_sid: str
    auth_token: str
    requests: list[dict] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    refuse_to: set[str] = field(default_factory=set)
    messages: list[dict] = field(default_factory=list)
    message_attempts: list[dict] = field(default_factory=list)
    fail_messages: int = 0
    call_faults: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    call_attempts: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()
        expected = "Basic " + base64.b64encode(
            f"{self.account_sid}:{self.auth_token}".encode()).decode()

        def fault() -> JSONResponse | None:
            self.call_attempts += 1
            if not self.call_faults:
                return None
            status, headers = self.call_faults.pop(0)
            return JSONResponse({"code": 20500, "message": "busy"}, status_code=status,
                                headers=headers)

        @app.post("/2010-04-01/Accounts/{account}/Calls.json")
        async def create_call(account: str, request: Request) -> JSONResponse:
            if request.headers.get("authorization") != expected or account != self.account_sid:
                return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
            if (answer := fault()) is not None:
                return answer
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
            if form.get("To") in self.refuse_to:
                return JSONResponse({"code": 21211, "message": "Invalid 'To' Phone Number"},
                                    status_code=400)
            sid = "CA" + secrets.token_hex(16)
            self.created.append({"sid": sid, "form": form, "at": time.time()})
            return JSONResponse({"sid": sid, "status": "queued", "to": form.get("To")},
                                status_code=201)

        @app.post("/2010-04-01/Accounts/{account}/Messages.json")
        async def create_message(account: str, request: Request) -> JSONResponse:
            if request.headers.get("authorization") != expected or account != self.account_sid:
                return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
            self.message_attempts.append({"form": form, "at": time.time()})
            if self.fail_messages > 0:
                self.fail_messages -= 1
                return JSONResponse({"code": 20500, "message": "Internal Server Error"},
                                    status_code=503)
            if form.get("To") in self.refuse_to:
                return JSONResponse({"code": 21211, "message": "Invalid 'To' Phone Number"},
                                    status_code=400)
            if not form.get("Body") or not (form.get("From") or
                                            form.get("MessagingServiceSid")):
                return JSONResponse({"code": 21602, "message": "Message body and From are "
                                     "required"}, status_code=400)
            sid = "SM" + secrets.token_hex(16)
            self.messages.append({"sid": sid, "to": form.get("To"), "from": form.get("From"),
                                  "body": form.get("Body"), "form": form, "at": time.time()})
            return JSONResponse({"sid": sid, "status": "queued", "to": form.get("To"),
                                 "body": form.get("Body")}, status_code=201)

        @app.post("/2010-04-01/Accounts/{account}/Calls/{call_sid}.json")
        async def update_call(account: str, call_sid: str, request: Request) -> JSONResponse:
            if request.headers.get("authorization") != expected or account != self.account_sid:
                return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
            if (answer := fault()) is not None:
                return answer
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
            self.requests.append({"call_sid": call_sid, "form": form, "at": time.time()})
            return JSONResponse({"sid": call_sid, "status": form.get("Status", "in-progress")})

        return app

    def for_call(self, call_sid: str) -> list[dict]:
        return [r for r in self.requests if r["call_sid"] == call_sid]

    def messages_to(self, number: str) -> list[dict]:
        return [m for m in self.messages if m["to"] == number]
