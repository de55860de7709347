"""The agent desktop (/desk) and the handoff and call-record API (/api).

/desk      a page (telephony/static/desk.*, plain JavaScript, no build step) where an agent
           signs in and sees handoffs arrive live over Server-Sent Events (/desk/events),
           reads the briefing, accepts or declines, and saves notes and an outcome.
/api       the same handoffs and the call records with their transcripts, for a CRM or a
           helpdesk to pull (Bearer ``FRONTDESK_DESK__API_TOKEN``; no token: the API is off).

The handoffs table is the source of truth: the event stream polls it, so a handoff written by
another server process, or before a restart, appears like any other. Accept and decline are
compare-and-set transitions on it, so two agents (or an agent and the phone keypad) never both
win. ``post_briefing_webhook`` pushes a new handoff to an optional, signed webhook.

Sessions are signed cookies (HMAC-SHA256 with ``FRONTDESK_DESK__SESSION_SECRET``; HttpOnly,
SameSite=Strict); every POST also needs a header a cross-site form cannot send (the session's
CSRF token, or ``X-Requested-With`` for signing in and out).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from loguru import logger

from config import Settings
from telephony.handoffs import HandoffStore
from telephony.records import Records

__all__ = [
    "DeskStores",
    "OUTCOMES",
    "desk_router",
    "handoff_json",
    "post_briefing_webhook",
    "sign_webhook",
]

STATIC = Path(__file__).parent / "static"
COOKIE = "frontdesk_desk"
SESSION_SECONDS = 12 * 3600
OUTCOMES = ("resolved", "follow_up", "escalated")
# Statuses in which an agent can still take (or turn down) the call.
OFFERED = frozenset({"pending", "dialing", "briefing"})
REQUESTED_WITH = "frontdesk-desk"
MAX_NOTES = 20_000
# The event stream re-reads this much before its cursor, so a row committed late (its
# updated_at taken before another row's) or by a server whose clock is a little behind is
# still sent; rows already sent unchanged are skipped.
OVERLAP_SECONDS = 2.0
SNAPSHOT_SECONDS = 24 * 3600
LOGIN_FAILURES = 10  # per (client address, username) per LOGIN_WINDOW, then 429
LOGIN_WINDOW = 300.0
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
ENABLE_HINT = ("""Set FRONTDESK_DESK__AGENTS='{"alice": "a long password"}' (one entry per """
               "agent) and FRONTDESK_DESK__SESSION_SECRET to a long random string, then restart.")


@dataclass(frozen=True)
class DeskStores:
    handoffs: HandoffStore
    records: Records


StoresDependency = Callable[[Request], DeskStores]


def default_stores(settings: Settings) -> StoresDependency:
    """The app runtime's stores when it has them (``runtime.handoffs``, ``runtime.records``),
    otherwise stores opened once on ``settings.database_url``."""
    own: list[DeskStores] = []
    lock = threading.Lock()

    def stores(request: Request) -> DeskStores:  # sync: FastAPI runs it in a thread
        runtime = getattr(request.app.state, "runtime", None)
        handoffs = getattr(runtime, "handoffs", None)
        records = getattr(runtime, "records", None)
        if handoffs is not None and records is not None:
            return DeskStores(handoffs, records)
        with lock:
            if not own:
                own.append(DeskStores(HandoffStore(settings.database_url),
                                      Records(settings.database_url)))
        return DeskStores(handoffs or own[0].handoffs, records or own[0].records)

    return stores


# -- JSON shapes ---------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """Something json.dumps takes as it is (database rows may hold odd types)."""
    return json.loads(json.dumps(value, default=str))


def handoff_json(row: dict[str, Any]) -> dict[str, Any]:
    """A handoff as the desktop, the API and the webhook show it (not the routing list)."""
    briefing = row.get("briefing")
    return _plain({
        "id": row.get("id"),
        "call_sid": row.get("call_sid"),
        "status": row.get("status"),
        "queue": row.get("queue"),
        "reason": row.get("reason"),
        "request": row.get("request") or "",
        "created_at": row.get("created_at"),
        "updated_at": row.get("updated_at"),
        "attempt": row.get("attempt"),
        "agent_number": row.get("agent_number"),
        "agent_call_sid": row.get("agent_call_sid"),
        "accepted_by": row.get("accepted_by"),
        "notes": row.get("notes"),
        "outcome": row.get("outcome"),
        "briefing": briefing if isinstance(briefing, dict) else {},
    })


def _transcript(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Caller and agent lines of a call, in order (what the caller heard, when known)."""
    lines: list[dict[str, Any]] = []
    for turn in turns:
        said = turn.get("caller_text") or (
            f"[keypad] {turn['caller_dtmf']}" if turn.get("caller_dtmf") else "")
        if said:
            lines.append({"at": turn.get("caller_ended_at") or turn.get("caller_started_at"),
                          "speaker": "caller", "text": said})
        reply = turn.get("heard_text") or turn.get("reply_text")
        if reply:
            lines.append({"at": turn.get("replied_at"), "speaker": "agent", "text": reply,
                          "interrupted": bool(turn.get("interrupted"))})
    return lines


# -- sessions ------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Stateless signed session cookies: {user, expiry, csrf token, password fingerprint}."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.desk.session_secret.get_secret_value()
        if not secret and settings.desk.agents:
            logger.warning("FRONTDESK_DESK__SESSION_SECRET is not set: desk sessions are signed "
                           "with a random key and end when this process restarts.")
        self.key = hashlib.sha256(b"frontdesk-desk-session\0" + (
            secret.encode() if secret else secrets.token_bytes(32))).digest()
        self.settings = settings

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest())

    def _fingerprint(self, user: str) -> str:
        password = self.settings.desk.agents[user].get_secret_value()
        return self._mac(f"pw\0{user}\0{password}")[:16]

    def issue(self, user: str) -> tuple[str, str]:
        csrf = secrets.token_urlsafe(24)
        payload = _b64(json.dumps({"u": user, "e": int(time.time()) + SESSION_SECONDS,
                                   "c": csrf, "p": self._fingerprint(user)}).encode())
        return f"{payload}.{self._mac(payload)}", csrf

    def read(self, cookie: str | None) -> dict[str, str] | None:
        """{"user", "csrf"} of a valid, unexpired session of a still-configured agent whose
        password has not changed since; None otherwise."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            user, expires, csrf, fingerprint = data["u"], data["e"], data["c"], data["p"]
        except (ValueError, KeyError, TypeError):
            return None
        if (not isinstance(user, str) or user not in self.settings.desk.agents
                or not isinstance(expires, int) or expires < time.time()
                or not hmac.compare_digest(str(fingerprint), self._fingerprint(user))):
            return None
        return {"user": user, "csrf": str(csrf)}

    def check_password(self, username: str, password: str) -> str | None:
        """The agent's name when the password is right. The same work for unknown names."""
        agents = self.settings.desk.agents
        matched = None
        for name, secret in agents.items():
            name_ok = hmac.compare_digest(name.encode(), username.encode())
            password_ok = hmac.compare_digest(secret.get_secret_value().encode(),
                                              password.encode())
            if name_ok and password_ok and secret.get_secret_value():
                matched = name
        return matched


class LoginThrottle:
    """At most LOGIN_FAILURES wrong passwords for one username from one client address per
    LOGIN_WINDOW (per address and name, so agents behind one proxy don't lock each other out)."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        now = time.monotonic()
        failures = self.failures.setdefault(client, deque())
        while failures and failures[0] < now - LOGIN_WINDOW:
            failures.popleft()
        if len(self.failures) > 10_000:  # never grows without bound
            self.failures = {k: v for k, v in self.failures.items() if v}
        return failures

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= LOGIN_FAILURES

    def failed(self, client: str) -> None:
        self._recent(client).append(time.monotonic())


# -- the router ----------------------------------------------------------------------------

def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def _sse(event: str, data: Any, event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


def desk_router(settings: Settings, stores: StoresDependency | None = None, *,
                poll_seconds: float = 0.25, keepalive_seconds: float = 15.0,
                stream_seconds: float = 30.0) -> APIRouter:
    """The desktop and API routes.

    ``stores`` gives the HandoffStore and Records for a request (default: the app runtime's,
    or stores opened on ``settings.database_url``). An event stream ends after
    ``stream_seconds`` (the browser reconnects at once and resumes from its last event), so
    a server shutting down never waits long for an open desktop.
    """
    router = APIRouter()
    sessions = Sessions(settings)
    throttle = LoginThrottle()
    get_stores = stores or default_stores(settings)
    uses = Depends(get_stores)
    secure_cookie = settings.public_url.startswith("https://")

    def enabled() -> bool:
        return bool(settings.desk.agents)

    def session_of(request: Request) -> dict[str, str] | None:
        return sessions.read(request.cookies.get(COOKIE)) if enabled() else None

    def refused_post(request: Request) -> JSONResponse | None:
        """None for a signed-in agent's POST carrying the session's CSRF token."""
        session = session_of(request)
        if session is None:
            return _error(401, "Sign in first.")
        token = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(token.encode(), session["csrf"].encode()):
            return _error(403, "Missing or wrong X-CSRF-Token header.")
        return None

    # -- the page --------------------------------------------------------------------------

    page_headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}

    @router.get("/desk", include_in_schema=False)
    async def desk_page(request: Request) -> HTMLResponse:
        session = session_of(request)
        state = {"enabled": enabled(), "user": session and session["user"],
                 "csrf": session and session["csrf"], "hint": ENABLE_HINT,
                 "outcomes": list(OUTCOMES)}
        text = (STATIC / "desk.html").read_text(encoding="utf-8")
        blob = json.dumps(state).replace("<", "\\u003c").replace(">", "\\u003e") \
            .replace("&", "\\u0026")
        return HTMLResponse(text.replace("__DESK_STATE__", blob), headers=page_headers)

    @router.get("/desk/desk.js", include_in_schema=False)
    async def desk_js() -> FileResponse:
        return FileResponse(STATIC / "desk.js", media_type="text/javascript",
                            headers={"Cache-Control": "no-cache",
                                     "X-Content-Type-Options": "nosniff"})

    @router.get("/desk/desk.css", include_in_schema=False)
    async def desk_css() -> FileResponse:
        return FileResponse(STATIC / "desk.css", media_type="text/css",
                            headers={"Cache-Control": "no-cache",
                                     "X-Content-Type-Options": "nosniff"})

    @router.get("/desk/session", include_in_schema=False)
    async def desk_session(request: Request) -> JSONResponse:
        session = session_of(request)
        if session is None:
            return _error(401, "Not signed in.")
        return JSONResponse(session, headers={"Cache-Control": "no-store"})

    @router.post("/desk/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        if not enabled():
            return _error(404, "The agent desktop is off. " + ENABLE_HINT)
        if request.headers.get("x-requested-with") != REQUESTED_WITH:
            return _error(403, f"Missing X-Requested-With: {REQUESTED_WITH} header.")
        client = request.client.host if request.client else "?"
        form = await request.form()
        username, password = form.get("username"), form.get("password")
        attempt = f"{client}\0{str(username).strip().lower()[:64]}"
        if throttle.blocked(attempt):
            return _error(429, "Too many failed sign-ins. Wait a few minutes and try again.")
        user = None
        if isinstance(username, str) and isinstance(password, str):
            user = sessions.check_password(username.strip(), password)
        if user is None:
            throttle.failed(attempt)
            logger.warning(f"desk: failed sign-in from {client}")
            await asyncio.sleep(0.2)
            return _error(401, "Wrong username or password.")
        cookie, csrf = sessions.issue(user)
        response = JSONResponse({"user": user, "csrf": csrf},
                                headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, path="/", httponly=True,
                            samesite="strict",
                            secure=secure_cookie or request.url.scheme == "https")
        logger.info(f"desk: {user} signed in from {client}")
        return response

    @router.post("/desk/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        if request.headers.get("x-requested-with") != REQUESTED_WITH:
            return _error(403, f"Missing X-Requested-With: {REQUESTED_WITH} header.")
        response = JSONResponse({"signed_out": True}, headers={"Cache-Control": "no-store"})
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # -- live handoffs -----------------------------------------------------------------------

    @router.get("/desk/events", include_in_schema=False)
    async def desk_events(request: Request, stores: DeskStores = uses) -> Response:
        session = session_of(request)
        if session is None:
            return _error(401, "Sign in first.")
        try:
            resume = float(request.headers.get("last-event-id", ""))
        except ValueError:
            resume = None
        store = stores.handoffs

        async def stream() -> AsyncIterator[bytes]:
            sent: dict[str, float] = {}  # handoff id -> updated_at last sent
            # Resuming (the browser reconnected): changes after its last event. Otherwise the
            # handoffs of the last day, then changes.
            cursor = resume if resume is not None else time.time() - SNAPSHOT_SECONDS
            started = time.monotonic()
            quiet_since = started
            failing = False
            yield b"retry: 500\n\n"
            if resume is None:
                rows = await asyncio.to_thread(store.list, since=cursor, limit=100)
                for row in reversed(rows):  # oldest first, so the newest ends on top
                    sent[row["id"]] = row["updated_at"]
                    cursor = max(cursor, row["updated_at"])
                    yield _sse("handoff", handoff_json(row), repr(cursor))
            yield _sse("ready", {"user": session["user"], "now": time.time()})
            while time.monotonic() - started < stream_seconds:
                if await request.is_disconnected():
                    return
                await asyncio.sleep(poll_seconds)
                try:
                    rows = await asyncio.to_thread(
                        store.list, since=cursor - OVERLAP_SECONDS, limit=500)
                    failing = False
                except Exception as exc:  # a busy or briefly unreachable database: retry
                    if not failing:
                        logger.warning(f"desk events: reading handoffs failed: {exc}")
                    failing = True
                    rows = []
                fresh = [r for r in reversed(rows) if sent.get(r["id"]) != r["updated_at"]]
                for row in fresh:
                    sent[row["id"]] = row["updated_at"]
                    cursor = max(cursor, row["updated_at"])
                    yield _sse("handoff", handoff_json(row), repr(cursor))
                if fresh:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= keepalive_seconds:
                    quiet_since = time.monotonic()
                    yield b": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={
            "Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # -- agent actions -----------------------------------------------------------------------

    async def _move(request: Request, stores: DeskStores, handoff_id: str,
                    status: str) -> Response:
        refused = refused_post(request)
        if refused is not None:
            return refused
        user = session_of(request)["user"]  # type: ignore[index]
        store = stores.handoffs
        fields = {"accepted_by": user} if status == "accepted" else {}
        moved = await asyncio.to_thread(store.transition, handoff_id, status, expect=OFFERED,
                                        **fields)
        row = await asyncio.to_thread(store.get, handoff_id)
        if row is None:
            return _error(404, "No such handoff.")
        if not moved:
            who = f" by {row['accepted_by']}" if row.get("accepted_by") else ""
            return _error(409, f"This handoff is already {row['status']}{who}.",
                          handoff=handoff_json(row))
        if status != "accepted":
            await asyncio.to_thread(store.add_event, handoff_id, "desk",
                                    {"agent": user, "action": status})
        logger.info(f"desk: {user} {status} handoff {handoff_id}")
        return JSONResponse(handoff_json(row), headers={"Cache-Control": "no-store"})

    @router.post("/desk/handoffs/{handoff_id}/accept", include_in_schema=False)
    async def accept(handoff_id: str, request: Request, stores: DeskStores = uses) -> Response:
        return await _move(request, stores, handoff_id, "accepted")

    @router.post("/desk/handoffs/{handoff_id}/decline", include_in_schema=False)
    async def decline(handoff_id: str, request: Request,
                      stores: DeskStores = uses) -> Response:
        return await _move(request, stores, handoff_id, "declined")

    @router.post("/desk/handoffs/{handoff_id}/notes", include_in_schema=False)
    async def notes(handoff_id: str, request: Request, stores: DeskStores = uses) -> Response:
        refused = refused_post(request)
        if refused is not None:
            return refused
        user = session_of(request)["user"]  # type: ignore[index]
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "Send JSON: {\"notes\": \"...\", \"outcome\": \"resolved\"}.")
        if not isinstance(body, dict):
            return _error(400, "Send a JSON object.")
        text, outcome = body.get("notes", ""), body.get("outcome") or None
        if not isinstance(text, str) or len(text) > MAX_NOTES:
            return _error(422, f"notes must be text of at most {MAX_NOTES} characters.")
        if outcome is not None and outcome not in OUTCOMES:
            return _error(422, f"outcome must be one of {', '.join(OUTCOMES)}.")
        store = stores.handoffs
        saved = await asyncio.to_thread(store.save_notes, handoff_id, notes=text,
                                        outcome=outcome, agent=user)
        if not saved:
            return _error(404, "No such handoff.")
        row = await asyncio.to_thread(store.get, handoff_id)
        return JSONResponse(handoff_json(row or {}), headers={"Cache-Control": "no-store"})

    # -- the API -----------------------------------------------------------------------------

    def api_refusal(request: Request) -> JSONResponse | None:
        token = settings.desk.api_token.get_secret_value()
        if not token:
            return _error(404, "The API is off (set FRONTDESK_DESK__API_TOKEN).")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 token.encode()):
            return JSONResponse({"error": "A valid Authorization: Bearer token is required."},
                                status_code=401, headers={"WWW-Authenticate": "Bearer",
                                                          "Cache-Control": "no-store"})
        return None

    api_headers = {"Cache-Control": "no-store"}

    @router.get("/api/handoffs")
    async def api_handoffs(request: Request, since: float = Query(0.0, ge=0),
                           limit: int = Query(50, ge=1, le=500),
                           stores: DeskStores = uses) -> Response:
        """Handoffs updated after ``since`` (a Unix time), newest first. Pull again with
        ``since`` set to the largest ``updated_at`` you have seen."""
        refused = api_refusal(request)
        if refused is not None:
            return refused
        rows = await asyncio.to_thread(stores.handoffs.list, since=since, limit=limit)
        return JSONResponse({"handoffs": [handoff_json(r) for r in rows], "now": time.time()},
                            headers=api_headers)

    @router.get("/api/handoffs/{handoff_id}")
    async def api_handoff(handoff_id: str, request: Request,
                          stores: DeskStores = uses) -> Response:
        """One handoff with its briefing and its events (status changes, notes)."""
        refused = api_refusal(request)
        if refused is not None:
            return refused
        row = await asyncio.to_thread(stores.handoffs.get, handoff_id)
        if row is None:
            return _error(404, "No such handoff.")
        events = await asyncio.to_thread(stores.handoffs.events, handoff_id)
        return JSONResponse({**handoff_json(row), "events": _plain(
            [{k: e.get(k) for k in ("at", "kind", "detail")} for e in events])},
            headers=api_headers)

    @router.get("/api/calls/{call_sid}")
    async def api_call(call_sid: str, request: Request, stores: DeskStores = uses) -> Response:
        """A call record: its turns (with the transcript they make), events and handoffs."""
        refused = api_refusal(request)
        if refused is not None:
            return refused
        call = await asyncio.to_thread(stores.records.call, call_sid)
        if call is None:
            return _error(404, "No such call.")
        found = await asyncio.to_thread(stores.handoffs.for_call, call_sid)
        body = _plain({**call, "transcript": _transcript(call.get("turns", [])),
                       "handoffs": [handoff_json(h) for h in found]})
        return JSONResponse(body, headers=api_headers)

    return router


# -- the webhook ---------------------------------------------------------------------------

def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body`` (the timestamp is signed
    too, so a receiver can refuse old deliveries replayed)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def post_briefing_webhook(settings: Settings, handoff: dict[str, Any],
                                client: httpx.AsyncClient, *, timeout_seconds: float = 3.0) -> bool:
    """POST a new handoff (``handoff_json`` of its row) to ``settings.desk.webhook_url``.

    Headers: ``X-Frontdesk-Event: handoff.created``, ``X-Frontdesk-Timestamp`` (Unix
    seconds) and ``X-Frontdesk-Signature: sha256=<hex>`` (``sign_webhook``). True when the
    receiver answered 2xx; failures are logged, never raised (the call goes on).
    """
    url = settings.desk.webhook_url
    if not url:
        return False
    body = json.dumps(handoff_json(handoff), separators=(",", ":"), default=str).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Frontdesk-Event": "handoff.created",
               "X-Frontdesk-Timestamp": timestamp, "User-Agent": "frontdesk-webhook"}
    secret = settings.desk.webhook_secret.get_secret_value()
    if secret:
        headers["X-Frontdesk-Signature"] = sign_webhook(secret, timestamp, body)
    else:
        logger.warning("desk webhook: FRONTDESK_DESK__WEBHOOK_SECRET is not set; posting "
                       "the briefing unsigned")
    try:
        response = await client.post(url, content=body, headers=headers,
                                     timeout=timeout_seconds)
    except Exception as exc:  # a webhook never breaks a call
        logger.warning(f"desk webhook: POST for handoff {handoff.get('id')} failed: "
                       f"{type(exc).__name__}: {exc}")
        return False
    if not response.is_success:
        logger.warning(f"desk webhook: POST for handoff {handoff.get('id')} answered "
                       f"{response.status_code}")
        return False
    return True
