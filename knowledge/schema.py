"""The knowledge base's tables (prefixed ``kb_``: the app's database holds other tables too)
and the engine that reaches them.

A chunk stores what the index needs to search without embedding anything again: its passage,
the sentences its answers are cut from, and its vectors as float32 little-endian bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, make_url

__all__ = ["FORMAT_VERSION", "connect", "kb_chunks", "kb_documents", "metadata"]

# Bump when chunking or the stored vectors change meaning: every document is then re-embedded.
FORMAT_VERSION = 1

metadata = MetaData()
kb_documents = Table(
    "kb_documents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(1024), nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("fingerprint", String(512), nullable=False),  # encoder and chunking it was embedded by
    Column("language", String(16), nullable=False),
    Column("chunk_count", Integer, nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)
kb_chunks = Table(
    "kb_chunks", metadata,
    Column("id", String(1400), primary_key=True),  # the passage id replies cite
    Column("document_id", ForeignKey("kb_documents.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("position", Integer, nullable=False),
    Column("heading", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(16), nullable=False),
    Column("sentences", JSON, nullable=False),  # list[str], one per row of sentence_vectors
    Column("passage_vector", LargeBinary, nullable=False),  # float32 little-endian (512,)
    Column("heading_vector", LargeBinary, nullable=False),
    Column("sentence_vectors", LargeBinary, nullable=False),  # (len(sentences), 512)
    UniqueConstraint("document_id", "position"),
)


def connect(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout, and its folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith(
        "file:"
    ):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: calls read while an ingest writes; busy_timeout: a writer waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
