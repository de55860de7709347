"""The knowledge base's command-line actions, as functions returning JSON-able dicts.

The CLI (telephony/cli/main.py) parses arguments, loads the encoder and prints what these return.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from knowledge.embedding import Embedder
from knowledge.store import KnowledgeBase

__all__ = ["ingest_command", "search_command"]


def ingest_command(
    database_url: str, encoder: Embedder, paths: Iterable[Path | str], *, prune: bool = False
) -> dict[str, Any]:
    """Ingest files and folders; the report lists sources added, updated, unchanged, removed."""
    base = KnowledgeBase(database_url, encoder)
    try:
        report = base.ingest(paths, prune=prune).as_dict()
        report["documents"] = len(base.documents())
        return report
    finally:
        base.close()


def search_command(
    database_url: str,
    encoder: Embedder,
    query: str,
    k: int = 3,
    source: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The ``k`` best stored passages for ``query``, with the sentences an answer would speak."""
    base = KnowledgeBase(database_url, encoder)
    try:
        index = base.index()
    finally:
        base.close()
    hits = index.search(query, k, source=source, language=language)
    results = [
        {
            "id": hit.passage.id,
            "source": hit.passage.source,
            "heading": hit.passage.heading,
            "text": hit.passage.text,
            "language": hit.passage.language,
            "score": round(hit.score, 4),
            "rank_score": round(hit.rank_score, 4),
            "vector": round(hit.vector, 4),
            "bm25": round(hit.bm25, 4),
            "answer": index.answer_sentences(hit.passage, query),
        }
        for hit in hits
    ]
    return {"query": query, "source": source, "language": language, "results": results}
