"""Hybrid search over passages (vectors and BM25, fused), and short spoken answers from a passage.

Two signals rank passages. The semantic score is the best cosine between the question and the
passage's vectors (see ``knowledge.embedding``), plus a small boost for question words found in
the passage: it works across languages and is calibrated, so ``Hit.score`` carries it and callers
threshold it ("can I answer this?"). BM25 (``knowledge.lexical``) rewards the exact rare words of
a question (a product, "Klarna", "valet") that embeddings blur. The order of hits is their
weighted fusion (``Hit.rank_score``); see ``fuse`` for the measurements behind it.
Read-only after build: share one index across calls and threads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from knowledge.embedding import EmbeddedPassage, Embedder, embed_passages
from knowledge.encoder import EMBEDDING_DIM
from knowledge.lexical import LexicalIndex
from knowledge.passages import HEADING_SEPARATOR, Passage

__all__ = ["DEFAULT_MIN_SCORE", "Hit", "KnowledgeIndex", "fuse"]

# On the sample hotel file, 54 en/es/fr/de questions it answers mostly score 0.28-0.75 and 23
# unrelated ones mostly 0.08-0.25. At 0.25: 49/54 answered from the right passage, 2/23
# unrelated answered anyway; at 0.35: 40/54 and 0/23. Below it the engine asks to rephrase.
# With the support sample as well (tests/unit/knowledge/test_retrieval_eval.py): 97/109 and
# 0/9 at 0.25.
DEFAULT_MIN_SCORE = 0.25
LEXICAL_WEIGHT = 0.1
# Share of BM25 in the ranking score, and the BM25 score that counts as half a match (see fuse).
BM25_WEIGHT = 0.1
BM25_HALF = 2.0
# A section's first sentence usually states the topic ("Dogs and cats are welcome...").
FIRST_SENTENCE_PRIOR = 0.05
# A second sentence joins the answer when it scores within this of the best one.
SECOND_SENTENCE_MARGIN = 0.08
_WORD = re.compile(r"\w+")
# Frequent English question words that carry no topic (shorter words are ignored anyway).
_STOPWORDS = frozenset(
    "about also could does have know like need please tell that there this want what when where "
    "which with would your from they them their then than just some".split()
)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    # Best cosine (passage, heading or one sentence) + lexical boost, at most 1: comparable
    # across questions, so it is what a caller thresholds.
    score: float
    rank_score: float = 0.0  # fused score that ordered the hits (see fuse), at most 1
    vector: float = 0.0  # best cosine alone
    bm25: float = 0.0  # raw BM25 score (0: no question term in the passage)


def fuse(score: np.ndarray, bm25: np.ndarray) -> np.ndarray:
    """The ranking score: mostly the calibrated semantic score, plus a little of BM25.

    BM25 is squashed to [0, 1) by ``bm25 / (bm25 + BM25_HALF)`` (absolute, not divided by the
    best passage's BM25, so one weakly matching common word does not count as a full match).
    On the labeled set (tests/data/retrieval_questions.yaml, 109 en/es/fr/de questions) this
    ranks at least as well as the semantic score alone, while reciprocal rank fusion, which
    throws away how far apart the semantic scores are, lost 6 top-1 answers to BM25 matches on
    common words; BM25 alone cannot cross languages.
    tests/unit/knowledge/test_retrieval_eval.py prints them.
    """
    return (1.0 - BM25_WEIGHT) * score + BM25_WEIGHT * bm25 / (bm25 + BM25_HALF)


class KnowledgeIndex:
    def __init__(self, passages: Sequence[Passage], encoder: Embedder) -> None:
        """Embeds every passage now (the stored knowledge base uses ``from_embedded``)."""
        self._build(embed_passages(list(passages), encoder), encoder)

    @classmethod
    def from_embedded(
        cls, embedded: Sequence[EmbeddedPassage], encoder: Embedder
    ) -> KnowledgeIndex:
        """An index over passages embedded earlier; ``encoder`` embeds only the questions."""
        index = cls.__new__(cls)
        index._build(embedded, encoder)
        return index

    def _build(self, embedded: Sequence[EmbeddedPassage], encoder: Embedder) -> None:
        self.encoder = encoder
        self.passages: tuple[Passage, ...] = tuple(e.passage for e in embedded)
        self._sentences = [list(e.sentences) for e in embedded]
        self._words = [_content_words(f"{p.heading} {p.text}") for p in self.passages]
        self._passage_vectors = _stack([e.passage_vector for e in embedded])
        self._heading_vectors = _stack([e.heading_vector for e in embedded])
        counts = [len(s) for s in self._sentences]
        self._sentence_vectors = (
            np.concatenate([e.sentence_vectors for e in embedded]) if embedded else _stack([])
        )
        self._sentence_owner = np.repeat(np.arange(len(self.passages)), counts)
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(int)
        self._by_id = {p.id: i for i, p in enumerate(self.passages)}
        self._sources = np.array([p.source for p in self.passages], dtype=object)
        self._languages = np.array([p.language for p in self.passages], dtype=object)
        self._lexical = LexicalIndex(
            [f"{p.heading} {p.text}" for p in self.passages], [p.language for p in self.passages]
        )
        # Search and answer_sentences embed the same query back to back.
        self._query_vector = lru_cache(maxsize=64)(self._embed_query)

    def __len__(self) -> int:
        return len(self.passages)

    def get(self, passage_id: str) -> Passage | None:
        """The passage a citation names, if this index has it."""
        i = self._by_id.get(passage_id)
        return None if i is None else self.passages[i]

    def search_preferring(self, query: str, language: str, k: int = 3) -> list[Hit]:
        """The best passages in ``language`` when the documents have that language, else in
        any (the encoder matches across languages): a caller is answered from a document in
        their own language when there is one, and never from a translation of another."""
        has = bool(self.passages) and bool(np.any(self._languages == language))
        return self.search(query, k, language=language if has else None)

    def search(
        self, query: str, k: int = 3, *, source: str | None = None, language: str | None = None
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``, optionally only from one source or language."""
        query = query.strip()
        if not query or not self.passages or k < 1:
            return []
        keep = np.ones(len(self.passages), dtype=bool)
        if source is not None:
            keep &= self._sources == source
        if language is not None:
            keep &= self._languages == language
        candidates = np.flatnonzero(keep)
        if not candidates.size:
            return []
        vector = self._query_vector(query)
        cosine = np.maximum(self._passage_vectors @ vector, self._heading_vectors @ vector)
        np.maximum.at(cosine, self._sentence_owner, self._sentence_vectors @ vector)
        wanted = _content_words(query)
        boost = LEXICAL_WEIGHT * np.array([_overlap(wanted, w) for w in self._words])
        score = np.minimum(cosine + boost, 1.0)
        bm25 = self._lexical.scores(query)
        fused = fuse(score[candidates], bm25[candidates])
        order = np.argsort(-fused, kind="stable")[:k]
        return [
            Hit(self.passages[i], float(score[i]), float(fused[j]), float(cosine[i]),
                float(bm25[i]))
            for j, i in ((int(j), int(candidates[j])) for j in order)
        ]

    def answer_sentences(self, passage: Passage, query: str, max_sentences: int = 2) -> str:
        """The one or two sentences of ``passage`` that best answer ``query``, in text order.

        A second sentence is added only when it scores close to the best one, so most spoken
        answers are a single sentence.
        """
        i = self._by_id.get(passage.id)
        if i is None or self.passages[i] != passage:
            raise KeyError(f"passage {passage.id} is not in this index")
        sentences = self._sentences[i]
        if len(sentences) <= 1 or not query.strip():
            return " ".join(sentences[:max_sentences])
        start, end = self._offsets[i], self._offsets[i + 1]
        scores = self._sentence_vectors[start:end] @ self._query_vector(query.strip())
        wanted = _content_words(query)
        scores += LEXICAL_WEIGHT * np.array(
            [_overlap(wanted, _content_words(s)) for s in sentences]
        )
        scores[0] += FIRST_SENTENCE_PRIOR
        ranked = [int(j) for j in np.argsort(-scores, kind="stable")]
        chosen = [ranked[0]] + [
            j
            for j in ranked[1:max_sentences]
            if scores[j] >= scores[ranked[0]] - SECOND_SENTENCE_MARGIN
        ]
        return " ".join(sentences[j] for j in sorted(chosen))

    def topics(self, language: str | None = None) -> list[str]:
        """Leaf headings in file order, without repeats (what callers can ask about); with
        ``language``, only those of the documents in that language."""
        headings = [p.heading for p in self.passages
                    if p.heading and language in (None, p.language)]
        parents = {h.rsplit(HEADING_SEPARATOR, 1)[0] for h in headings if HEADING_SEPARATOR in h}
        leaves = (h.rsplit(HEADING_SEPARATOR, 1)[-1] for h in headings if h not in parents)
        return list(dict.fromkeys(leaves))

    def _embed_query(self, query: str) -> np.ndarray:
        vector: np.ndarray = self.encoder.embed([query])[0]
        vector.flags.writeable = False
        return vector


def _stack(vectors: Sequence[np.ndarray]) -> np.ndarray:
    if not vectors:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.stack(vectors).astype(np.float32, copy=False)


def _content_words(text: str) -> frozenset[str]:
    words = (w.lower() for w in _WORD.findall(text))
    return frozenset(w.removesuffix("s") for w in words if len(w) >= 4 and w not in _STOPWORDS)


def _overlap(wanted: frozenset[str], words: frozenset[str]) -> float:
    return len(wanted & words) / len(wanted) if wanted else 0.0
