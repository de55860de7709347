"""How the one database is opened: every layer's tables live in it (calls, knowledge, sample
businesses, tool audit), so they all open it the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url

__all__ = ["create_tables", "open_database"]


def open_database(url: str) -> Engine:
    """An engine for ``url`` usable from worker threads.

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


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Create ``metadata``'s tables, and add to existing ones the columns added since they were
    created (nullable, no data): a database from an older release keeps working."""
    metadata.create_all(engine)
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN '
                                      f'"{column.name}" {kind}'))
