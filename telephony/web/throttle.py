"""The sign-in throttle: wrong passwords are counted per client address and over all addresses,
never per username (so nobody can lock a user out), and the page is told how long to wait
(``Backoff``, a pure rule): it answers 429 with Retry-After.

Where the count is kept is a ledger: in memory (one process), or in the database
(``DatabaseLedger``, table ``signin_attempts``), so that servers sharing a database share the
count: an attacker cannot spread guesses over the servers behind a load balancer. The signed-in
pages use the database whenever their sessions are kept there (``SignIn``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Column, Float, Index, Integer, String, Table, delete, func, insert, select
from sqlalchemy.engine import Engine

from config.database import LazyDatabase, metadata
from telephony.web.auth import SESSION_SECONDS

__all__ = [
    "EVERYONE",
    "PER_ADDRESS",
    "Backoff",
    "DatabaseLedger",
    "Ledger",
    "LoginThrottle",
    "MemoryLedger",
    "signin_attempts",
]

signin_attempts = Table(
    "signin_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("purpose", String(32), nullable=False),  # the page: "desk", "admin", "insights"
    Column("address", String(64), nullable=False),  # the client's address
    Column("kind", String(16), nullable=False),  # "failed" or "signed_in"
    Column("at", Float, nullable=False),  # Unix seconds
    Index("ix_signin_attempts_kind_at", "purpose", "kind", "at"),
    Index("ix_signin_attempts_address", "purpose", "address"),
)


@dataclass(frozen=True)
class Backoff:
    """``free`` wrong passwords within ``window_seconds`` cost nothing; each one more doubles
    the wait after the latest, from ``first_wait`` up to ``max_wait`` seconds."""

    free: int
    window_seconds: float
    first_wait: float
    max_wait: float

    def wait(self, failures: Sequence[float], now: float) -> float:
        """Seconds from ``now`` until the next try is heard, given the times of the wrong
        passwords (oldest first); 0: at once."""
        recent = [t for t in failures if t > now - self.window_seconds]
        if len(recent) < self.free:
            return 0.0
        wait = min(self.max_wait, self.first_wait * 2.0 ** min(len(recent) - self.free, 64))
        return max(0.0, recent[-1] + wait - now)


# One client address: 10 wrong passwords in 15 minutes, then 30 s, 1, 2, 4 ... 15 minutes.
PER_ADDRESS = Backoff(free=10, window_seconds=900.0, first_wait=30.0, max_wait=900.0)
# All addresses together (a guess spread over many addresses): 200 in 15 minutes, then
# 1 s, 2, 4 ... 60 s between wrong passwords.
EVERYONE = Backoff(free=200, window_seconds=900.0, first_wait=1.0, max_wait=60.0)


class Ledger(Protocol):
    """Where the wrong passwords and the sign-ins are kept."""

    def failures(self, address: str | None, since: float, limit: int) -> list[float]:
        """Times of the latest ``limit`` wrong passwords after ``since`` (oldest first), from
        ``address`` (None: from anywhere)."""
        ...

    def last_sign_in(self, address: str) -> float | None: ...

    def add(self, address: str, kind: str, at: float) -> int:
        """Note a wrong password ("failed") or a sign-in ("signed_in"); returns its id."""
        ...

    def remove(self, entry: int) -> None: ...


class MemoryLedger:
    """One process's count, bounded in memory."""

    def __init__(self, keep_per_address: int, keep_overall: int) -> None:
        self._keep = keep_per_address
        self._failures: dict[str, deque[tuple[int, float]]] = {}
        self._all: deque[tuple[int, float]] = deque(maxlen=keep_overall)
        self._signed_in: dict[str, float] = {}
        self._next = 0

    def failures(self, address: str | None, since: float, limit: int) -> list[float]:
        kept = self._all if address is None else self._failures.get(address, ())
        return [at for _, at in kept if at > since][-limit:]

    def last_sign_in(self, address: str) -> float | None:
        return self._signed_in.get(address)

    def add(self, address: str, kind: str, at: float) -> int:
        self._next += 1
        if kind == "signed_in":
            if len(self._signed_in) > 10_000:  # never grows without bound
                self._signed_in = dict(sorted(self._signed_in.items(),
                                              key=lambda item: item[1])[-5_000:])
            self._signed_in[address] = at
            return self._next
        if len(self._failures) > 10_000:
            self._failures = {k: v for k, v in self._failures.items()
                              if v and v[-1][1] > at - 3600}
        self._failures.setdefault(address, deque(maxlen=self._keep)).append((self._next, at))
        self._all.append((self._next, at))
        return self._next

    def remove(self, entry: int) -> None:
        for kept in (*self._failures.values(), self._all):
            for item in list(kept):
                if item[0] == entry:
                    with suppress(ValueError):
                        kept.remove(item)


class DatabaseLedger:
    """The count in the database at ``url`` (opened on first use), shared by every server on
    it; entries older than ``keep_seconds`` are deleted as new ones come."""

    def __init__(self, url: str, purpose: str, *, keep_seconds: float) -> None:
        self.url = url
        self.purpose = purpose
        self.keep_seconds = keep_seconds
        self._database = LazyDatabase(url, [signin_attempts])

    @property
    def engine(self) -> Engine:
        return self._database.engine

    def failures(self, address: str | None, since: float, limit: int) -> list[float]:
        t = signin_attempts.c
        query = select(t.at).where(t.purpose == self.purpose, t.kind == "failed", t.at > since)
        if address is not None:
            query = query.where(t.address == address)
        with self.engine.connect() as conn:
            found = conn.execute(query.order_by(t.at.desc()).limit(limit)).scalars().all()
        return sorted(found)

    def last_sign_in(self, address: str) -> float | None:
        t = signin_attempts.c
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(t.at)).where(
                t.purpose == self.purpose, t.kind == "signed_in", t.address == address)).scalar()

    def add(self, address: str, kind: str, at: float) -> int:
        t = signin_attempts.c
        with self.engine.begin() as conn:
            conn.execute(delete(signin_attempts).where(t.purpose == self.purpose,
                                                       t.at < at - self.keep_seconds))
            entry = conn.execute(insert(signin_attempts).values(
                purpose=self.purpose, address=address[:64], kind=kind, at=at))
            return int(entry.inserted_primary_key[0])

    def remove(self, entry: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(signin_attempts).where(signin_attempts.c.id == entry))

    def close(self) -> None:
        self._database.close()


class LoginThrottle:
    """Wrong passwords per client address (``per_address``) and over all addresses
    (``everyone``), never per username, so an attacker is slowed without the user being
    locked out: an address is held up by its own failures, and one where someone signed in
    within ``remember_seconds`` is not held up by everyone's. Tries refused with a wait are
    not counted. Kept in ``ledger`` (default: in memory); ``clock`` is in seconds, and must be
    the wall clock for a ledger servers share."""

    def __init__(self, per_address: Backoff = PER_ADDRESS, everyone: Backoff = EVERYONE, *,
                 remember_seconds: float = SESSION_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 ledger: Ledger | None = None) -> None:
        self.per_address = per_address
        self.everyone = everyone
        self.remember_seconds = remember_seconds
        self.clock = clock
        self._per_address_kept = per_address.free + 64  # enough to reach max_wait
        self._overall_kept = everyone.free + 64
        self.ledger: Ledger = ledger or MemoryLedger(self._per_address_kept,
                                                     self._overall_kept)
        self._lock = threading.Lock()  # a try's check and its count, together

    @classmethod
    def shared(cls, url: str, purpose: str) -> LoginThrottle:
        """A throttle whose count is in the database at ``url``, for ``purpose``'s page."""
        keep = max(PER_ADDRESS.window_seconds, EVERYONE.window_seconds, SESSION_SECONDS)
        return cls(clock=time.time, ledger=DatabaseLedger(url, purpose, keep_seconds=keep))

    def wait(self, address: str) -> int:
        """Whole seconds ``address`` must wait before its next try is heard (0: now)."""
        now = self.clock()
        mine = self.ledger.failures(address, now - self.per_address.window_seconds,
                                    self._per_address_kept)
        wait = self.per_address.wait(mine, now)
        last = self.ledger.last_sign_in(address)
        if last is None or now - last > self.remember_seconds:
            everyone = self.ledger.failures(None, now - self.everyone.window_seconds,
                                            self._overall_kept)
            wait = max(wait, self.everyone.wait(everyone, now))
        return math.ceil(wait)

    def check_and_count(self, address: str) -> tuple[int, int | None]:
        """``wait``, and when it is 0 the try counted as failed until its password is checked
        (``failed``'s entry, for ``pardon``): concurrent tries in this process all count.
        Blocking (the ledger may be the database): call it in a thread."""
        with self._lock:
            wait = self.wait(address)
            return wait, (None if wait > 0 else self.failed(address))

    def failed(self, address: str) -> int:
        """Count a wrong password (or a try not yet checked) from ``address``; returns its
        entry, for ``pardon``."""
        return self.ledger.add(address, "failed", self.clock())

    def pardon(self, address: str, entry: int) -> None:
        """A try counted by ``failed`` before its password was checked turned out right."""
        self.ledger.remove(entry)

    def succeeded(self, address: str) -> None:
        self.ledger.add(address, "signed_in", self.clock())
