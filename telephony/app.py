"""The FastAPI application: Twilio webhook, media stream, health.

Heavy things (models, database) are loaded once in the lifespan and shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Response, WebSocket
from fastapi.responses import JSONResponse
from loguru import logger
from starlette.websockets import WebSocketState

from config import Settings
from knowledge.encoder import SentenceEncoder
from telephony.body_limit import BodyLimit
from telephony.call.handshake import StreamRefused, accept_stream, refusal_on_open
from telephony.call.recording import recordings_folder
from telephony.call.session import Call
from telephony.logs import call_context
from telephony.metrics import CONTENT_TYPE
from telephony.records.retention import run_retention
from telephony.runtime import Runtime
from telephony.twilio import twiml
from telephony.twilio.security import external_url, stream_base, swap_scheme, valid_twilio_signature
from telephony.web.admin import admin_router
from telephony.web.desk import desk_router
from telephony.web.desk_api import api_refusal
from telephony.web.insights import insights_router
from voice.services import CallVoices

__all__ = ["create_app"]


def _path_and_query(url) -> str:
    return url.path + (f"?{url.query}" if url.query else "")


async def _signed_form(request: Request) -> dict[str, str]:
    """The form of a Twilio request whose signature checks out; 403 otherwise."""
    form = await request.form()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    if not request.app.state.signed(str(request.url), _path_and_query(request.url),
                                    request.headers, params):
        logger.warning(f"refused {request.url.path} from {request.client}: bad signature")
        _refused(request.app, "webhook", "bad_signature")
        raise HTTPException(status_code=403, detail="invalid X-Twilio-Signature")
    return params


SignedForm = Annotated[dict[str, str], Depends(_signed_form)]


def _refused(app: FastAPI, kind: str, reason: str) -> None:
    rt: Runtime | None = getattr(app.state, "runtime", None)
    if rt is not None:
        rt.metrics.refuse(kind, reason)


def create_app(settings: Settings, *, runtime: Runtime | None = None,
               voices: CallVoices | None = None, encoder: SentenceEncoder | None = None
               ) -> FastAPI:
    """The server. ``runtime`` replaces the one it loads; ``voices`` and ``encoder`` are passed
    to ``Runtime.load`` (the tests' scripted voices and encoder: no model loaded)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.dev_insecure_skip_signature:
            logger.warning("!" * 78)
            logger.warning("DEVELOPMENT MODE: Twilio signatures are NOT checked. Never expose this "
                           "server to the internet with FRONTDESK_DEV_INSECURE_SKIP_SIGNATURE.")
            logger.warning("!" * 78)
        elif not settings.twilio.auth_token.get_secret_value():
            logger.error("FRONTDESK_TWILIO__AUTH_TOKEN is not set: every Twilio request will be "
                         "refused (403), since none can be verified.")
        app.state.runtime = runtime or await asyncio.to_thread(
            partial(Runtime.load, settings, voices=voices, encoder=encoder))
        app.state.runtime.loop = asyncio.get_running_loop()
        # Calls and handoffs a crashed server left behind are closed before the first call,
        # then on every heartbeat (several servers: another one's).
        recovery = getattr(app.state.runtime, "recovery", None)
        sweeping = None
        if recovery is not None:
            await asyncio.to_thread(recovery.sweep, starting=True)
            sweeping = asyncio.create_task(recovery.run())
        retention = None
        if settings.recordings.retention_days > 0:
            retention = asyncio.create_task(run_retention(
                app.state.runtime.records, recordings_folder(settings.data_dir),
                settings.recordings))
        try:
            yield
        finally:
            for task in (sweeping, retention):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if runtime is None:
                await app.state.runtime.aclose()

    app = FastAPI(title="frontdesk", lifespan=lifespan)
    # Every Twilio webhook's body is bounded before it is read for its signature.
    app.add_middleware(BodyLimit, prefix="/twilio/", max_bytes=settings.twilio.max_body_bytes,
                       on_refused=lambda: _refused(app, "webhook", "too_large"))
    app.include_router(desk_router(settings))
    app.include_router(admin_router(settings))
    app.include_router(insights_router(settings))

    def _signed(request_url: str, path: str, headers, params: dict[str, str]) -> bool:
        if settings.dev_insecure_skip_signature:
            return True
        url = external_url(request_url=request_url, path_and_query=path, headers=headers,
                           public_url=settings.public_url,
                           trust_proxy_headers=settings.trust_proxy_headers)
        token = settings.twilio.auth_token.get_secret_value()
        signature = headers.get("x-twilio-signature")
        # A stream upgrade may be signed over its wss:// or its https:// spelling.
        return any(valid_twilio_signature(candidate, params, signature, token)
                   for candidate in {url, swap_scheme(url)})

    @app.post("/twilio/voice")
    async def incoming_call(request: Request) -> Response:
        if getattr(request.app.state, "draining", False):  # Twilio tries the fallback URL
            _refused(request.app, "webhook", "draining")
            return JSONResponse({"error": "draining: this server takes no new calls"},
                                status_code=503, headers={"Retry-After": "5"})
        form = await request.form()
        params = {k: v for k, v in form.items() if isinstance(v, str)}
        if not _signed(str(request.url), _path_and_query(request.url), request.headers, params):
            logger.warning(f"refused /twilio/voice from {request.client}: bad or missing signature")
            _refused(request.app, "webhook", "bad_signature")
            return JSONResponse({"error": "invalid X-Twilio-Signature"}, status_code=403)
        call_sid = params.get("CallSid", "")
        if not call_sid:
            return JSONResponse({"error": "CallSid is required"}, status_code=400)
        rt: Runtime = request.app.state.runtime
        await asyncio.to_thread(
            rt.records.start_call, call_sid=call_sid, stream_sid="",
            account_sid=params.get("AccountSid", ""), from_number=params.get("From", ""),
            to_number=params.get("To", ""), language="",
        )
        base = external_url(request_url=str(request.base_url).rstrip("/"), path_and_query="",
                            headers=request.headers, public_url=settings.public_url,
                            trust_proxy_headers=settings.trust_proxy_headers)
        document = twiml.connect_stream(
            f"{stream_base(base)}/twilio/stream", rt.tokens.mint(call_sid),
            fallback_number=settings.transfer.fallback_number,
            fallback_message="Please hold while I connect you to the front desk.",
        )
        return Response(document, media_type="application/xml")

    app.state.signed = _signed

    def _xml(document: str) -> Response:
        return Response(document, media_type="application/xml")

    # The agent leg and the caller's conference of a warm transfer (telephony/transfer/warm.py).
    @app.post("/twilio/agent/{handoff_id}/answer")
    async def agent_answered(handoff_id: str, request: Request, params: SignedForm) -> Response:
        warm = request.app.state.runtime.warm
        return _xml(await warm.agent_answered(handoff_id, params.get("CallSid", "")))

    @app.post("/twilio/agent/{handoff_id}/gather")
    async def agent_pressed(handoff_id: str, request: Request,
                            params: SignedForm) -> Response:
        warm = request.app.state.runtime.warm
        return _xml(await warm.agent_pressed(handoff_id, params.get("Digits", "")))

    @app.post("/twilio/agent/{handoff_id}/status", status_code=204)
    async def agent_status(handoff_id: str, request: Request,
                           params: SignedForm) -> None:
        await request.app.state.runtime.warm.agent_status(handoff_id, params)

    @app.post("/twilio/conference/{handoff_id}/status", status_code=204)
    async def conference_status(handoff_id: str, request: Request,
                                params: SignedForm) -> None:
        await request.app.state.runtime.warm.conference_status(handoff_id, params)

    @app.websocket("/twilio/stream")
    async def media_stream(websocket: WebSocket) -> None:
        rt: Runtime = websocket.app.state.runtime
        # Twilio signs the upgrade (X-Twilio-Signature over the stream URL, no parameters);
        # unsigned or forged, it is refused (HTTP 403) before a stream token is even read.
        if not _signed(str(websocket.url), _path_and_query(websocket.url), websocket.headers,
                       {}):
            why = "bad_signature" if websocket.headers.get("x-twilio-signature") else "unsigned"
            logger.warning(f"refused stream upgrade from {websocket.client}: {why}")
            rt.metrics.refuse("stream", why)
            await websocket.close(code=1008)
            return
        # Accepted, then closed with a code and reason a client can act on (1013: try again).
        await websocket.accept()
        refusal = refusal_on_open(rt.active_calls, rt.unverified_streams, settings.stream)
        if refusal is not None:
            logger.warning(f"refused stream from {websocket.client}: {refusal}")
            rt.metrics.refuse("stream", refusal.code)
            await websocket.close(code=refusal.close_code, reason=refusal.code)
            return
        rt.unverified_streams += 1  # a call slot is given only to a verified stream
        try:
            start = await accept_stream(websocket, settings, rt)
        except StreamRefused as refusal:
            logger.warning(f"refused stream from {websocket.client}: {refusal}")
            rt.metrics.refuse("stream", refusal.code)
            if websocket.client_state is not WebSocketState.DISCONNECTED:  # gone already
                await websocket.close(code=refusal.close_code, reason=refusal.code)
            return
        finally:
            rt.unverified_streams -= 1
        try:  # accept_stream took a call slot for this stream
            with call_context(start.call_sid, start.stream_sid):
                await Call(rt, websocket, start).run()
        finally:
            rt.active_calls -= 1

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus' scrape, guarded like /api."""
        refused = api_refusal(settings, request, "/metrics")
        if refused is not None:
            return refused
        rt: Runtime | None = getattr(request.app.state, "runtime", None)
        if rt is None:
            return JSONResponse({"error": "starting"}, status_code=503)
        return Response(rt.metrics.exposition(), media_type=CONTENT_TYPE,
                        headers={"Cache-Control": "no-store"})

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        rt: Runtime | None = getattr(request.app.state, "runtime", None)
        checks = {"models": rt is not None}
        try:
            checks["database"] = rt is not None and await asyncio.to_thread(rt.records.ping)
        except Exception as exc:  # a down database is a "not ready", not a 500
            logger.warning(f"readyz: database unreachable: {exc}")
            checks["database"] = False
        checks["taking_calls"] = not getattr(request.app.state, "draining", False)
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks, "active_calls":
                             rt.active_calls if rt else 0}, status_code=200 if ready else 503)

    return app
