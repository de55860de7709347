"""Session cookies with roles, password checks and the sign-in throttle (telephony.auth)."""

from __future__ import annotations

import base64
import json

from pydantic import SecretStr

from telephony.auth import LoginThrottle, Session, Sessions, _b64, check_password

SECRET = "session-secret-0123456789abcdef"
PASSWORDS = {"ada": SecretStr("analytical engine"), "bob": SecretStr("tr0ub4dor&3"),
             "eve": SecretStr("")}


def test_password_check() -> None:
    assert check_password(PASSWORDS, "ada", "analytical engine") == "ada"
    assert check_password(PASSWORDS, "ada", "analytical") is None
    assert check_password(PASSWORDS, "nobody", "analytical engine") is None
    assert check_password(PASSWORDS, "eve", "") is None  # an empty password opens nothing


def test_sessions_carry_a_role() -> None:
    console = Sessions(SECRET, PASSWORDS, roles={"ada": "admin"}, default_role="viewer",
                       purpose="admin")
    cookie, csrf = console.issue("ada")
    assert console.read(cookie) == Session("ada", csrf, "admin")
    viewer, _ = console.issue("bob")
    assert console.read(viewer).role == "viewer"  # type: ignore[union-attr]
    # A role taken away ends the session; another page's cookies are not valid here.
    demoted = Sessions(SECRET, PASSWORDS, default_role="viewer", purpose="admin")
    assert demoted.read(cookie) is None
    desk = Sessions(SECRET, PASSWORDS)
    assert desk.read(cookie) is None
    assert desk.read(desk.issue("bob")[0]).role == "agent"  # type: ignore[union-attr]


def test_sessions_end_with_a_new_password_or_a_forged_cookie() -> None:
    sessions = Sessions(SECRET, PASSWORDS)
    cookie, _ = sessions.issue("bob")
    changed = Sessions(SECRET, {**PASSWORDS, "bob": SecretStr("a new password")})
    assert changed.read(cookie) is None
    payload, mac = cookie.split(".")
    assert sessions.read(f"{payload}.{mac[:-2]}xx") is None
    assert sessions.read("no-dot") is None and sessions.read(None) is None


def test_a_cookie_from_before_roles_is_the_default_role() -> None:
    sessions = Sessions(SECRET, PASSWORDS)
    cookie, csrf = sessions.issue("ada")
    head = cookie.split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    del data["r"]
    payload = _b64(json.dumps(data).encode())
    old = f"{payload}.{sessions._mac(payload)}"
    assert sessions.read(old) == Session("ada", csrf, "agent")


def test_throttle_counts_per_client_and_name() -> None:
    throttle = LoginThrottle(failures=2, window_seconds=60)
    for _ in range(2):
        assert not throttle.blocked("1.2.3.4\0bob")
        throttle.failed("1.2.3.4\0bob")
    assert throttle.blocked("1.2.3.4\0bob")
    assert not throttle.blocked("1.2.3.4\0ada")
    expired = LoginThrottle(failures=1, window_seconds=0)
    expired.failed("x")
    assert not expired.blocked("x")
