"""The knowledge base's gaps (``telephony.records.questions``): which turns count as
unanswered, the clustering, and the grouping measured with the real sentence encoder on the
labelled questions of tests/data/unanswered_questions.yaml (threshold chosen on ``learn``)."""

from __future__ import annotations

import itertools

import numpy as np
import yaml
from testpaths import DATA

from knowledge.encoder import SentenceEncoder
from telephony.records.questions import THRESHOLD, cluster, top_unanswered, unanswered_turns

LABELLED = yaml.safe_load((DATA / "unanswered_questions.yaml").read_text(encoding="utf-8"))


def _turn(index: int, text: str | None, codes: list[str], **more: object) -> dict:
    return {"call_sid": f"CA{index % 2}", "turn_index": index, "caller_text": text,
            "reason_codes": codes, "caller_language": "en", **more}


def test_a_turn_is_unanswered_when_nothing_in_the_documents_answered_it() -> None:
    turns = [
        _turn(1, "Do you have a gym?", ["low_confidence"]),  # the embedded engine: no passage
        _turn(2, "What time is breakfast?", ["kb_answer"], citations=["hotel.md#b"]),
        _turn(3, "Can I rent a bike?", ["llm"], citations=[],  # searched, cited nothing
              tools=[{"name": "search_knowledge", "reason": "ok"}]),
        _turn(4, "Is breakfast free?", ["llm"], citations=["hotel.md#b"],
              tools=[{"name": "search_knowledge", "reason": "ok"}]),
        _turn(5, "Where is my order?", ["llm"], citations=[]),  # no search: a task, not a gap
        _turn(6, None, ["low_confidence"]),  # a keypad press, no words
    ]
    found = unanswered_turns(turns)
    assert [(f["turn"], f["text"]) for f in found] == [(1, "Do you have a gym?"),
                                                        (3, "Can I rent a bike?")]


def test_clusters_merge_while_groups_are_close_on_average() -> None:
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    near_a = np.array([0.9, 0.1, 0.0]) / np.linalg.norm([0.9, 0.1, 0.0])
    vectors = np.stack([a, b, near_a, b])
    assert sorted(sorted(g) for g in cluster(vectors, 0.8)) == [[0, 2], [1, 3]]
    assert len(cluster(vectors, 1.01)) == 4 and len(cluster(vectors, -1.0)) == 1
    assert cluster(np.zeros((0, 3)), 0.5) == []


def test_without_an_encoder_questions_are_grouped_by_their_words() -> None:
    items = [{"call_sid": sid, "turn": n, "text": text} for n, (sid, text) in enumerate([
        ("CA1", "Do you have a gym?"), ("CA2", "do you have a GYM"), ("CA2", "Is there a spa?")])]
    found = top_unanswered(items, None)
    assert found["grouped_by"] == "words" and found["questions"] == 3
    assert [(g["question"], g["asked"], g["calls"]) for g in found["groups"]] == [
        ("Do you have a gym?", 2, 2), ("Is there a spa?", 1, 1)]
    assert found["groups"][0]["turns"] == [["CA1", 0], ["CA2", 1]]


def _pairwise(split: str, encoder: SentenceEncoder) -> tuple[float, float]:
    labels = [label for label, texts in LABELLED[split].items() for _ in texts]
    texts = [text for group in LABELLED[split].values() for text in group]
    group_of = {m: g for g, members in enumerate(cluster(encoder.embed(texts))) for m in members}
    pairs = list(itertools.combinations(range(len(texts)), 2))
    together = [(labels[a] == labels[b], group_of[a] == group_of[b]) for a, b in pairs]
    grouped = [same for same, joined in together if joined]
    precision = sum(grouped) / len(grouped)
    recall = sum(1 for same, joined in together if same and joined) / sum(
        1 for same, _ in together if same)
    return precision, recall


def test_questions_are_grouped_by_meaning_across_languages(encoder: SentenceEncoder) -> None:
    # THRESHOLD (0.4) was chosen on `learn`: 0.35-0.45 all group it perfectly.
    assert THRESHOLD == 0.4 and _pairwise("learn", encoder) == (1.0, 1.0)
    # Held out, measured once at that threshold: precision 0.643, recall 0.900 (meeting rooms
    # and room service share a group: "room").
    precision, recall = _pairwise("held_out", encoder)
    assert precision >= 0.6 and recall >= 0.85, (precision, recall)
    found = top_unanswered(
        [{"call_sid": f"CA{n}", "turn": 1, "text": text}
         for n, text in enumerate(LABELLED["learn"]["smoking"] + LABELLED["learn"]["laundry"])],
        encoder.embed)
    assert found["grouped_by"] == "meaning"
    assert [g["asked"] for g in found["groups"]] == [5, 5]
    assert {g["question"] for g in found["groups"]} <= set(
        LABELLED["learn"]["smoking"] + LABELLED["learn"]["laundry"])
