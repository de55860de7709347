"""The knowledge base in the app's database: documents, their chunks and the chunks' vectors.

``ingest`` reads files and folders, embeds only documents whose content changed (sha256 of the
file's bytes, plus a fingerprint of the encoder model and chunk size, so a new model re-embeds
everything) and replaces a changed document's chunks in one transaction. ``index`` builds the
search index from the stored vectors, without embedding anything, so start-up stays fast.

Documents are keyed by ``source`` (the file name, or the path below an ingested folder): the
same source at a new path is the same document, and passage ids ("<source>#<heading>.<n>"),
which replies cite, stay stable. Tables are prefixed ``kb_`` since the database is shared.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from config.database import Database
from knowledge.documents import Document, DocumentFile, file_sha256, find_documents, read_document
from knowledge.embedding import (
    EmbeddedPassage,
    Embedder,
    embed_passages,
    vectors_from_bytes,
    vectors_to_bytes,
)
from knowledge.index import KnowledgeIndex
from knowledge.passages import Passage
from knowledge.schema import FORMAT_VERSION, TABLES, kb_chunks, kb_documents

__all__ = ["IngestReport", "KnowledgeBase"]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)  # sources
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0  # chunks embedded and written by this ingest
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class KnowledgeBase:
    def __init__(self, database: Database | str, encoder: Embedder, *,
                 max_chars: int = 800) -> None:
        self.encoder = encoder
        self.max_chars = max_chars
        self.database = Database.attach(database)
        self.engine: Engine = self.database.engine
        self.database.create_tables(TABLES)

    def ingest(self, paths: Iterable[Path | str], *, prune: bool = False) -> IngestReport:
        """Bring the stored documents up to date with ``paths`` (files and folders).

        A document is re-read and re-embedded only when its bytes (or the encoder or chunk
        size) changed. Stored documents that were found under an ingested folder before and are
        no longer there (deleted, renamed, now hidden) are removed: a folder is mirrored. With
        ``prune``, every stored document not among ``paths`` is removed, so the database holds
        exactly these files (the server's start-up). Every file is read and checked before
        anything is written: a bad file raises ValueError and leaves the store as it was.
        """
        started = time.perf_counter()
        given = [Path(p).expanduser() for p in paths]
        files = find_documents(given)
        _refuse_duplicate_sources(files)
        stored = self._stored()
        fingerprint = self.fingerprint()
        report = IngestReport()
        changed: list[tuple[DocumentFile, Document]] = []
        moved: dict[int, str] = {}
        for file in files:
            row = stored.get(file.source)
            if row and (row["sha256"], row["fingerprint"]) == (file_sha256(file.path), fingerprint):
                report.unchanged.append(file.source)
                if row["path"] != str(file.path):
                    moved[row["id"]] = str(file.path)
            else:  # read (and so checked) before anything is written
                changed.append((file, read_document(file.path, file.source)))
        folders = [p.resolve() for p in given if p.is_dir()]
        seen = {f.source for f in files}
        report.removed = [
            source for source, row in stored.items() if source not in seen
            and (prune or any(Path(row["path"]).is_relative_to(d) for d in folders))
        ]
        for file, document in changed:
            embedded = embed_passages(document.passages(self.max_chars), self.encoder)
            with self.engine.begin() as conn:
                _replace(conn, stored.get(file.source), file, document, embedded, fingerprint)
            (report.updated if file.source in stored else report.added).append(file.source)
            report.chunks += len(embedded)
        with self.engine.begin() as conn:
            for document_id, path in moved.items():
                conn.execute(update(kb_documents).where(kb_documents.c.id == document_id)
                             .values(path=path))
            gone = [stored[source]["id"] for source in report.removed]
            if gone:
                conn.execute(delete(kb_chunks).where(kb_chunks.c.document_id.in_(gone)))
                conn.execute(delete(kb_documents).where(kb_documents.c.id.in_(gone)))
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def index(self) -> KnowledgeIndex:
        """The search index over every stored chunk, from stored vectors (no embedding)."""
        fingerprint = self.fingerprint()
        query = (
            select(kb_chunks, kb_documents.c.source, kb_documents.c.fingerprint)
            .join(kb_documents, kb_chunks.c.document_id == kb_documents.c.id)
            .order_by(kb_documents.c.id, kb_chunks.c.position)
        )
        embedded: list[EmbeddedPassage] = []
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                if row["fingerprint"] != fingerprint:
                    raise ValueError(f"knowledge document {row['source']} was embedded by another "
                                     "encoder or chunk size; ingest it again")
                passage = Passage(row["id"], row["source"], row["heading"], row["text"],
                                  row["language"])
                sentences = tuple(row["sentences"])
                embedded.append(EmbeddedPassage(
                    passage, sentences, vectors_from_bytes(row["passage_vector"]),
                    vectors_from_bytes(row["heading_vector"]),
                    vectors_from_bytes(row["sentence_vectors"], len(sentences)),
                ))
        return KnowledgeIndex.from_embedded(embedded, self.encoder)

    def documents(self) -> list[dict[str, Any]]:
        """The stored documents, in ingest order (without their chunks)."""
        columns = [c for c in kb_documents.c if c.name not in ("id", "fingerprint")]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*columns).order_by(kb_documents.c.id)).mappings()
            return [dict(row) for row in rows]

    def fingerprint(self) -> str:
        model = Path(self.encoder.model_path)
        size = model.stat().st_size if model.is_file() else 0
        return f"v{FORMAT_VERSION}|{model.name}|{size}|max_chars={self.max_chars}"

    def close(self) -> None:
        self.database.detach()

    def _stored(self) -> dict[str, dict[str, Any]]:
        """source -> id, path, sha256 and fingerprint of every stored document."""
        d = kb_documents.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(d.id, d.source, d.path, d.sha256, d.fingerprint))
            return {row.source: dict(row._mapping) for row in rows}


def _replace(conn: Connection, row: dict[str, Any] | None, file: DocumentFile,
             document: Document, embedded: Sequence[EmbeddedPassage], fingerprint: str) -> None:
    """Writes one document and all its chunks (the caller's transaction makes it atomic)."""
    values = {
        "source": file.source, "path": str(file.path), "kind": document.kind,
        "sha256": document.sha256, "fingerprint": fingerprint, "language": document.language,
        "chunk_count": len(embedded), "ingested_at": datetime.now(UTC),
    }
    if row is None:
        result = conn.execute(insert(kb_documents).values(**values))
        document_id = result.inserted_primary_key[0]
    else:  # updated in place: the document keeps its id, and so its place in the order
        document_id = row["id"]
        conn.execute(update(kb_documents).where(kb_documents.c.id == document_id).values(**values))
        conn.execute(delete(kb_chunks).where(kb_chunks.c.document_id == document_id))
    if embedded:
        rows = [_chunk_row(document_id, i, e) for i, e in enumerate(embedded)]
        conn.execute(insert(kb_chunks), rows)


def _chunk_row(document_id: int, position: int, e: EmbeddedPassage) -> dict[str, Any]:
    p = e.passage
    return {
        "id": p.id, "document_id": document_id, "position": position, "heading": p.heading,
        "text": p.text, "language": p.language, "sentences": list(e.sentences),
        "passage_vector": vectors_to_bytes(e.passage_vector),
        "heading_vector": vectors_to_bytes(e.heading_vector),
        "sentence_vectors": vectors_to_bytes(e.sentence_vectors),
    }


def _refuse_duplicate_sources(files: Sequence[DocumentFile]) -> None:
    first: dict[str, Path] = {}
    for file in files:
        other = first.setdefault(file.source, file.path)
        if other != file.path:
            raise ValueError(f"two knowledge files would both be cited as {file.source}: "
                             f"{other} and {file.path}; rename one")
