"""Routing-rules versions in the database: the active version per business, history, audit.

Every change is a new row in ``rule_versions`` (a version's text never changes); which one is
live is ``rule_active``; every attempt (seed, submit, roll back, and each refusal) is a row in
``rule_audit`` naming who did it and with what role. Nothing is ever deleted, so every change
is attributable and reversible.

Safety:
- a source is validated (``load`` raises ``RulesError``) before it is written: an invalid
  version never exists, so it can never become active;
- optimistic concurrency: a submit or roll back names the version it was ``based_on``; it goes
  live only if that is still the active one, by a compare-and-set ``UPDATE ... WHERE version =
  based_on`` in the same transaction that inserts the version. Of two editors who started from
  the same version the second gets ``RuleConflict`` (with the new active id), never a silent
  overwrite. This holds across threads, processes and servers sharing the database.

Parsed ``Rules`` are cached per version id; ``active`` reads the active id from the database on
each call, so a change made by another process is seen by the next call that asks.

At ~310 lines: each operation keeps its compare-and-set and its audit row in one transaction,
so they stay in one class.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import (
    JSON,
    Column,
    Float,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from config.database import Database, metadata
from config.rules import Rules, RulesError

__all__ = [
    "NoRules",
    "RuleConflict",
    "RuleStore",
    "RuleVersion",
    "rule_active",
    "rule_audit",
    "rule_versions",
]

rule_versions = Table(
    "rule_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("business", String(64), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("author", String(128), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("source", Text, nullable=False),  # the YAML text, as submitted
    Column("based_on", Integer),  # the version that was active when this one was made
    Column("kind", String(16), nullable=False),  # seed | submit | rollback
    Column("rolled_back_to", Integer),  # rollback: the version whose text this is
)
rule_active = Table(
    "rule_active", metadata,
    Column("business", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("author", String(128), nullable=False),
)
rule_audit = Table(
    "rule_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("business", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("user", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(16), nullable=False),  # submit | rollback | refused | seed
    Column("version", Integer),  # the version made (or, refused: the one it was based on)
    Column("detail", JSON, nullable=False),
)
TABLES = (rule_versions, rule_active, rule_audit)


class RuleConflict(Exception):
    """The active version is no longer the one the change was based on: reload and redo."""

    def __init__(self, business: str, based_on: int, active: int) -> None:
        self.business, self.based_on, self.active = business, based_on, active
        super().__init__(f"{business}: the change was based on version {based_on}, but "
                         f"version {active} is active now (someone else saved first)")


class _Stale(Exception):
    def __init__(self, active: int | None) -> None:
        self.active = active


class NoRules(LookupError):
    """No rules version exists for the business (``ensure_seeded`` was never called), or the
    version asked for does not exist."""


@dataclass(frozen=True)
class RuleVersion:
    id: int
    business: str
    created_at: float
    author: str
    comment: str
    source: str
    based_on: int | None
    kind: str
    rolled_back_to: int | None
    rules: Rules


class RuleStore:
    """Rules versions on ``url`` (one database for everything; SQLite WAL or PostgreSQL).

    ``load`` turns a source text into ``Rules`` or raises ``RulesError`` (pass the dialog's
    ``load_routing_rules`` with the real tool names). Thread-safe; each method is one short
    transaction (blocking: call it in a thread from async code).
    """

    def __init__(self, database: Database | str, load: Callable[[str], Rules]) -> None:
        self.database = Database.attach(database)
        self.engine = self.database.engine
        self.database.create_tables(TABLES)
        self._load = load
        self._parsed: dict[int, Rules] = {}
        self._lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------------

    def _rules(self, version_id: int, source: str) -> Rules:
        """The version's parsed rules (cached: its text never changes)."""
        with self._lock:
            cached = self._parsed.get(version_id)
        if cached is not None:
            return cached
        try:
            rules = self._load(source)
        except RulesError:
            # Stored versions were valid when written; one that no longer passes the meaning
            # checks (say, an HTTP tool since removed from the settings) is still history.
            # Its schema still holds. A rollback to it re-validates and is refused.
            rules = Rules.model_validate(yaml.safe_load(source))
        with self._lock:
            self._parsed[version_id] = rules
        return rules

    def _version(self, row: RowMapping) -> RuleVersion:
        return RuleVersion(
            id=row["id"], business=row["business"], created_at=row["created_at"],
            author=row["author"], comment=row["comment"] or "", source=row["source"],
            based_on=row["based_on"], kind=row["kind"], rolled_back_to=row["rolled_back_to"],
            rules=self._rules(row["id"], row["source"]))

    def _active_id(self, conn: Connection, business: str) -> int | None:
        return conn.execute(select(rule_active.c.version)
                            .where(rule_active.c.business == business)).scalar()

    def active(self, business: str) -> RuleVersion:
        """The version new calls of ``business`` use. Raises ``NoRules`` when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(rule_versions).join(rule_active, rule_active.c.version
                                           == rule_versions.c.id)
                .where(rule_active.c.business == business)).mappings().first()
        if row is None:
            raise NoRules(f"no rules version for business {business!r}")
        return self._version(row)

    def get(self, version_id: int) -> RuleVersion | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(rule_versions)
                               .where(rule_versions.c.id == version_id)).mappings().first()
        return None if row is None else self._version(row)

    def versions(self, business: str) -> list[RuleVersion]:
        """Every version of ``business``, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(rule_versions)
                                .where(rule_versions.c.business == business)
                                .order_by(rule_versions.c.id.desc())).mappings().all()
        return [self._version(row) for row in rows]

    def diff(self, old: int, new: int) -> str:
        """A unified diff from version ``old``'s text to version ``new``'s."""
        with self.engine.connect() as conn:
            rows = {r["id"]: r["source"] for r in conn.execute(
                select(rule_versions.c.id, rule_versions.c.source)
                .where(rule_versions.c.id.in_([old, new]))).mappings()}
        for version_id in (old, new):
            if version_id not in rows:
                raise NoRules(f"no rules version {version_id}")
        return "".join(difflib.unified_diff(
            rows[old].splitlines(keepends=True), rows[new].splitlines(keepends=True),
            fromfile=f"version {old}", tofile=f"version {new}"))

    def audit(self, business: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit entries of ``business``, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(rule_audit).where(rule_audit.c.business == business)
                                .order_by(rule_audit.c.id.desc()).limit(limit)).mappings()
            return [dict(row) for row in rows]

    # -- writing -----------------------------------------------------------------------------

    def _audit(self, conn: Connection, business: str, user: str, role: str, action: str,
               version: int | None, **detail: Any) -> None:
        conn.execute(insert(rule_audit).values(business=business, at=time.time(), user=user,
                                               role=role, action=action, version=version,
                                               detail=detail))

    def _refuse(self, business: str, user: str, role: str, based_on: int | None,
                **detail: Any) -> None:
        with self.engine.begin() as conn:
            self._audit(conn, business, user, role, "refused", based_on, **detail)

    def ensure_seeded(self, business: str, source: str, author: str = "system") -> RuleVersion:
        """The active version of ``business``; when there is none, version 1 made from
        ``source`` (validated: raises ``RulesError``). Safe to call from several servers at
        once: one seeds, the others get its version."""
        try:
            return self.active(business)
        except NoRules:
            pass
        self._load(source)
        now = time.time()
        try:
            with self.engine.begin() as conn:
                version = conn.execute(insert(rule_versions).values(
                    business=business, created_at=now, author=author, comment="initial rules",
                    source=source, based_on=None, kind="seed")).inserted_primary_key[0]
                conn.execute(insert(rule_active).values(business=business, version=version,
                                                        updated_at=now, author=author))
                self._audit(conn, business, author, "system", "seed", version)
        except IntegrityError:
            pass  # another process seeded first (rule_active's primary key): use its version
        return self.active(business)

    def _publish(self, business: str, source: str, *, author: str, role: str, based_on: int,
                 kind: str, comment: str, rolled_back_to: int | None = None) -> RuleVersion:
        """Insert a version and make it active if ``based_on`` still is (one transaction)."""
        now = time.time()
        try:
            with self.engine.begin() as conn:
                # Write first: on SQLite this takes the write lock before anything is read, so
                # concurrent writers queue (busy timeout) instead of failing on a stale snapshot.
                version = conn.execute(insert(rule_versions).values(
                    business=business, created_at=now, author=author, comment=comment,
                    source=source, based_on=based_on, kind=kind,
                    rolled_back_to=rolled_back_to)).inserted_primary_key[0]
                moved = conn.execute(update(rule_active).where(
                    rule_active.c.business == business, rule_active.c.version == based_on)
                    .values(version=version, updated_at=now, author=author)).rowcount
                if moved != 1:  # rolls the version row back with the transaction
                    raise _Stale(self._active_id(conn, business))
                self._audit(conn, business, author, role, kind, version, based_on=based_on,
                            comment=comment, rolled_back_to=rolled_back_to)
        except _Stale as stale:
            if stale.active is None:
                raise NoRules(f"no rules version for business {business!r}") from None
            self._refuse(business, author, role, based_on, reason="conflict", attempted=kind,
                         active=stale.active, comment=comment)
            raise RuleConflict(business, based_on, stale.active) from None
        found = self.get(version)
        assert found is not None
        return found

    def submit(self, business: str, source: str, *, author: str, role: str, based_on: int,
               comment: str = "") -> RuleVersion:
        """Validate ``source`` and make it the active version. Raises ``RulesError`` (audited
        as refused; nothing else changes) or ``RuleConflict`` (``based_on`` is stale)."""
        try:
            self._load(source)
        except RulesError as e:
            self._refuse(business, author, role, based_on, reason="invalid", attempted="submit",
                         comment=comment, problems=[str(p) for p in e.problems])
            raise
        return self._publish(business, source, author=author, role=role, based_on=based_on,
                             kind="submit", comment=comment)

    def rollback(self, business: str, to_version: int, *, author: str, role: str,
                 based_on: int) -> RuleVersion:
        """A new active version with the text of ``to_version`` (re-validated). Raises
        ``NoRules`` for an unknown version, ``RulesError`` or ``RuleConflict`` as ``submit``."""
        old = self.get(to_version)
        if old is None or old.business != business:
            raise NoRules(f"no rules version {to_version} for business {business!r}")
        comment = f"roll back to version {to_version}"
        try:
            self._load(old.source)
        except RulesError as e:
            self._refuse(business, author, role, based_on, reason="invalid",
                         attempted="rollback", rolled_back_to=to_version,
                         problems=[str(p) for p in e.problems])
            raise
        return self._publish(business, old.source, author=author, role=role, based_on=based_on,
                             kind="rollback", comment=comment, rolled_back_to=to_version)

    def close(self) -> None:
        self.database.detach()
