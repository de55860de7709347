"""The agent desktop (/desk): handoffs live, the briefing, accept or decline, notes.

/desk      a page (telephony/web/static/desk.*, plain JavaScript, no build step) where an agent
           signs in and sees handoffs arrive live over Server-Sent Events (/desk/events),
           reads the briefing, accepts or declines, and saves notes and an outcome.
/api       the same handoffs and the call records, for a CRM (``telephony.web.desk_api``; served by
           this router too).

The handoffs table is the source of truth: the event stream polls it, so a handoff written by
another server process, or before a restart, appears like any other. Accept and decline are
compare-and-set transitions on it, so two agents (or an agent and the phone keypad) never both
win. ``post_briefing_webhook`` (``telephony.transfer.webhook``) pushes a new handoff to an optional,
signed webhook.

Sessions are signed cookies (``telephony.web.auth``, keyed by ``FRONTDESK_DESK__SESSION_SECRET``;
HttpOnly, SameSite=Strict) and rows in the database (signing out ends them); every POST also
needs a header a cross-site form cannot send (the session's CSRF token, or
``X-Requested-With`` for signing in and out).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from loguru import logger

from config import Settings
from telephony.transfer.webhook import post_briefing_webhook, sign_webhook
from telephony.web.auth import Session, Sessions
from telephony.web.desk_api import (
    NO_STORE,
    DeskStores,
    StoresDependency,
    api_router,
    default_stores,
    handoff_json,
)
from telephony.web.desk_api import error_response as _error
from telephony.web.signin import SignIn, signed_sessions, signin_routes
from telephony.web.throttle import LoginThrottle

__all__ = [
    "OUTCOMES",
    "DeskStores",
    "desk_router",
    "handoff_json",
    "post_briefing_webhook",
    "sign_webhook",
]

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
ENABLE_HINT = ("""Set FRONTDESK_DESK__AGENTS='{"alice": "a long password"}' (one entry per """
               "agent) and FRONTDESK_DESK__SESSION_SECRET to a long random string, then restart.")


def _sessions(settings: Settings) -> Sessions:
    return signed_sessions(settings.desk.session_secret.get_secret_value(), settings.desk.agents,
                           variable="FRONTDESK_DESK__SESSION_SECRET", page="desk",
                           database_url=settings.database_url, default_role="agent",
                           purpose="desk")


def _sse(event: str, data: Any, event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


def desk_router(settings: Settings, stores: StoresDependency | None = None, *,
                poll_seconds: float = 0.25, keepalive_seconds: float = 15.0,
                stream_seconds: float = 30.0,
                throttle: LoginThrottle | None = None) -> APIRouter:
    """The desktop's routes, and the API's (``telephony.web.desk_api``).

    ``stores`` gives the HandoffStore and Records for a request (default: the app runtime's,
    or stores opened on ``settings.database_url``). An event stream ends after
    ``stream_seconds`` (the browser reconnects at once and resumes from its last event), so
    a server shutting down never waits long for an open desktop. ``throttle``: the sign-in
    throttle (default: counted in the sessions' database, ``SignIn``).
    """
    router = APIRouter()
    sessions = _sessions(settings)
    get_stores = stores or default_stores(settings)
    uses = Depends(get_stores)
    router.include_router(api_router(settings, get_stores))
    secure_cookie = settings.public_url.startswith("https://")

    def enabled() -> bool:
        return bool(settings.desk.agents)

    # -- the page, its assets, signing in and out (``telephony.web.signin``) --------------------

    def page_state(session: Session | None) -> dict[str, Any]:
        return {"enabled": enabled(), "user": session and session.user,
                "csrf": session and session.csrf, "hint": ENABLE_HINT,
                "outcomes": list(OUTCOMES)}

    signin = SignIn(sessions, COOKIE, enabled, throttle)
    signin = signin_routes(router, signin, prefix="/desk",
                           name="desk", cookie_path="/", requested_with=REQUESTED_WITH,
                           off_message="The agent desktop is off. " + ENABLE_HINT,
                           secure_cookie=secure_cookie, state=page_state)
    session_of, poster = signin.session_of, signin.signed_in

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
                if await asyncio.to_thread(session_of, request) is None:
                    return  # signed out (or the agent removed): no more handoffs
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
