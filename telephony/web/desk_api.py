"""The handoff and call-record API (/api), for a CRM or a helpdesk to pull.

Bearer ``FRONTDESK_DESK__API_TOKEN``; no token: the API is off (404). Also the JSON shapes the
agent desktop and the webhook share with it (``handoff_json``), and the stores they read.

GET /api/handoffs            handoffs updated after ``since``, newest first
GET /api/handoffs/{id}       one handoff with its briefing and events
GET /api/calls               call records started or ended after ``since``, newest first
GET /api/calls/{call_sid}    one call record: turns, transcript, events and handoffs
GET /api/report              KPIs of the calls that started in [since, until)
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, or_, select

from config import Settings
from telephony.records.report import load_period, period_report
from telephony.records.store import Records, calls, turns
from telephony.transfer.handoffs import HandoffStore, handoffs

__all__ = [
    "NO_STORE",
    "DeskStores",
    "StoresDependency",
    "api_refusal",
    "api_router",
    "default_stores",
    "error_response",
    "handoff_json",
    "list_calls",
    "plain_json",
    "runtime_embed",
]

NO_STORE = {"Cache-Control": "no-store"}
_CALL_FIELDS = ("call_sid", "from_number", "to_number", "started_at", "ended_at",
                "end_reason", "language", "outcome", "outcome_reason", "repeated_by")


@dataclass(frozen=True)
class DeskStores:
    handoffs: HandoffStore
    records: Records


StoresDependency = Callable[[Request], DeskStores]
Endpoint = Callable[..., Awaitable[Response]]


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

def runtime_embed(request: Request) -> Callable[..., Any] | None:
    """The running server's sentence encoder's ``embed`` (None: no runtime here)."""
    runtime = getattr(request.app.state, "runtime", None)
    encoder = getattr(getattr(runtime, "dialog", None), "encoder", None)
    return getattr(encoder, "embed", None)


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=NO_STORE)


def plain_json(value: Any) -> Any:
    """Something json.dumps takes as it is (database rows may hold odd types)."""
    return json.loads(json.dumps(value, default=str))


def handoff_json(row: dict[str, Any]) -> dict[str, Any]:
    """A handoff as the desktop, the API and the webhook show it (not the routing list)."""
    briefing = row.get("briefing")
    keys = ("id", "call_sid", "status", "queue", "reason", "request", "created_at",
            "updated_at", "attempt", "agent_number", "agent_call_sid", "accepted_by", "notes",
            "outcome")
    shown = {k: row.get(k) for k in keys}
    shown["request"] = shown["request"] or ""
    shown["briefing"] = briefing if isinstance(briefing, dict) else {}
    return plain_json(shown)


def _transcript(turn_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Caller and agent lines of a call, in order (what the caller heard, when known)."""
    lines: list[dict[str, Any]] = []
    for turn in turn_rows:
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


def list_calls(stores: DeskStores, *, since: float, limit: int) -> list[dict[str, Any]]:
    """Call records started or ended after ``since`` (Unix seconds), newest first, each with
    its number of turns (the greeting is turn 0) and its handoffs' ids (oldest first).
    Read-only; blocking (run it in a thread)."""
    query = (select(*(calls.c[name] for name in _CALL_FIELDS))
             .where(or_(calls.c.started_at > since, calls.c.ended_at > since))
             .order_by(calls.c.started_at.desc(), calls.c.call_sid).limit(limit))
    with stores.records.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        sids = [r["call_sid"] for r in rows]
        counted = conn.execute(select(turns.c.call_sid, func.count())
                               .where(turns.c.call_sid.in_(sids)).group_by(turns.c.call_sid))
        turn_counts = {sid: int(n) for sid, n in counted}
    ids: dict[str, list[str]] = {}
    with stores.handoffs.engine.connect() as conn:
        found = conn.execute(select(handoffs.c.call_sid, handoffs.c.id)
                             .where(handoffs.c.call_sid.in_(sids))
                             .order_by(handoffs.c.created_at))
        for sid, handoff_id in found:
            ids.setdefault(sid, []).append(handoff_id)
    return plain_json([{**r, "turn_count": turn_counts.get(r["call_sid"], 0),
                    "handoff_ids": ids.get(r["call_sid"], [])} for r in rows])


# -- the routes ----------------------------------------------------------------------------

def api_refusal(settings: Settings, request: Request, what: str) -> JSONResponse | None:
    """None for a request with the API token (``FRONTDESK_DESK__API_TOKEN``, bearer); else the
    answer to send: 404 when no token is set (``what`` is off), 401 without the right one."""
    token = settings.desk.api_token.get_secret_value()
    if not token:
        return error_response(404, f"{what} is off (set FRONTDESK_DESK__API_TOKEN).")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             token.encode()):
        return JSONResponse({"error": "A valid Authorization: Bearer token is required."},
                            status_code=401, headers={"WWW-Authenticate": "Bearer", **NO_STORE})
    return None


def api_router(settings: Settings, get_stores: StoresDependency) -> APIRouter:
    """The /api routes, reading the stores ``get_stores`` gives for a request."""
    router = APIRouter()
    uses = Depends(get_stores)

    def refusal(request: Request) -> JSONResponse | None:
        return api_refusal(settings, request, "The API")

    def guarded(endpoint: Endpoint) -> Endpoint:
        """``endpoint``, answered only for a request with the API token (FastAPI passes every
        argument by name, ``request`` among them, and reads the signature through the
        wrapper)."""
        @functools.wraps(endpoint)
        async def checked(**kwargs: Any) -> Response:
            refused = refusal(kwargs["request"])
            return refused if refused is not None else await endpoint(**kwargs)
        return checked

    @router.get("/api/handoffs")
    @guarded
    async def api_handoffs(request: Request, since: float = Query(0.0, ge=0),
                           limit: int = Query(50, ge=1, le=500),
                           stores: DeskStores = uses) -> Response:
        """Handoffs updated after ``since`` (a Unix time), newest first. Pull again with
        ``since`` set to the largest ``updated_at`` you have seen."""
        rows = await asyncio.to_thread(stores.handoffs.list, since=since, limit=limit)
        return JSONResponse({"handoffs": [handoff_json(r) for r in rows], "now": time.time()},
                            headers=NO_STORE)

    @router.get("/api/handoffs/{handoff_id}")
    @guarded
    async def api_handoff(handoff_id: str, request: Request,
                          stores: DeskStores = uses) -> Response:
        """One handoff with its briefing and its events (status changes, notes)."""
        row = await asyncio.to_thread(stores.handoffs.get, handoff_id)
        if row is None:
            return error_response(404, "No such handoff.")
        events = await asyncio.to_thread(stores.handoffs.events, handoff_id)
        return JSONResponse({**handoff_json(row), "events": plain_json(
            [{k: e.get(k) for k in ("at", "kind", "detail")} for e in events])},
            headers=NO_STORE)

    @router.get("/api/calls")
    @guarded
    async def api_calls(request: Request, since: float = Query(0.0, ge=0),
                        limit: int = Query(50, ge=1, le=200),
                        stores: DeskStores = uses) -> Response:
        """Call records started or ended after ``since`` (a Unix time), newest first: number,
        times, end reason, language, turn count and handoff ids. Pull again with ``since`` set
        to the largest ``started_at`` or ``ended_at`` you have seen."""
        found = await asyncio.to_thread(list_calls, stores, since=since, limit=limit)
        return JSONResponse({"calls": found, "now": time.time()}, headers=NO_STORE)

    @router.get("/api/calls/{call_sid}")
    @guarded
    async def api_call(call_sid: str, request: Request, stores: DeskStores = uses) -> Response:
        """A call record: its turns (with the transcript they make), events and handoffs."""
        call = await asyncio.to_thread(stores.records.call, call_sid)
        if call is None:
            return error_response(404, "No such call.")
        found = await asyncio.to_thread(stores.handoffs.for_call, call_sid)
        body = plain_json({**call, "transcript": _transcript(call.get("turns", [])),
                       "handoffs": [handoff_json(h) for h in found]})
        return JSONResponse(body, headers=NO_STORE)

    @router.get("/api/report")
    @guarded
    async def api_report(request: Request, since: float = Query(..., ge=0),
                         until: float | None = Query(None, ge=0),
                         stores: DeskStores = uses) -> Response:
        """KPIs (``telephony.records.report``) of the calls that started from ``since`` to
        ``until`` (Unix times; default: now)."""
        end = time.time() if until is None else until
        period = await asyncio.to_thread(load_period, stores.records.engine, since, end)
        figures = await asyncio.to_thread(period_report, period, runtime_embed(request))
        return JSONResponse({"since": since, "until": end, **figures}, headers=NO_STORE)

    return router
