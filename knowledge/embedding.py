"""Passages -> the vectors retrieval compares a question with, computed once per passage.

Each passage is embedded three ways: as "heading: text", as its heading alone (a short question
often just names the topic: "is there a gym?"), and as "heading: sentence" per sentence (a long
passage dilutes the one sentence that answers). Headings are the leaf of the heading path. The
in-memory index and the stored knowledge base both use these, so their scores are identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.encoder import EMBEDDING_DIM
from knowledge.passages import HEADING_SEPARATOR, Passage, split_sentences

__all__ = [
    "EmbeddedPassage",
    "Embedder",
    "embed_passages",
    "labelled",
    "passage_sentences",
    "vectors_from_bytes",
    "vectors_to_bytes",
]

# Texts per encoder call. One: the quantized model's output for a text shifts slightly with the
# other texts in its batch (cosine 0.997-0.998 against the text alone), so a passage embedded
# with different neighbours, or the question (always alone), would be scored a little apart.
# One at a time costs about the same here (132 texts: 0.14 s against 0.12 s in batches of 32)
# and lets questions from live calls take the encoder's lock between two texts of an ingest.
BATCH_SIZE = 1


class Embedder(Protocol):
    """What retrieval needs of ``SentenceEncoder`` (tests wrap it to count calls)."""

    model_path: Path

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class EmbeddedPassage:
    passage: Passage
    sentences: tuple[str, ...]
    passage_vector: np.ndarray  # (512,) float32, L2-normalised
    heading_vector: np.ndarray  # (512,)
    sentence_vectors: np.ndarray  # (len(sentences), 512)


def passage_sentences(passage: Passage) -> tuple[str, ...]:
    return tuple(split_sentences(passage.text) or [passage.text])


def labelled(passage: Passage, text: str) -> str:
    """ "leaf heading: text"; the heading alone for text "", the passage's text without one."""
    leaf = passage.heading.rsplit(HEADING_SEPARATOR, 1)[-1]
    if not leaf:
        return text or passage.text
    return f"{leaf}: {text}" if text else leaf


def embed_passages(passages: Sequence[Passage], encoder: Embedder) -> list[EmbeddedPassage]:
    sentences = [passage_sentences(p) for p in passages]
    texts = [labelled(p, p.text) for p in passages]
    texts += [labelled(p, "") for p in passages]
    texts += [labelled(p, s) for p, sents in zip(passages, sentences, strict=True) for s in sents]
    vectors = _embed_unique(texts, encoder)
    n = len(passages)
    embedded: list[EmbeddedPassage] = []
    row = 2 * n
    for i, (passage, sents) in enumerate(zip(passages, sentences, strict=True)):
        embedded.append(EmbeddedPassage(passage, sents, vectors[i], vectors[n + i],
                                        vectors[row : row + len(sents)]))
        row += len(sents)
    return embedded


def vectors_to_bytes(vectors: np.ndarray) -> bytes:
    return np.ascontiguousarray(vectors, dtype="<f4").tobytes()


def vectors_from_bytes(data: bytes, rows: int | None = None) -> np.ndarray:
    """float32 little-endian bytes -> (rows, 512), or (512,) when ``rows`` is None."""
    flat = np.frombuffer(data, dtype="<f4").astype(np.float32)
    expected = EMBEDDING_DIM * (1 if rows is None else rows)
    if flat.size != expected:
        raise ValueError(f"stored vector has {flat.size} values, expected {expected}")
    return flat if rows is None else flat.reshape(rows, EMBEDDING_DIM)


def _embed_unique(texts: list[str], encoder: Embedder) -> np.ndarray:
    """Embeds each distinct text once (split sections share their heading)."""
    unique = list(dict.fromkeys(texts))
    parts = [encoder.embed(unique[i : i + BATCH_SIZE]) for i in range(0, len(unique), BATCH_SIZE)]
    matrix = np.concatenate(parts) if parts else np.zeros((0, EMBEDDING_DIM), np.float32)
    position = {text: i for i, text in enumerate(unique)}
    return matrix[[position[t] for t in texts]] if texts else matrix
