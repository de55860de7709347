"""A sentence encoder that loads no model: hashed words and character trigrams.

``HashingEncoder`` stands in for the multilingual sentence encoder in tests that exercise the
dialog's logic rather than its understanding: texts that share words embed close together, and a
caller line written as one of an intent's examples (config/data/intents.yaml) embeds exactly as
that example does, so it is classified as that intent. What the real model understands beyond
shared words (paraphrase, other languages) is measured by the tests that load it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from knowledge.encoder import EMBEDDING_DIM

__all__ = ["HashingEncoder"]

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def _slot(feature: str) -> tuple[int, float]:
    """A feature's dimension and sign, the same in every process (not Python's ``hash``)."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big")
    return digest % EMBEDDING_DIM, (1.0 if digest >> 63 else -1.0)


def _features(text: str) -> list[tuple[str, float]]:
    words = _WORD.findall(text.lower())
    grams = [(f"#{w[i:i + 3]}", 0.3) for w in (f" {w} " for w in words)
             for i in range(len(w) - 2)]
    return [(w, 1.0) for w in words] + grams


class HashingEncoder:
    """Text -> float32 (n, 512) L2-normalised vectors, as ``SentenceEncoder`` returns."""

    model_path = Path("hashing-encoder")  # no file: the knowledge base's fingerprint notes it

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of strings, not one string")
        matrix = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, weight in _features(str(text)):
                slot, sign = _slot(feature)
                matrix[row, slot] += sign * weight
        norms = np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        return matrix / norms
