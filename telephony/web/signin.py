"""The signed-in web pages' shared machinery (the agent desktop and the admin console).

``SignIn`` reads a request's session and checks a POST's CSRF token; ``signin_routes`` adds
a page's routes: the page itself (its HTML with a JSON state blob injected,
``page_response``), its .js and .css, ``GET <prefix>/session``, ``POST <prefix>/login``
(``X-Requested-With`` check, throttle per client address and overall: 429 with Retry-After,
password check, signed session cookie) and ``POST <prefix>/logout`` (ends the session in the
database). Sessions and passwords are ``telephony.web.auth``'s; the throttle is
``telephony.web.throttle``'s, counted in the sessions' database (so servers sharing it share
the count), in a thread, never on the event loop the calls share. The client address
is the connection's, which uvicorn takes from X-Forwarded-For only when proxy headers are on
and the connection comes from a trusted proxy (``frontdesk serve``:
``FRONTDESK_TRUST_PROXY_HEADERS``, ``FRONTDESK_FORWARDED_ALLOW_IPS``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from loguru import logger
from pydantic import SecretStr

from telephony.web.auth import SESSION_SECONDS, Session, Sessions, SessionStore
from telephony.web.desk_api import NO_STORE, error_response
from telephony.web.passwords import is_password_hash
from telephony.web.throttle import LoginThrottle

__all__ = ["CSP", "PAGE_HEADERS", "STATIC", "SignIn", "asset_response", "page_response",
           "signed_sessions", "signin_routes"]

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY"}


def signed_sessions(secret: str, passwords: Mapping[str, SecretStr], *, variable: str,
                    page: str, database_url: str, **options: Any) -> Sessions:
    """``Sessions`` keyed by ``secret`` and kept in the database at ``database_url``, warning
    (when there are users) that without a secret sessions end with the process."""
    if not secret and passwords:
        logger.warning(f"{variable} is not set: {page} sessions are signed "
                       "with a random key and end when this process restarts.")
    plain = sorted(name for name, value in passwords.items()
                   if value.get_secret_value() and not is_password_hash(value.get_secret_value()))
    if plain:
        logger.warning(f"{page}: the password of {', '.join(plain)} is in plain text; configure "
                       "a hash instead (`frontdesk hash-password` prints one).")
    return Sessions(secret, passwords, store=SessionStore(database_url), **options)


def page_response(html_file: Path, placeholder: str, state: Any) -> HTMLResponse:
    """``html_file`` with ``placeholder`` replaced by ``state`` as JSON (<, > and & escaped,
    so the blob cannot end its script element)."""
    text = html_file.read_text(encoding="utf-8")
    blob = json.dumps(state).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026")
    return HTMLResponse(text.replace(placeholder, blob), headers=PAGE_HEADERS)


def asset_response(path: Path, media_type: str) -> FileResponse:
    return FileResponse(path, media_type=media_type,
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@dataclass
class SignIn:
    """One page's sign-in: whose session a request carries, and the checks on a POST."""

    sessions: Sessions
    cookie: str
    enabled: Callable[[], bool]
    # Default: counted in the sessions' database (shared by the servers on it), else in memory.
    throttle: LoginThrottle | None = None

    def __post_init__(self) -> None:
        if self.throttle is None:
            store = self.sessions.store
            self.throttle = LoginThrottle.shared(store.url, self.sessions.purpose) \
                if store is not None else LoginThrottle()

    def session_of(self, request: Request) -> Session | None:
        return self.sessions.read(request.cookies.get(self.cookie)) if self.enabled() else None

    def signed_in(self, request: Request, *, csrf: bool = True) -> Session | JSONResponse:
        """The request's session (with ``csrf``: only if it carries the session's CSRF
        token); else the refusal to send."""
        session = self.session_of(request)
        if session is None:
            return error_response(401, "Sign in first.")
        if csrf:
            token = request.headers.get("x-csrf-token", "")
            if not hmac.compare_digest(token.encode(), session.csrf.encode()):
                return error_response(403, "Missing or wrong X-CSRF-Token header.")
        return session


def signin_routes(router: APIRouter, signin: SignIn, *, prefix: str, name: str,
                  cookie_path: str, requested_with: str, off_message: str,
                  secure_cookie: bool, state: Callable[[Session | None], Any],
                  show_role: bool = False) -> SignIn:
    """Adds the page ``prefix`` (``static/<name>.html``, its ``__<NAME>_STATE__`` replaced by
    ``state(session)``), ``<prefix>/<name>.js`` and ``.css``, and ``<prefix>/session``,
    ``/login`` and ``/logout`` (the cookie ``signin.cookie`` on ``cookie_path``; a 404 with
    ``off_message`` while ``signin.enabled()`` is false). ``show_role``: the login and session
    answers lead with the user's role (and the sign-in log names it)."""
    sessions, cookie, enabled = signin.sessions, signin.cookie, signin.enabled
    placeholder = f"__{name.upper()}_STATE__"

    async def page(request: Request) -> HTMLResponse:
        return page_response(STATIC / f"{name}.html", placeholder,
                             state(signin.session_of(request)))

    async def script() -> FileResponse:
        return asset_response(STATIC / f"{name}.js", "text/javascript")

    async def style() -> FileResponse:
        return asset_response(STATIC / f"{name}.css", "text/css")

    async def session_route(request: Request) -> JSONResponse:
        session = signin.session_of(request)
        if session is None:
            return error_response(401, "Not signed in.")
        if show_role:
            body = {"user": session.user, "role": session.role, "csrf": session.csrf}
        else:
            body = {"user": session.user, "csrf": session.csrf, "role": session.role}
        return JSONResponse(body, headers=NO_STORE)

    def unrequested(request: Request) -> JSONResponse | None:
        if request.headers.get("x-requested-with") != requested_with:
            return error_response(403, f"Missing X-Requested-With: {requested_with} header.")
        return None

    async def login(request: Request) -> Response:
        if not enabled():
            return error_response(404, off_message)
        if (refusal := unrequested(request)) is not None:
            return refusal
        client = request.client.host if request.client else "?"
        form = await request.form()
        username, password = form.get("username"), form.get("password")
        # The throttle's answer and its count together: the try counts as failed until its
        # password (a hash: ~0.1-0.3 s in a thread) is checked, so concurrent tries all count.
        throttle = signin.throttle
        assert throttle is not None
        wait, counted = await asyncio.to_thread(throttle.check_and_count, client)
        if counted is None:
            response = error_response(429, "Too many failed sign-ins. Try again in "
                                      f"{wait} seconds.", retry_after=wait)
            response.headers["Retry-After"] = str(wait)
            return response
        user = None
        if isinstance(username, str) and isinstance(password, str):
            user = await asyncio.to_thread(sessions.check_password, username.strip(), password)
        if user is None:
            logger.warning(f"{name}: failed sign-in from {client}")
            return error_response(401, "Wrong username or password.")
        await asyncio.to_thread(throttle.pardon, client, counted)
        await asyncio.to_thread(throttle.succeeded, client)
        value, csrf = await asyncio.to_thread(sessions.issue, user)  # writes its row
        body = ({"user": user, "role": sessions.role_of(user), "csrf": csrf} if show_role
                else {"user": user, "csrf": csrf})
        response = JSONResponse(body, headers=NO_STORE)
        response.set_cookie(cookie, value, max_age=SESSION_SECONDS, path=cookie_path,
                            httponly=True, samesite="strict",
                            secure=secure_cookie or request.url.scheme == "https")
        who = f"{user} ({sessions.role_of(user)})" if show_role else user
        logger.info(f"{name}: {who} signed in from {client}")
        return response

    async def logout(request: Request) -> Response:
        if (refusal := unrequested(request)) is not None:
            return refusal
        if enabled():
            await asyncio.to_thread(sessions.end, request.cookies.get(cookie))
        response = JSONResponse({"signed_out": True}, headers=NO_STORE)
        response.delete_cookie(cookie, path=cookie_path, httponly=True, samesite="strict")
        return response

    for path, endpoint, methods, route_name in (
            (prefix, page, ["GET"], f"{name}_page"),
            (f"{prefix}/{name}.js", script, ["GET"], f"{name}_js"),
            (f"{prefix}/{name}.css", style, ["GET"], f"{name}_css"),
            (f"{prefix}/session", session_route, ["GET"], f"{name}_session"),
            (f"{prefix}/login", login, ["POST"], "login"),
            (f"{prefix}/logout", logout, ["POST"], "logout")):
        router.add_api_route(path, endpoint, methods=methods, name=route_name,
                             include_in_schema=False)
    return signin
