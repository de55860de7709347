"""Session cookies with roles, password checks and the sign-in throttle (telephony.web.auth)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import bcrypt
import pytest
from pydantic import SecretStr

from telephony.web.auth import (
    Session,
    Sessions,
    SessionStore,
    _b64,
    check_password,
)
from telephony.web.passwords import hash_password, is_password_hash, password_matches
from telephony.web.throttle import PER_ADDRESS, Backoff, DatabaseLedger, LoginThrottle

SECRET = "session-secret-0123456789abcdef"
PASSWORDS = {"ada": SecretStr("analytical engine"), "bob": SecretStr("tr0ub4dor&3"),
             "eve": SecretStr("")}


def test_password_check() -> None:
    assert check_password(PASSWORDS, "ada", "analytical engine") == "ada"
    assert check_password(PASSWORDS, "ada", "analytical") is None
    assert check_password(PASSWORDS, "nobody", "analytical engine") is None
    assert check_password(PASSWORDS, "eve", "") is None  # an empty password opens nothing


def test_passwords_configured_as_argon2_or_bcrypt_hashes() -> None:
    argon2 = hash_password("analytical engine")
    bcrypt_hash = bcrypt.hashpw(b"tr0ub4dor&3", bcrypt.gensalt(rounds=4)).decode()
    assert argon2.startswith("$argon2id$") and is_password_hash(bcrypt_hash)
    hashed = {"ada": SecretStr(argon2), "bob": SecretStr(bcrypt_hash)}
    assert check_password(hashed, "ada", "analytical engine") == "ada"
    assert check_password(hashed, "bob", "tr0ub4dor&3") == "bob"
    assert check_password(hashed, "ada", argon2) is None  # the hash is not the password
    assert check_password(hashed, "bob", "analytical engine") is None
    assert check_password(hashed, "nobody", "analytical engine") is None
    # A value that looks like a hash and is not one opens nothing.
    assert not password_matches("$argon2id$v=19$m=65536,t=3,p=4$broken", "broken")
    assert not password_matches("$2b$12$short", "short")
    assert password_matches("plain text", "plain text") and not password_matches("", "")


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


def test_backoff_doubles_the_wait_after_the_free_failures() -> None:
    rule = Backoff(free=3, window_seconds=100, first_wait=10, max_wait=35)
    assert rule.wait([], 0) == 0
    assert rule.wait([1, 2], 2) == 0
    assert rule.wait([1, 2, 3], 3) == 10
    assert rule.wait([1, 2, 3], 8) == 5
    assert rule.wait([1, 2, 3], 13) == 0
    assert rule.wait([1, 2, 3, 4], 4) == 20
    assert rule.wait([1, 2, 3, 4, 5, 6, 7], 7) == 35  # at most max_wait
    assert rule.wait([1, 2, 3], 102) == 0  # the first failure left the window


@pytest.fixture(params=["memory", "database"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseLedger | None:
    """Where the throttle counts: in memory (None), or in a database servers share."""
    if request.param == "memory":
        return None
    return DatabaseLedger(f"sqlite:///{tmp_path / 'throttle.db'}", "desk", keep_seconds=3600)


def test_throttle_counts_per_address_and_overall_never_per_name(
        ledger: DatabaseLedger | None) -> None:
    now = [1000.0]
    throttle = LoginThrottle(Backoff(free=2, window_seconds=60, first_wait=10, max_wait=40),
                             Backoff(free=4, window_seconds=60, first_wait=5, max_wait=5),
                             clock=lambda: now[0], ledger=ledger)
    for _ in range(2):
        assert throttle.wait("1.2.3.4") == 0
        throttle.failed("1.2.3.4")
    assert throttle.wait("1.2.3.4") == 10  # whichever name it tries next
    assert throttle.wait("5.6.7.8") == 0
    throttle.succeeded("5.6.7.8")
    throttle.failed("9.9.9.1")
    throttle.failed("9.9.9.2")
    assert throttle.wait("9.9.9.3") == 5  # everyone's four failures
    assert throttle.wait("5.6.7.8") == 0  # someone signed in there: not held up by them
    now[0] = 1005.5
    assert throttle.wait("9.9.9.3") == 0 and throttle.wait("1.2.3.4") == 5
    now[0] = 1061
    assert throttle.wait("1.2.3.4") == 0


def test_a_try_counted_before_its_check_is_pardoned_when_right(
        ledger: DatabaseLedger | None) -> None:
    now = [1000.0]
    throttle = LoginThrottle(Backoff(free=2, window_seconds=60, first_wait=10, max_wait=40),
                             Backoff(free=100, window_seconds=60, first_wait=1, max_wait=5),
                             clock=lambda: now[0], ledger=ledger)
    stamp = throttle.failed("1.2.3.4")  # counted while its password is checked
    now[0] += 1
    throttle.failed("1.2.3.4")  # another try, wrong
    throttle.pardon("1.2.3.4", stamp)  # the first was right
    assert throttle.wait("1.2.3.4") == 0 and len(throttle.ledger.failures(None, 0, 100)) == 1
    throttle.failed("1.2.3.4")
    assert throttle.wait("1.2.3.4") == 10  # two wrong ones: the backoff starts


def test_servers_on_one_database_share_the_count(tmp_path: Path) -> None:
    """Two servers' throttles on one database: wrong passwords tried on one hold the address
    up on the other; another page's count is its own."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a, b = LoginThrottle.shared(url, "desk"), LoginThrottle.shared(url, "desk")
    admin = LoginThrottle.shared(url, "admin")
    for _ in range(PER_ADDRESS.free):
        assert b.wait("1.2.3.4") == 0
        a.failed("1.2.3.4")
    assert b.wait("1.2.3.4") == PER_ADDRESS.first_wait and admin.wait("1.2.3.4") == 0
    assert a.wait("5.6.7.8") == 0


def test_a_signed_out_session_is_over(tmp_path: Path) -> None:
    store = SessionStore(f"sqlite:///{tmp_path / 'sessions.db'}")
    sessions = Sessions(SECRET, PASSWORDS, store=store)
    first, _ = sessions.issue("bob")
    second, _ = sessions.issue("bob")
    assert sessions.read(first) is not None
    sessions.end(first)
    assert sessions.read(first) is None and sessions.read(second) is not None
    # Another server on the same database agrees; a cookie from before sessions were
    # stored (no session id) is not one of them.
    other = Sessions(SECRET, PASSWORDS, store=SessionStore(store.url))
    assert other.read(first) is None and other.read(second) is not None
    assert other.read(Sessions(SECRET, PASSWORDS).issue("bob")[0]) is None
    sessions.end("forged.cookie")
    store.close()
