"""The one database: every layer's tables live in it (calls, handoffs, rules, sign-in
sessions, knowledge, sample businesses, tool audit), and every store of a process shares one
engine (one connection pool) per URL.

- ``metadata`` is the one table registry: each package declares its tables on it (names are
  unique across the project), and each store creates and migrates its own tables through
  ``Database.create_tables`` (one path: ``create_all`` plus the columns added since).
- ``Database.shared(url)`` is the process's database for a URL, opened on first use. The
  composition root (``telephony.runtime``) opens it once and hands it to each store; a store
  built from a URL (the CLI, tests, the admin pages) finds the same one through this cache.
- Stores ``attach`` on construction and ``detach`` in their ``close``: the engine is disposed
  when the last user detaches, so one store's close never cuts off another's pool.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url

__all__ = ["Database", "LazyDatabase", "create_tables", "metadata", "open_database"]

metadata = MetaData()

_lock = threading.RLock()
_open: weakref.WeakValueDictionary[str, Database] = weakref.WeakValueDictionary()


class Database:
    """One database URL and its engine, shared by the stores of a process (thread-safe)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_database(url)
        self.users = 0  # stores attached and not yet closed

    @classmethod
    def shared(cls, database: Database | str) -> Database:
        """``database`` itself, or the process's open ``Database`` for that URL (opened now
        when no store holds it)."""
        with _lock:
            if isinstance(database, Database):
                _open.setdefault(database.url, database)
                return database
            found = _open.get(database)
            if found is None:
                found = _open[database] = cls(database)
            return found

    @classmethod
    def attach(cls, database: Database | str) -> Database:
        """``shared(database)``, counted as one more user until ``detach``."""
        with _lock:
            found = cls.shared(database)
            found.users += 1
            return found

    def detach(self) -> None:
        """One user fewer; the last one disposes the engine's pool (and a later ``shared``
        opens the URL afresh)."""
        with _lock:
            self.users = max(0, self.users - 1)
            if self.users:
                return
            if _open.get(self.url) is self:
                del _open[self.url]
        self.engine.dispose()

    def create_tables(self, tables: Iterable[Table]) -> None:
        """Create ``tables`` where missing and add their newer columns (``create_tables``)."""
        create_tables(self.engine, tables)


class LazyDatabase:
    """A store's database at ``url``, opened (and its ``tables`` made) on first use, for the
    stores that may never be used (a page with no users). Thread-safe."""

    def __init__(self, url: str, tables: Iterable[Table]) -> None:
        self.url = url
        self.tables = list(tables)
        self._database: Database | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._database is None:
                database = Database.attach(self.url)
                database.create_tables(self.tables)
                self._database = database
            return self._database.engine

    def close(self) -> None:
        with self._lock:
            if self._database is not None:
                self._database.detach()
                self._database = None


def open_database(url: str) -> Engine:
    """An engine for ``url`` usable from worker threads (stores use ``Database``, which
    opens one per URL with this).

    SQLite (the default, one file) gets WAL (calls read while a writer works), a busy timeout (a
    writer waits instead of failing) and foreign keys, and its folder is created. Any other
    SQLAlchemy URL (PostgreSQL for several servers) gets connection checks on checkout.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_tables(engine: Engine, tables: Iterable[Table]) -> None:
    """Create ``tables`` (of ``metadata``) where missing, and add to existing ones the columns
    added since they were created (nullable, no data): a database from an older release keeps
    working."""
    tables = list(tables)
    metadata.create_all(engine, tables=tables)
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in tables:
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN '
                                      f'"{column.name}" {kind}'))
