"""BM25 over passages, with per-language stop words and Snowball stemming.

bm25s scores (numpy, no scipy needed at this size); PyStemmer stems with the Snowball stemmer of
each passage's language, after bm25s's stop-word list for it is applied. A question's language
is not known (a few spoken words are too short to detect reliably), so it is stemmed with the
stemmer of every language in the index and its terms are pooled; a term only matches passages
whose stemmed words contain it, so the other languages' stems mostly match nothing.
Accents are folded after stemming: speech recognition often drops them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence

import bm25s
import bm25s.stopwords as bm25s_stopwords
import numpy as np
import Stemmer

__all__ = ["LexicalIndex", "tokenize"]

_WORD = re.compile(r"\w+")
# ISO 639-1 -> (Snowball algorithm, stop words); languages missing here are only lower-cased.
_LANGUAGES: dict[str, tuple[str, Iterable[str]]] = {
    "en": ("english", bm25s_stopwords.STOPWORDS_EN_PLUS),
    "es": ("spanish", bm25s_stopwords.STOPWORDS_SPANISH),
    "fr": ("french", bm25s_stopwords.STOPWORDS_FRENCH),
    "de": ("german", bm25s_stopwords.STOPWORDS_GERMAN),
    "it": ("italian", bm25s_stopwords.STOPWORDS_ITALIAN),
    "pt": ("portuguese", bm25s_stopwords.STOPWORDS_PORTUGUESE),
    "nl": ("dutch", bm25s_stopwords.STOPWORDS_DUTCH),
    "ru": ("russian", bm25s_stopwords.STOPWORDS_RUSSIAN),
    "tr": ("turkish", bm25s_stopwords.STOPWORDS_TURKISH),
    "ar": ("arabic", ()),
    "pl": ("polish", ()),
}
_STOPWORDS = {code: frozenset(words) for code, (_, words) in _LANGUAGES.items()}
# PyStemmer's stemmers keep state between calls: one per thread.
_local = threading.local()


def tokenize(text: str, language: str, stopwords: frozenset[str] | None = None) -> list[str]:
    """Lower-cased, stop words removed, stemmed for ``language``, accents folded."""
    drop = _STOPWORDS.get(language, frozenset()) if stopwords is None else stopwords
    words = [w for w in _WORD.findall(text.lower()) if w not in drop]
    stemmer = _stemmer(language)
    stems = stemmer.stemWords(words) if stemmer is not None else words
    return [_fold(s) for s in stems]


class LexicalIndex:
    """BM25 scores of a query against each text; read-only after build, thread-safe."""

    def __init__(self, texts: Sequence[str], languages: Sequence[str]) -> None:
        self.size = len(texts)
        self._languages = tuple(dict.fromkeys(languages))
        self._query_stopwords = frozenset().union(
            *(_STOPWORDS.get(code, frozenset()) for code in self._languages)
        )
        self._bm25 = bm25s.BM25()
        if texts:
            corpus = [tokenize(t, lang) for t, lang in zip(texts, languages, strict=True)]
            self._bm25.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """float32 BM25 score per text, 0 for texts sharing no term with the query."""
        if not self.size:
            return np.zeros(0, np.float32)
        terms: dict[str, None] = {}
        for language in self._languages:
            terms.update(dict.fromkeys(tokenize(query, language, self._query_stopwords)))
        known = [t for t in terms if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self.size, np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)


def _stemmer(language: str) -> Stemmer.Stemmer | None:
    algorithm = _LANGUAGES.get(language, ("", ()))[0]
    if not algorithm:
        return None
    cache: dict[str, Stemmer.Stemmer] = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in cache:
        cache[algorithm] = Stemmer.Stemmer(algorithm)
    return cache[algorithm]


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
