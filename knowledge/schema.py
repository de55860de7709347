"""The knowledge base's tables (prefixed ``kb_``: the app's database holds other tables too).

A chunk stores what the index needs to search without embedding anything again: its passage,
the sentences its answers are cut from, and its vectors as float32 little-endian bytes.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from config.database import metadata

__all__ = ["FORMAT_VERSION", "TABLES", "kb_chunks", "kb_documents", "metadata"]

# Bump when chunking or the stored vectors change meaning: every document is then re-embedded.
FORMAT_VERSION = 1

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
TABLES = (kb_documents, kb_chunks)
