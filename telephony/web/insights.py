"""The insights page (/insights): how the calls went, for the business's admins and viewers.

/insights                          the page (static/insights.*, plain JavaScript): KPI tiles and
                                   plots over a period, the call list with search and filters,
                                   and a call's page (timeline, QA, recordings)
/insights/api/report               the period's KPIs (``records.report``) and their series per
                                   day, or per hour for two days or less (the business's zone)
/insights/api/calls                the period's calls, filtered (``records.insights``)
/insights/api/calls/{sid}          one call: turns, events, handoffs, QA items, recordings
/insights/api/calls/{sid}/recordings/{stream}.wav   a recording (``settings.recordings``)

The users are the admin console's (``FRONTDESK_ADMIN__USERS``, either role); sessions are signed
cookies of their own purpose ("insights") on /insights, as ``telephony.web.signin`` makes them.
Everything here only reads.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from config import Settings
from dialog.loader import business_pack
from telephony.call.recording import recording_file
from telephony.records.insights import (
    call_summaries,
    filter_calls,
    of_queue,
    recordings,
    series,
    time_buckets,
)
from telephony.records.report import load_period, period_report
from telephony.web.admin import ENABLE_HINT
from telephony.web.desk_api import (
    NO_STORE,
    DeskStores,
    default_stores,
    error_response,
    plain_json,
    runtime_embed,
)
from telephony.web.signin import SignIn, signed_sessions, signin_routes

__all__ = ["insights_router"]

COOKIE = "frontdesk_insights"
REQUESTED_WITH = "frontdesk-insights"
MAX_DAYS = 366
MAX_CALLS = 500


def _period(since: float | None, until: float | None) -> tuple[float, float] | JSONResponse:
    end = time.time() if until is None else until
    start = end - 7 * 86400 if since is None else since
    if not 0 <= start < end or end - start > MAX_DAYS * 86400:
        return error_response(422, f"Give since < until, at most {MAX_DAYS} days apart.")
    return start, end


def insights_router(settings: Settings) -> APIRouter:
    users = settings.admin.users
    sessions = signed_sessions(settings.admin.session_secret.get_secret_value(),
                               {name: user.password for name, user in users.items()},
                               variable="FRONTDESK_ADMIN__SESSION_SECRET", page="insights",
                               database_url=settings.database_url,
                               roles={name: user.role for name, user in users.items()},
                               default_role="viewer", purpose="insights")
    signin = SignIn(sessions, COOKIE, lambda: bool(settings.admin.users))
    timezone = business_pack(settings).rules.business.timezone
    get_stores = default_stores(settings)
    uses = Depends(get_stores)
    router = APIRouter()

    def page_state(session: Any) -> dict[str, Any]:
        return {"enabled": bool(settings.admin.users), "user": session and session.user,
                "csrf": session and session.csrf, "business": settings.dialog.business_name,
                "timezone": timezone, "hint": ENABLE_HINT}

    signin_routes(router, signin, prefix="/insights", name="insights", cookie_path="/insights",
                  requested_with=REQUESTED_WITH,
                  off_message="The insights page is off. " + ENABLE_HINT,
                  secure_cookie=settings.public_url.startswith("https://"), state=page_state)

    async def period_of(request: Request, stores: DeskStores, since: float | None,
                        until: float | None) -> tuple[float, float, Any] | JSONResponse:
        """The period's rows for a signed-in user; else the refusal to send."""
        if isinstance(refusal := signin.signed_in(request, csrf=False), JSONResponse):
            return refusal
        bounds = _period(since, until)
        if isinstance(bounds, JSONResponse):
            return bounds
        rows = await asyncio.to_thread(load_period, stores.records.engine, *bounds)
        return (*bounds, rows)

    @router.get("/insights/api/report", include_in_schema=False)
    async def report(request: Request, since: float | None = Query(None, ge=0),
                     until: float | None = Query(None, ge=0), queue: str = "",
                     stores: DeskStores = uses) -> Response:
        found = await period_of(request, stores, since, until)
        if isinstance(found, JSONResponse):
            return found
        start, end, period = found
        embed = runtime_embed(request)

        def figures() -> dict[str, Any]:  # a KPI pass per day: CPU work, off the event loop
            chosen = of_queue(period, queue) if queue else period
            kpis = period_report(chosen, embed)
            return {"since": start, "until": end, "timezone": timezone,
                    "queue": queue or None, "unanswered": kpis.pop("unanswered"),
                    "kpis": kpis, "series": series(chosen, time_buckets(start, end, timezone))}

        return JSONResponse(await asyncio.to_thread(figures), headers=NO_STORE)

    @router.get("/insights/api/calls", include_in_schema=False)
    async def call_list(request: Request, since: float | None = Query(None, ge=0),
                        until: float | None = Query(None, ge=0), outcome: str = "",
                        queue: str = "", language: str = "", qa_failed: bool = False,
                        q: str = Query("", max_length=100),
                        stores: DeskStores = uses) -> Response:
        found = await period_of(request, stores, since, until)
        if isinstance(found, JSONResponse):
            return found
        start, end, period = found

        def listed() -> dict[str, Any]:  # off the event loop, as the figures are
            every = call_summaries(period)
            chosen = filter_calls(every, outcome=outcome, queue=queue, language=language,
                                  qa_failed=qa_failed, text=q)
            return {"since": start, "until": end, "total": len(chosen),
                    "calls": chosen[:MAX_CALLS],
                    "choices": {"queue": sorted({c["queue"] for c in every if c["queue"]}),
                                "language": sorted({c["language"] for c in every
                                                    if c["language"]})}}

        return JSONResponse(await asyncio.to_thread(listed), headers=NO_STORE)

    @router.get("/insights/api/calls/{call_sid}", include_in_schema=False)
    async def one_call(call_sid: str, request: Request, stores: DeskStores = uses) -> Response:
        if isinstance(refusal := signin.signed_in(request, csrf=False), JSONResponse):
            return refusal
        call = await asyncio.to_thread(stores.records.call, call_sid)
        if call is None:
            return error_response(404, "No such call.")
        qa = await asyncio.to_thread(stores.records.qa, call_sid)
        found = await asyncio.to_thread(stores.handoffs.for_call, call_sid)
        handoffs = [{k: h.get(k) for k in ("id", "created_at", "status", "queue", "reason",
                                           "accepted_by", "outcome", "notes")} for h in found]
        body = {**call, "qa": qa, "handoffs": handoffs,
                "recordings": recordings(call["events"])}
        return JSONResponse(plain_json(body), headers=NO_STORE)

    @router.get("/insights/api/calls/{call_sid}/recordings/{stream_sid}.wav",
                include_in_schema=False)
    async def recording(call_sid: str, stream_sid: str, request: Request) -> Response:
        if isinstance(refusal := signin.signed_in(request, csrf=False), JSONResponse):
            return refusal
        path = recording_file(settings.data_dir, call_sid, stream_sid)
        if path is None or not path.is_file():
            return error_response(404, "No such recording (not recorded, or deleted by "
                                  "retention).")
        return FileResponse(path, media_type="audio/wav",
                            headers={"Cache-Control": "private, no-store",
                                     "X-Content-Type-Options": "nosniff"})

    return router
