"""Passages, the sentence encoder and retrieval, with the real encoder and the sample hotel file."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest

from dialog.loader import bundled_knowledge
from knowledge.encoder import EncoderError, SentenceEncoder
from knowledge.index import DEFAULT_MIN_SCORE, KnowledgeIndex
from knowledge.passages import load_passages, split_passages, split_sentences

HOTEL = bundled_knowledge("hotel")



def section(title: str) -> str:
    """The raw text of one `##` section of the hotel file."""
    text = HOTEL.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, title
    return match.group(1)


def breakfast_hours() -> list[str]:
    """The weekday hours as the file states them, e.g. ["6:30", "10:30"]."""
    match = re.search(r"from (\d{1,2}(?::\d\d)?) to (\d{1,2}(?::\d\d)?)", section("Breakfast"))
    assert match
    return list(match.groups())


def test_passages_keep_heading_path_and_stable_ids() -> None:
    passages = load_passages(HOTEL)
    headings = [p.heading for p in passages]
    assert "Harbor View Hotel > Breakfast" in headings
    assert "Harbor View Hotel > Check-in and check-out" in headings
    assert len({p.id for p in passages}) == len(passages)
    assert [p.id for p in load_passages(HOTEL)] == [p.id for p in passages]
    breakfast = next(p for p in passages if p.heading.endswith("Breakfast"))
    assert breakfast.id == "hotel.md#harbor-view-hotel/breakfast.0"
    assert breakfast.source == "hotel.md"
    assert "##" not in breakfast.text and breakfast.text.startswith("Breakfast is served")


def test_text_without_headings() -> None:
    passages = split_passages("Open daily.\n\nClosed on holidays.\n", source="notes.txt")
    assert [(p.id, p.heading, p.text) for p in passages] == [
        ("notes.txt#top.0", "", "Open daily. Closed on holidays.")
    ]


def test_nested_headings_markup_and_long_sections() -> None:
    sentence = "The spa opens at 9 in the morning and closes at 8 in the evening."
    text = (
        "# Spa\n\nSee **our** [menu](http://x.test).\n\n## Hours\n\n- Monday to Friday\n"
        f"- Weekends 10 to 6\n\n### Holidays\n\n{' '.join([sentence] * 12)}\n"
    )
    passages = split_passages(text, source="spa.md", max_chars=200)
    assert passages[0].heading == "Spa" and passages[0].text == "See our menu."
    assert passages[1].heading == "Spa > Hours"
    assert passages[1].text == "Monday to Friday. Weekends 10 to 6."
    holidays = [p for p in passages if p.heading == "Spa > Hours > Holidays"]
    assert len(holidays) > 1 and all(len(p.text) <= 200 for p in holidays)
    assert [p.id for p in holidays[:2]] == [
        "spa.md#spa/hours/holidays.0",
        "spa.md#spa/hours/holidays.1",
    ]


def test_sentences_keep_times_and_abbreviations() -> None:
    text = "Open 6:30 a.m. to 10 a.m. daily. Ask Dr. Lee at the desk! ¿Preguntas? Call us."
    assert split_sentences(text) == [
        "Open 6:30 a.m. to 10 a.m. daily.",
        "Ask Dr. Lee at the desk!",
        "¿Preguntas?",
        "Call us.",
    ]


def test_embeddings_are_normalised_and_multilingual(encoder: SentenceEncoder) -> None:
    vectors = encoder.embed(["What time is breakfast?", "¿A qué hora es el desayuno?", "Parking"])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.7 > vectors[0] @ vectors[2]
    assert encoder.embed([]).shape == (0, 512)


def test_embed_is_thread_safe(encoder: SentenceEncoder) -> None:
    texts = [f"question number {i} about the pool" for i in range(8)]
    expected = encoder.embed(texts)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(encoder.embed(texts))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(np.allclose(r, expected, atol=1e-5) for r in results)


def test_missing_or_corrupt_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="not found"):
        SentenceEncoder(tmp_path / "absent.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not an onnx model")
    with pytest.raises(EncoderError, match="cannot load"):
        SentenceEncoder(corrupt)


def test_breakfast_question_finds_breakfast_and_its_hours(index: KnowledgeIndex) -> None:
    hits = index.search("what time is breakfast")
    assert len(hits) == 3 and hits[0].score >= hits[1].score >= hits[2].score
    assert hits[0].passage.heading.endswith("Breakfast")
    assert hits[0].score >= DEFAULT_MIN_SCORE
    answer = index.answer_sentences(hits[0].passage, "what time is breakfast")
    assert all(hour in answer for hour in breakfast_hours())
    assert 1 <= len(split_sentences(answer)) <= 2


@pytest.mark.parametrize(
    "question",
    [
        "¿A qué hora es el desayuno?",
        "À quelle heure est le petit déjeuner ?",
        "Wann gibt es Frühstück?",
    ],
)
def test_questions_in_other_languages_find_breakfast(index: KnowledgeIndex, question: str) -> None:
    best = index.search(question, k=1)[0]
    assert best.passage.heading.endswith("Breakfast") and best.score >= DEFAULT_MIN_SCORE


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("how much is parking", "Parking"),
        ("what's the wifi password", "Wifi"),
        ("can I bring my dog", "Pets"),
        ("when is check out", "Check-in and check-out"),
        ("I need to cancel my reservation", "Cancellations"),
        ("is there a shuttle to the airport", "Airport shuttle"),
        ("is there a gym", "Pool and gym"),
    ],
)
def test_topics_are_retrieved(index: KnowledgeIndex, question: str, heading: str) -> None:
    best = index.search(question, k=1)[0]
    assert best.passage.heading.endswith(heading) and best.score >= DEFAULT_MIN_SCORE


@pytest.mark.parametrize(
    "question", ["purple elephant banana", "what is the meaning of life", "who won the game"]
)
def test_unrelated_questions_score_low(index: KnowledgeIndex, question: str) -> None:
    assert index.search(question, k=1)[0].score < DEFAULT_MIN_SCORE


def test_search_edges_and_topics(index: KnowledgeIndex) -> None:
    assert index.search("   ") == [] and index.search("breakfast", k=0) == []
    assert index.topics()[:3] == ["Breakfast", "Check-in and check-out", "Parking"]
    assert "Harbor View Hotel" not in index.topics()
    other = split_passages("Hello.", source="x.txt")[0]
    with pytest.raises(KeyError):
        index.answer_sentences(other, "hello")


def test_in_memory_index_ranks_by_fused_score_and_filters(encoder: SentenceEncoder) -> None:
    hotel = load_passages(HOTEL)
    spanish = split_passages("# Mascotas\n\nLos perros son bienvenidos.\n", source="es.md",
                             language="es")
    assert hotel[0].language == "en" and spanish[0].language == "es"
    index = KnowledgeIndex([*hotel, *spanish], encoder)
    hits = index.search("how much is valet parking", k=len(index))
    assert [h.rank_score for h in hits] == sorted((h.rank_score for h in hits), reverse=True)
    assert hits[0].passage.heading.endswith("Parking") and hits[0].bm25 > 0
    assert all(h.score <= 1 and h.rank_score <= 1 for h in hits)
    dogs = index.search("can I bring my dog", k=3, language="es")
    assert [h.passage.source for h in dogs] == ["es.md"]
    assert {h.passage.source for h in index.search("dog", k=5, source="hotel.md")} == {"hotel.md"}
    assert index.get(dogs[0].passage.id) == dogs[0].passage and index.get("nope#x.0") is None
