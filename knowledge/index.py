"""In-memory semantic search over passages, and short spoken answers from a passage.

Every passage is embedded once, at build, as "heading: text", as its heading alone and as
"heading: sentence" per sentence (headings are the leaf of the heading path). A passage's score
is the best cosine of these (a five-sentence passage dilutes the one sentence that answers; a
short question often names only the topic), plus a small lexical boost for query words that
appear in the passage. Read-only after build: share one index across calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from knowledge.encoder import SentenceEncoder
from knowledge.passages import HEADING_SEPARATOR, Passage, split_sentences

__all__ = ["DEFAULT_MIN_SCORE", "Hit", "KnowledgeIndex"]

# On the sample hotel file, 54 en/es/fr/de questions it answers mostly score 0.28-0.75 and 23
# unrelated ones mostly 0.08-0.25. At 0.25: 49/54 answered from the right passage, 2/23
# unrelated answered anyway; at 0.35: 40/54 and 0/23. Below it the engine asks to rephrase.
DEFAULT_MIN_SCORE = 0.25
LEXICAL_WEIGHT = 0.1
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
    score: float  # best cosine (passage, heading or one sentence) + lexical boost, at most 1


class KnowledgeIndex:
    def __init__(self, passages: Sequence[Passage], encoder: SentenceEncoder) -> None:
        self.passages: tuple[Passage, ...] = tuple(passages)
        self.encoder = encoder
        self._sentences = [split_sentences(p.text) or [p.text] for p in self.passages]
        self._words = [_content_words(f"{p.heading} {p.text}") for p in self.passages]
        self._passage_vectors = encoder.embed([_labelled(p, p.text) for p in self.passages])
        # A short question often just names the topic: "is there a gym?"
        self._heading_vectors = encoder.embed([_labelled(p, "") for p in self.passages])
        rows = [
            _labelled(p, s)
            for p, sents in zip(self.passages, self._sentences, strict=True)
            for s in sents
        ]
        self._sentence_vectors = encoder.embed(rows)
        self._sentence_owner = np.repeat(
            np.arange(len(self.passages)), [len(s) for s in self._sentences]
        )
        self._offsets = np.concatenate([[0], np.cumsum([len(s) for s in self._sentences])])
        self._by_id = {p.id: i for i, p in enumerate(self.passages)}
        # Search and answer_sentences embed the same query back to back.
        self._query_vector = lru_cache(maxsize=64)(self._embed_query)

    def search(self, query: str, k: int = 3) -> list[Hit]:
        query = query.strip()
        if not query or not self.passages or k < 1:
            return []
        vector = self._query_vector(query)
        scores = np.maximum(self._passage_vectors @ vector, self._heading_vectors @ vector)
        np.maximum.at(scores, self._sentence_owner, self._sentence_vectors @ vector)
        wanted = _content_words(query)
        scores += LEXICAL_WEIGHT * np.array([_overlap(wanted, w) for w in self._words])
        order = np.argsort(-scores, kind="stable")[:k]
        return [Hit(self.passages[i], float(min(scores[i], 1.0))) for i in order]

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

    def topics(self) -> list[str]:
        """Leaf headings in file order, without repeats (what callers can ask about)."""
        headings = [p.heading for p in self.passages if p.heading]
        parents = {h.rsplit(HEADING_SEPARATOR, 1)[0] for h in headings if HEADING_SEPARATOR in h}
        leaves = (h.rsplit(HEADING_SEPARATOR, 1)[-1] for h in headings if h not in parents)
        return list(dict.fromkeys(leaves))

    def _embed_query(self, query: str) -> np.ndarray:
        vector: np.ndarray = self.encoder.embed([query])[0]
        vector.flags.writeable = False
        return vector


def _labelled(passage: Passage, text: str) -> str:
    """ "leaf heading: text"; the heading alone for text "", the passage's text without one."""
    leaf = passage.heading.rsplit(HEADING_SEPARATOR, 1)[-1]
    if not leaf:
        return text or passage.text
    return f"{leaf}: {text}" if text else leaf


def _content_words(text: str) -> frozenset[str]:
    words = (w.lower() for w in _WORD.findall(text))
    return frozenset(w.removesuffix("s") for w in words if len(w) >= 4 and w not in _STOPWORDS)


def _overlap(wanted: frozenset[str], words: frozenset[str]) -> float:
    return len(wanted & words) / len(wanted) if wanted else 0.0
