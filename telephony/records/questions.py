"""The knowledge base's gaps: the questions callers asked that it did not answer, grouped by
meaning with the sentence encoder (``frontdesk report``, the insights page).

A caller turn is unanswered when the embedded engine found no passage good enough
(``low_confidence``), or on the LLM path when the model searched the documents and the reply
cites nothing. The questions are grouped by average-linkage clustering of their sentence
embeddings (cosine similarity, ``THRESHOLD``: chosen on the labelled questions of
tests/data/unanswered_questions.yaml, measured on its held-out groups); each group is named by
its most central question. Without the encoder, questions are grouped by their words alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from config.intents import normalise

__all__ = ["MAX_QUESTIONS", "THRESHOLD", "cluster", "top_unanswered", "unanswered_turns"]

THRESHOLD = 0.4
MAX_QUESTIONS = 500  # the most recent; the clustering is cubic in them
Embed = Callable[[Sequence[str]], np.ndarray]


def unanswered_turns(turn_rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The caller turns nothing in the documents answered, in order."""
    out = []
    for turn in turn_rows:
        text = (turn.get("caller_text") or "").strip()
        if not text:
            continue
        codes = set(turn.get("reason_codes") or ())
        searched = any(t.get("name") == "search_knowledge" for t in turn.get("tools") or ())
        if "low_confidence" in codes or ("llm" in codes and searched
                                         and not turn.get("citations")):
            out.append({"call_sid": turn["call_sid"], "turn": turn["turn_index"], "text": text,
                        "language": turn.get("caller_language") or ""})
    return out


def cluster(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Average-linkage clusters of unit ``vectors``: groups are merged while the mean cosine
    similarity between two of them is at least ``threshold``."""
    n = len(vectors)
    if n == 0:
        return []
    sim = (vectors @ vectors.T).astype(float)
    np.fill_diagonal(sim, -np.inf)
    members: list[list[int] | None] = [[i] for i in range(n)]
    while True:
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            break
        a, b = members[i], members[j]
        assert a is not None and b is not None
        # Lance-Williams: the merged group's mean similarity to every other group.
        merged = (len(a) * sim[i] + len(b) * sim[j]) / (len(a) + len(b))
        sim[i, :] = merged
        sim[:, i] = merged
        sim[i, i] = -np.inf
        sim[j, :] = -np.inf
        sim[:, j] = -np.inf
        members[i], members[j] = a + b, None
    return [m for m in members if m is not None]


def top_unanswered(items: Sequence[dict[str, Any]], embed: Embed | None, *, top: int = 10,
                   threshold: float = THRESHOLD) -> dict[str, Any]:
    """The ``top`` groups of unanswered questions, biggest first: the central question, how
    often and in how many calls it was asked, and a few of its wordings."""
    items = list(items)[-MAX_QUESTIONS:]
    texts = [i["text"] for i in items]
    if embed is not None and texts:
        vectors = embed(texts)
        groups = cluster(vectors, threshold)
    else:
        by_words: dict[str, list[int]] = {}
        for n, text in enumerate(texts):
            by_words.setdefault(normalise(text), []).append(n)
        groups, vectors = list(by_words.values()), None
    out = []
    for group in groups:
        if vectors is not None:
            centre = vectors[group].mean(axis=0)
            best = group[int(np.argmax(vectors[group] @ centre))]
        else:
            best = group[0]
        wordings = list(dict.fromkeys(texts[n] for n in group))
        out.append({"question": texts[best], "asked": len(group),
                    "calls": len({items[n]["call_sid"] for n in group}),
                    "wordings": wordings[:4],
                    "turns": [[items[n]["call_sid"], items[n]["turn"]] for n in group][:20]})
    out.sort(key=lambda g: (-g["asked"], -g["calls"], g["question"]))
    return {"grouped_by": "meaning" if embed is not None else "words",
            "questions": len(items), "groups": out[:top]}
