"""The agent desktop (/desk): handoffs live, the briefing, accept or decline, notes.

/desk      a page (telephony/static/desk.*, plain JavaScript, no build step) where an agent
           signs in and sees handoffs arrive live over Server-Sent Events (/desk/events),
           reads the briefing, accepts or declines, and saves notes and an outcome.
/api       the same handoffs and the call records, for a CRM (``telephony.desk_api``; served by
           this router too).

The handoffs table is the source of truth: the event stream polls it, so a handoff written by
another server process, or before a restart, appears like any other. Accept and decline are
compare-and-set transitions on it, so two agents (or an agent and the phone keypad) never both
win. ``post_briefing_webhook`` (``telephony.webhooks``) pushes a new handoff to an optional,
signed webhook.

Sessions are signed cookies (``telephony.auth``, keyed by ``FRONTDESK_DESK__SESSION_SECRET``;
HttpOnly, SameSite=Strict); every POST also needs a header a cross-site form cannot send (the
session's CSRF token, or ``X-Requested-With`` for signing in and out).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from loguru import logger

from config import Settings
from telephony.auth import SESSION_SECONDS, LoginThrottle, Session, Sessions
from telephony.desk_api import (
    NO_STORE,
    DeskStores,
    StoresDependency,
    api_router,
    default_stores,
    handoff_json,
)
from telephony.desk_api import error_response as _error
from telephony.webhooks import post_briefing_webhook, sign_webhook

__all__ = [
    "OUTCOMES",
    "DeskStores",
    "desk_router",
    "handoff_json",
    "post_briefing_webhook",
    "sign_webhook",
]

STATIC = Path(__file__).parent / "static"
COOKIE = "frontdesk_desk"
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
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
ENABLE_HINT = ("""Set FRONTDESK_DESK__AGENTS='{"alice": "a long password"}' (one entry per """
               "agent) and FRONTDESK_DESK__SESSION_SECRET to a long random string, then restart.")


def _sessions(settings: Settings) -> Sessions:
    secret = settings.desk.session_secret.get_secret_value()
    if not secret and settings.desk.agents:
        logger.warning("FRONTDESK_DESK__SESSION_SECRET is not set: desk sessions are signed "
                       "with a random key and end when this process restarts.")
    return Sessions(secret, settings.desk.agents, default_role="agent", purpose="desk")


def _asset(name: str, media_type: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type=media_type,
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def _sse(event: str, data: Any, event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


def desk_router(settings: Settings, stores: StoresDependency | None = None, *,
                poll_seconds: float = 0.25, keepalive_seconds: float = 15.0,
                stream_seconds: float = 30.0) -> APIRouter:
    """The desktop's routes, and the API's (``telephony.desk_api``).

    ``stores`` gives the HandoffStore and Records for a request (default: the app runtime's,
    or stores opened on ``settings.database_url``). An event stream ends after
    ``stream_seconds`` (the browser reconnects at once and resumes from its last event), so
    a server shutting down never waits long for an open desktop.
    """
    router = APIRouter()
    sessions = _sessions(settings)
    throttle = LoginThrottle()
    get_stores = stores or default_stores(settings)
    uses = Depends(get_stores)
    router.include_router(api_router(settings, get_stores))
    secure_cookie = settings.public_url.startswith("https://")

    def enabled() -> bool:
        return bool(settings.desk.agents)

    def session_of(request: Request) -> Session | None:
        return sessions.read(request.cookies.get(COOKIE)) if enabled() else None

    def poster(request: Request) -> Session | JSONResponse:
        """The session of a signed-in agent's POST carrying its CSRF token; else the refusal
        to send."""
        session = session_of(request)
        if session is None:
            return _error(401, "Sign in first.")
        token = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(token.encode(), session.csrf.encode()):
            return _error(403, "Missing or wrong X-CSRF-Token header.")
        return session

    # -- the page --------------------------------------------------------------------------

    page_headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}

    @router.get("/desk", include_in_schema=False)
    async def desk_page(request: Request) -> HTMLResponse:
        session = session_of(request)
        state = {"enabled": enabled(), "user": session and session.user,
                 "csrf": session and session.csrf, "hint": ENABLE_HINT,
                 "outcomes": list(OUTCOMES)}
        text = (STATIC / "desk.html").read_text(encoding="utf-8")
        blob = json.dumps(state).replace("<", "\\u003c").replace(">", "\\u003e") \
            .replace("&", "\\u0026")
        return HTMLResponse(text.replace("__DESK_STATE__", blob), headers=page_headers)

    @router.get("/desk/desk.js", include_in_schema=False)
    async def desk_js() -> FileResponse:
        return _asset("desk.js", "text/javascript")

    @router.get("/desk/desk.css", include_in_schema=False)
    async def desk_css() -> FileResponse:
        return _asset("desk.css", "text/css")

    @router.get("/desk/session", include_in_schema=False)
    async def desk_session(request: Request) -> JSONResponse:
        session = session_of(request)
        if session is None:
            return _error(401, "Not signed in.")
        return JSONResponse({"user": session.user, "csrf": session.csrf, "role": session.role},
                            headers=NO_STORE)

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
        response = JSONResponse({"user": user, "csrf": csrf}, headers=NO_STORE)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, path="/", httponly=True,
                            samesite="strict",
                            secure=secure_cookie or request.url.scheme == "https")
        logger.info(f"desk: {user} signed in from {client}")
        return response

    @router.post("/desk/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        if request.headers.get("x-requested-with") != REQUESTED_WITH:
            return _error(403, f"Missing X-Requested-With: {REQUESTED_WITH} header.")
        response = JSONResponse({"signed_out": True}, headers=NO_STORE)
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
            yield _sse("ready", {"user": session.user, "now": time.time()})
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
        session = poster(request)
        if isinstance(session, JSONResponse):
            return session
        user = session.user
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
        return JSONResponse(handoff_json(row), headers=NO_STORE)

    @router.post("/desk/handoffs/{handoff_id}/accept", include_in_schema=False)
    async def accept(handoff_id: str, request: Request, stores: DeskStores = uses) -> Response:
        return await _move(request, stores, handoff_id, "accepted")

    @router.post("/desk/handoffs/{handoff_id}/decline", include_in_schema=False)
    async def decline(handoff_id: str, request: Request,
                      stores: DeskStores = uses) -> Response:
        return await _move(request, stores, handoff_id, "declined")

    @router.post("/desk/handoffs/{handoff_id}/notes", include_in_schema=False)
    async def notes(handoff_id: str, request: Request, stores: DeskStores = uses) -> Response:
        session = poster(request)
        if isinstance(session, JSONResponse):
            return session
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
                                        outcome=outcome, agent=session.user)
        if not saved:
            return _error(404, "No such handoff.")
        row = await asyncio.to_thread(store.get, handoff_id)
        return JSONResponse(handoff_json(row or {}), headers=NO_STORE)

    return router
