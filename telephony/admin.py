"""The routing-rules admin console (/admin) and its API (/admin/api, ``telephony.admin_api``).

/admin     a page (telephony/static/admin.*, plain JavaScript, no build step): sign in, edit
           the YAML with inline validation, save a new version, try turns in the dry run, see
           the version history with diffs, roll back.

Users and roles come from ``FRONTDESK_ADMIN__USERS`` ({name: {password, role}}; "admin" may
change the rules, "viewer" only reads and dry-runs). Sessions are signed cookies
(``telephony.auth``, purpose "admin": a desk cookie is not valid here), HttpOnly,
SameSite=Strict, keyed by ``FRONTDESK_ADMIN__SESSION_SECRET``; every POST needs the session's
CSRF token (sign-in and sign-out: ``X-Requested-With: frontdesk-admin``); wrong passwords are
throttled per client and name.

The router's lifespan opens (or takes) the ``RuleStore`` and seeds it with the business's
bundled rules when it has none; it publishes the store as ``app.state.rule_store``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from loguru import logger

from config import Settings, load_intents
from config.rule_store import RuleStore
from config.rules import bundled_rules_file
from dialog.routes_commands import Understanding
from telephony.admin_api import Console, admin_api_router, secret_values
from telephony.auth import SESSION_SECONDS, LoginThrottle, Session, Sessions
from telephony.desk_api import NO_STORE, error_response

__all__ = ["COOKIE", "admin_router"]

STATIC = Path(__file__).parent / "static"
COOKIE = "frontdesk_admin"
REQUESTED_WITH = "frontdesk-admin"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY"}
ENABLE_HINT = ("""Set FRONTDESK_ADMIN__USERS='{"ann": {"password": "a long password", """
               """"role": "admin"}}' (role "admin" or "viewer") and """
               "FRONTDESK_ADMIN__SESSION_SECRET to a long random string, then restart.")


def _sessions(settings: Settings) -> Sessions:
    users = settings.admin.users
    secret = settings.admin.session_secret.get_secret_value()
    if not secret and users:
        logger.warning("FRONTDESK_ADMIN__SESSION_SECRET is not set: admin sessions are signed "
                       "with a random key and end when this process restarts.")
    return Sessions(secret, {name: user.password for name, user in users.items()},
                    roles={name: user.role for name, user in users.items()},
                    default_role="viewer", purpose="admin")


def _asset(name: str, media_type: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type=media_type,
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def _understanding_finder(console: Console) -> Any:
    """The dry run's classifier and sentiment, found once: the runtime's
    (``runtime.understanding``, or one on ``runtime.dialog.encoder``), else the sentence
    encoder loaded from the models folder (a few seconds, once per process)."""
    lock = asyncio.Lock()

    async def find(request: Request) -> Understanding:
        async with lock:
            if console.understanding is not None:
                return console.understanding
            runtime = getattr(request.app.state, "runtime", None)
            found = getattr(runtime, "understanding", None)
            encoder = getattr(getattr(runtime, "dialog", None), "encoder", None)
            if found is None and encoder is not None:
                found = Understanding(encoder, console.catalogue)
            if found is None:
                from knowledge.encoder import SentenceEncoder, default_model_path

                path = default_model_path(console.settings.resolved_models_dir)
                logger.info(f"admin: loading the sentence encoder for the dry run from {path}")
                encoder = await asyncio.to_thread(SentenceEncoder, path)
                found = Understanding(encoder, console.catalogue)
            console.understanding = found
            return found

    return find


def admin_router(settings: Settings, *, store: RuleStore | None = None,
                 understanding: Understanding | None = None) -> APIRouter:
    """The console's routes. ``store``: the rules store to use (default: the runtime's
    ``runtime.rule_store``, else ``app.state.rule_store``, else one opened on
    ``settings.database_url``). ``understanding``: the dry run's classifier and sentiment
    (default: found on first use, see ``_understanding_finder``)."""
    business = settings.dialog.business
    sessions = _sessions(settings)
    throttle = LoginThrottle()
    console = Console(settings=settings, business=business, sessions=sessions,
                      catalogue=load_intents(settings.dialog.intents_file),
                      understanding=understanding, secrets=secret_values(settings))
    console.find_understanding = _understanding_finder(console)
    secure_cookie = settings.public_url.startswith("https://")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = getattr(app.state, "runtime", None)
        chosen = store or getattr(runtime, "rule_store", None) or getattr(
            app.state, "rule_store", None)
        own = None
        if chosen is None:
            chosen = own = await asyncio.to_thread(RuleStore, settings.database_url,
                                                   console.load)
        console.store = app.state.rule_store = chosen
        source = bundled_rules_file(business).read_text(encoding="utf-8")
        active = await asyncio.to_thread(chosen.ensure_seeded, business, source)
        logger.info(f"routing rules: {business} version {active.id} is active")
        try:
            yield
        finally:
            if own is not None:
                own.close()

    router = APIRouter(lifespan=lifespan)

    def enabled() -> bool:
        return bool(settings.admin.users)

    def session_of(request: Request) -> Session | None:
        return sessions.read(request.cookies.get(COOKIE)) if enabled() else None

    def guard(request: Request, write: bool) -> Session | JSONResponse:
        session = session_of(request)
        if session is None:
            return error_response(401, "Sign in first.")
        if request.method == "POST":
            token = request.headers.get("x-csrf-token", "")
            if not hmac.compare_digest(token.encode(), session.csrf.encode()):
                return error_response(403, "Missing or wrong X-CSRF-Token header.")
        if write and session.role != "admin":
            return error_response(403, "Only an admin may change the rules (you are a "
                                  f"{session.role}).")
        return session

    router.include_router(admin_api_router(console, guard))

    @router.get("/admin", include_in_schema=False)
    async def admin_page(request: Request) -> HTMLResponse:
        session = session_of(request)
        state = {"enabled": enabled(), "user": session and session.user,
                 "role": session and session.role, "csrf": session and session.csrf,
                 "business": business, "hint": ENABLE_HINT}
        text = (STATIC / "admin.html").read_text(encoding="utf-8")
        blob = json.dumps(state).replace("<", "\\u003c").replace(">", "\\u003e") \
            .replace("&", "\\u0026")
        return HTMLResponse(text.replace("__ADMIN_STATE__", blob), headers=PAGE_HEADERS)

    @router.get("/admin/admin.js", include_in_schema=False)
    async def admin_js() -> FileResponse:
        return _asset("admin.js", "text/javascript")

    @router.get("/admin/admin.css", include_in_schema=False)
    async def admin_css() -> FileResponse:
        return _asset("admin.css", "text/css")

    @router.get("/admin/session", include_in_schema=False)
    async def admin_session(request: Request) -> JSONResponse:
        session = session_of(request)
        if session is None:
            return error_response(401, "Not signed in.")
        return JSONResponse({"user": session.user, "role": session.role, "csrf": session.csrf},
                            headers=NO_STORE)

    @router.post("/admin/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        if not enabled():
            return error_response(404, "The admin console is off. " + ENABLE_HINT)
        if request.headers.get("x-requested-with") != REQUESTED_WITH:
            return error_response(403, f"Missing X-Requested-With: {REQUESTED_WITH} header.")
        client = request.client.host if request.client else "?"
        form = await request.form()
        username, password = form.get("username"), form.get("password")
        attempt = f"{client}\0{str(username).strip().lower()[:64]}"
        if throttle.blocked(attempt):
            return error_response(429, "Too many failed sign-ins. Wait a few minutes and "
                                  "try again.")
        user = None
        if isinstance(username, str) and isinstance(password, str):
            user = sessions.check_password(username.strip(), password)
        if user is None:
            throttle.failed(attempt)
            logger.warning(f"admin: failed sign-in from {client}")
            await asyncio.sleep(0.2)
            return error_response(401, "Wrong username or password.")
        cookie, csrf = sessions.issue(user)
        response = JSONResponse({"user": user, "role": sessions.role_of(user), "csrf": csrf},
                                headers=NO_STORE)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, path="/admin",
                            httponly=True, samesite="strict",
                            secure=secure_cookie or request.url.scheme == "https")
        logger.info(f"admin: {user} ({sessions.role_of(user)}) signed in from {client}")
        return response

    @router.post("/admin/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        if request.headers.get("x-requested-with") != REQUESTED_WITH:
            return error_response(403, f"Missing X-Requested-With: {REQUESTED_WITH} header.")
        response = JSONResponse({"signed_out": True}, headers=NO_STORE)
        response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="strict")
        return response

    return router
