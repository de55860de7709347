"""Signing in to the web pages: password checks, signed session cookies and a sign-in throttle.

Sessions are stateless signed cookies (HMAC-SHA256 with a key derived from a configured
secret): {user, role, expiry, CSRF token, password fingerprint}. A session ends when it expires,
when its user is removed, when their password changes, or when their role changes. The agent
desktop's people all have the role "agent"; a console with roles (say "admin" and "viewer")
gives ``Sessions`` its ``roles``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

__all__ = [
    "LOGIN_FAILURES",
    "LOGIN_WINDOW",
    "SESSION_SECONDS",
    "LoginThrottle",
    "Session",
    "Sessions",
    "check_password",
]

SESSION_SECONDS = 12 * 3600
LOGIN_FAILURES = 10  # per (client address, username) per LOGIN_WINDOW, then refused
LOGIN_WINDOW = 300.0


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str  # what the page must send back in a header with every POST
    role: str


def check_password(passwords: Mapping[str, SecretStr], username: str,
                   password: str) -> str | None:
    """The user's name when ``password`` is theirs (an empty configured password matches
    nothing). The same work for unknown names, so timing does not tell which names exist."""
    matched = None
    for name, secret in passwords.items():
        name_ok = hmac.compare_digest(name.encode(), username.encode())
        password_ok = hmac.compare_digest(secret.get_secret_value().encode(),
                                          password.encode())
        if name_ok and password_ok and secret.get_secret_value():
            matched = name
    return matched


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and reads the session cookies of the users in ``passwords``.

    ``secret`` keys the signatures (empty: a random key, so sessions end when the process
    does); ``purpose`` keeps one page's cookies from being valid on another. ``roles`` gives a
    user's role, ``default_role`` that of anyone it does not list.
    """

    def __init__(self, secret: str, passwords: Mapping[str, SecretStr], *,
                 roles: Mapping[str, str] | None = None, default_role: str = "agent",
                 purpose: str = "desk", seconds: int = SESSION_SECONDS) -> None:
        self.key = hashlib.sha256(f"frontdesk-{purpose}-session\0".encode() + (
            secret.encode() if secret else secrets.token_bytes(32))).digest()
        self.passwords = passwords
        self.roles = dict(roles or {})
        self.default_role = default_role
        self.seconds = seconds

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
        payload = _b64(json.dumps({"u": user, "e": int(time.time()) + self.seconds, "c": csrf,
                                   "p": self._fingerprint(user),
                                   "r": self.role_of(user)}).encode())
        return f"{payload}.{self._mac(payload)}", csrf

    def read(self, cookie: str | None) -> Session | None:
        """The session of a valid, unexpired cookie of a still-configured user whose password
        and role have not changed since; None otherwise. (A cookie without a role is the
        default role's.)"""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            user, expires, csrf, fingerprint = data["u"], data["e"], data["c"], data["p"]
            role = data.get("r", self.default_role)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if (not isinstance(user, str) or user not in self.passwords
                or not isinstance(expires, int) or expires < time.time()
                or not hmac.compare_digest(str(fingerprint), self._fingerprint(user))
                or role != self.role_of(user)):
            return None
        return Session(user, str(csrf), role)


class LoginThrottle:
    """At most ``failures`` wrong passwords for one username from one client address per
    ``window_seconds`` (per address and name, so people behind one proxy don't lock each
    other out)."""

    def __init__(self, failures: int = LOGIN_FAILURES,
                 window_seconds: float = LOGIN_WINDOW) -> None:
        self.limit = failures
        self.window_seconds = window_seconds
        self.failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        now = time.monotonic()
        failures = self.failures.setdefault(client, deque())
        while failures and failures[0] < now - self.window_seconds:
            failures.popleft()
        if len(self.failures) > 10_000:  # never grows without bound
            self.failures = {k: v for k, v in self.failures.items() if v}
        return failures

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= self.limit

    def failed(self, client: str) -> None:
        self._recent(client).append(time.monotonic())
