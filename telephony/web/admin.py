"""The routing-rules admin console (/admin) and its API (/admin/api, ``telephony.web.admin_api``).

/admin     a page (telephony/web/static/admin.*, plain JavaScript, no build step): sign in, edit
           the YAML with inline validation, save a new version, try turns in the dry run, see
           the version history with diffs, roll back.

Users and roles come from ``FRONTDESK_ADMIN__USERS`` ({name: {password, role}}; "admin" may
change the rules, "viewer" only reads and dry-runs). Sessions are signed cookies
(``telephony.web.auth``, purpose "admin": a desk cookie is not valid here), HttpOnly,
SameSite=Strict, keyed by ``FRONTDESK_ADMIN__SESSION_SECRET``; every POST needs the session's
CSRF token (sign-in and sign-out: ``X-Requested-With: frontdesk-admin``); signing out ends the
session in the database; wrong passwords are throttled per client address and overall.

The router's lifespan opens (or takes) the ``RuleStore`` and seeds it with the business's
bundled rules when it has none; it publishes the store as ``app.state.rule_store``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from loguru import logger

from config import Settings
from config.rules.store import RuleStore
from dialog.loader import business_pack, catalogue_of, rules_source
from dialog.routing.turns import Understanding
from telephony.web.admin_api import Console, admin_api_router, secret_values
from telephony.web.auth import Session, Sessions
from telephony.web.desk_api import error_response
from telephony.web.signin import SignIn, signed_sessions, signin_routes

__all__ = ["COOKIE", "admin_router"]

COOKIE = "frontdesk_admin"
REQUESTED_WITH = "frontdesk-admin"
ENABLE_HINT = ("""Set FRONTDESK_ADMIN__USERS='{"ann": {"password": "a long password", """
               """"role": "admin"}}' (role "admin" or "viewer") and """
               "FRONTDESK_ADMIN__SESSION_SECRET to a long random string, then restart.")


def _sessions(settings: Settings) -> Sessions:
    users = settings.admin.users
    return signed_sessions(settings.admin.session_secret.get_secret_value(),
                           {name: user.password for name, user in users.items()},
                           variable="FRONTDESK_ADMIN__SESSION_SECRET", page="admin",
                           database_url=settings.database_url,
                           roles={name: user.role for name, user in users.items()},
                           default_role="viewer", purpose="admin")


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
    pack = business_pack(settings)
    console = Console(settings=settings, business=business, sessions=sessions,
                      catalogue=catalogue_of(settings, pack), understanding=understanding,
                      secrets=secret_values(settings),
                      pack_tools=pack.tools)
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
        source = rules_source(pack)
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

    def page_state(session: Session | None) -> dict[str, Any]:
        return {"enabled": enabled(), "user": session and session.user,
                "role": session and session.role, "csrf": session and session.csrf,
                "business": business, "hint": ENABLE_HINT}

    signin = SignIn(sessions, COOKIE, enabled)

    def guard(request: Request, write: bool) -> Session | JSONResponse:
        session = signin.signed_in(request, csrf=request.method == "POST")
        if isinstance(session, JSONResponse):
            return session
        if write and session.role != "admin":
            return error_response(403, "Only an admin may change the rules (you are a "
                                  f"{session.role}).")
        return session

    router.include_router(admin_api_router(console, guard))
    signin_routes(router, signin, prefix="/admin", name="admin", cookie_path="/admin",
                  requested_with=REQUESTED_WITH,
                  off_message="The admin console is off. " + ENABLE_HINT,
                  secure_cookie=secure_cookie, state=page_state, show_role=True)

    return router
