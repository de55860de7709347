"""Signing in to the web pages: password checks, signed session cookies and a sign-in throttle.

Sessions are signed cookies (HMAC-SHA256 with a key derived from a configured secret):
{user, role, expiry, CSRF token, password fingerprint, session id}, and, given a
``SessionStore``, a row per session in the database (table ``signin_sessions``), so signing
out ends a session on every server. A session ends when it expires, when it is signed out,
when its user is removed, when their password changes, or when their role changes. The agent
desktop's people all have the role "agent"; a console with roles (say "admin" and "viewer")
gives ``Sessions`` its ``roles``.

The sign-in throttle is ``telephony.web.throttle``'s.

It keeps two small parts together because they share one secret and the password fingerprint
a session carries; split, the signing rules would be spread over files.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import Column, Float, String, Table, insert, select, update
from sqlalchemy.engine import Engine

from config.database import LazyDatabase, metadata
from telephony.web.passwords import is_password_hash, password_matches, spend_a_check

__all__ = [
    "SESSION_SECONDS",
    "Session",
    "SessionStore",
    "Sessions",
    "check_password",
    "signin_sessions",
]

SESSION_SECONDS = 12 * 3600

signin_sessions = Table(
    "signin_sessions", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's session id
    Column("purpose", String(32), nullable=False),  # "desk", "admin"
    Column("username", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("ended_at", Float),  # signed out
)


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str  # what the page must send back in a header with every POST
    role: str


def _row_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    """The sessions signed in, in the database at ``url`` (opened on first use), so that
    signing out on one server ends the session on all of them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._database = LazyDatabase(url, [signin_sessions])

    @property
    def engine(self) -> Engine:
        return self._database.engine

    def start(self, purpose: str, user: str, expires_at: float) -> str:
        """A new session's id (its expired predecessors are deleted)."""
        session_id = secrets.token_urlsafe(24)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(signin_sessions.delete().where(signin_sessions.c.expires_at < now))
            conn.execute(insert(signin_sessions).values(
                id=_row_id(session_id), purpose=purpose, username=user, created_at=now,
                expires_at=expires_at))
        return session_id

    def live(self, purpose: str, user: str, session_id: str) -> bool:
        """Whether ``user``'s session ``session_id`` was started and not yet ended or expired."""
        t = signin_sessions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.username, t.expires_at, t.ended_at).where(
                t.id == _row_id(session_id), t.purpose == purpose)).first()
        return (row is not None and row.username == user and row.ended_at is None
                and row.expires_at >= time.time())

    def end(self, purpose: str, session_id: str) -> None:
        t = signin_sessions.c
        with self.engine.begin() as conn:
            conn.execute(update(signin_sessions).where(
                t.id == _row_id(session_id), t.purpose == purpose,
                t.ended_at.is_(None)).values(ended_at=time.time()))

    def close(self) -> None:
        self._database.close()


def check_password(passwords: Mapping[str, SecretStr], username: str,
                   password: str) -> str | None:
    """The user's name when ``password`` is theirs: the configured value is an argon2 or bcrypt
    hash, or the password itself (``telephony.web.passwords``); an empty one matches nothing.
    Blocking (a hash costs ~0.1-0.3 s of CPU): call it in a thread. An unknown name costs what
    a known one does, so timing does not tell which names exist."""
    found = None
    for name, secret in passwords.items():  # every name compared: no early exit
        if hmac.compare_digest(name.encode(), username.encode()):
            found = name, secret.get_secret_value()
    if found is None:
        if any(is_password_hash(s.get_secret_value()) for s in passwords.values()):
            spend_a_check(password)
        return None
    return found[0] if password_matches(found[1], password) else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and reads the session cookies of the users in ``passwords``.

    ``secret`` keys the signatures (empty: a random key, so sessions end when the process
    does); ``purpose`` keeps one page's cookies from being valid on another. ``roles`` gives a
    user's role, ``default_role`` that of anyone it does not list. ``store``: where sessions
    are kept so that ``end`` (signing out) ends them; without one (only in unit tests) a
    cookie is valid until it expires.
    """

    def __init__(self, secret: str, passwords: Mapping[str, SecretStr], *,
                 roles: Mapping[str, str] | None = None, default_role: str = "agent",
                 purpose: str = "desk", seconds: int = SESSION_SECONDS,
                 store: SessionStore | None = None) -> None:
        self.key = hashlib.sha256(f"frontdesk-{purpose}-session\0".encode() + (
            secret.encode() if secret else secrets.token_bytes(32))).digest()
        self.passwords = passwords
        self.roles = dict(roles or {})
        self.default_role = default_role
        self.seconds = seconds
        self.purpose = purpose
        self.store = store

    def role_of(self, user: str) -> str:
        return self.roles.get(user, self.default_role)

    def check_password(self, username: str, password: str) -> str | None:
        return check_password(self.passwords, username, password)

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest())

    def _fingerprint(self, user: str) -> str:
        password = self.passwords[user].get_secret_value()
        return self._mac(f"pw\0{user}\0{password}")[:16]

    def issue(self, user: str) -> tuple[str, str]:
        """A cookie value for ``user`` and the session's CSRF token."""
        csrf = secrets.token_urlsafe(24)
        expires = int(time.time()) + self.seconds
        data = {"u": user, "e": expires, "c": csrf, "p": self._fingerprint(user),
                "r": self.role_of(user)}
        if self.store is not None:
            data["s"] = self.store.start(self.purpose, user, expires)
        payload = _b64(json.dumps(data).encode())
        return f"{payload}.{self._mac(payload)}", csrf

    def _signed(self, cookie: str | None) -> dict[str, object] | None:
        """A cookie's claims when we signed it."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def read(self, cookie: str | None) -> Session | None:
        """The session of a valid, unexpired cookie of a still-configured user whose password
        and role have not changed since, and (with a store) not signed out; None otherwise.
        (A cookie without a role is the default role's.)"""
        data = self._signed(cookie)
        try:
            user, expires, csrf, fingerprint = data["u"], data["e"], data["c"], data["p"]
            role = data.get("r", self.default_role)
            session_id = data.get("s", "")
        except (KeyError, TypeError, AttributeError):
            return None
        if (not isinstance(user, str) or user not in self.passwords
                or not isinstance(expires, int) or expires < time.time()
                or not hmac.compare_digest(str(fingerprint), self._fingerprint(user))
                or role != self.role_of(user) or not isinstance(session_id, str)):
            return None
        if self.store is not None and not (
                session_id and self.store.live(self.purpose, user, session_id)):
            return None
        return Session(user, str(csrf), role)

    def end(self, cookie: str | None) -> None:
        """Signs the cookie's session out (an expired or foreign cookie: nothing to do)."""
        data = self._signed(cookie)
        session_id = data.get("s") if data else None
        if self.store is not None and isinstance(session_id, str) and session_id:
            self.store.end(self.purpose, session_id)
