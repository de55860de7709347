"""The knowledge base in SQLite: ingest, hash-based re-ingest, hybrid search and filters,
with the real sentence encoder and a real database file."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from test_knowledge_documents import write_pdf
from testpaths import DATA

from dialog.loader import bundled_knowledge
from knowledge.commands import ingest_command, search_command
from knowledge.documents import read_document
from knowledge.embedding import embed_passages
from knowledge.encoder import SentenceEncoder
from knowledge.index import DEFAULT_MIN_SCORE, KnowledgeIndex
from knowledge.passages import split_sentences
from knowledge.store import KnowledgeBase

HOTEL_DOC = bundled_knowledge("hotel")
SUPPORT_DOC = bundled_knowledge("support")
DATA = DATA
SOURCES = ["es/preguntas.md", "gift-cards.pdf", "hotel.md", "notes.txt", "spa.html",
           "support.md"]


class CountingEncoder:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self.inner = encoder
        self.model_path = encoder.model_path
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture
def counting(encoder: SentenceEncoder) -> CountingEncoder:
    return CountingEncoder(encoder)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Every supported format, plus files a walk must skip."""
    root = tmp_path / "knowledge"
    (root / "es").mkdir(parents=True)
    shutil.copy(HOTEL_DOC, root / "hotel.md")
    shutil.copy(SUPPORT_DOC, root / "support.md")
    shutil.copy(DATA / "spa.html", root / "spa.html")
    write_pdf(root / "gift-cards.pdf", [
        "Northwind gift cards are sold in amounts from 10 to 500 dollars and never expire.",
        "To check the balance of a gift card, enter its 16-digit number on our website.",
    ], title="Northwind gift cards")
    (root / "notes.txt").write_text("The loading dock behind the hotel opens at 6 in the "
                                    "morning for deliveries.\n", encoding="utf-8")
    (root / "es" / "preguntas.md").write_text(
        "---\nlang: es\n---\n# Preguntas frecuentes\n\n## Mascotas\n\nLos perros pequeños son "
        "bienvenidos en las habitaciones de la segunda planta.\n", encoding="utf-8")
    (root / ".draft.md").write_text("# Draft\n\nNot published.\n", encoding="utf-8")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n")
    return root


@pytest.fixture
def base(tmp_path: Path, counting: CountingEncoder) -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase(f"sqlite:///{tmp_path}/db/frontdesk.db", counting)
    yield kb
    kb.close()


def test_ingest_reads_every_format_and_keeps_headings(base: KnowledgeBase, folder: Path) -> None:
    report = base.ingest([folder])
    assert sorted(report.added) == SOURCES
    assert (report.updated, report.unchanged, report.removed) == ([], [], [])
    stored = {d["source"]: d for d in base.documents()}
    assert sorted(stored) == SOURCES
    hotel_bytes = (folder / "hotel.md").read_bytes()
    assert stored["hotel.md"]["sha256"] == hashlib.sha256(hotel_bytes).hexdigest()
    assert {s: d["language"] for s, d in stored.items()} == {
        "es/preguntas.md": "es", "gift-cards.pdf": "en", "hotel.md": "en", "notes.txt": "en",
        "spa.html": "fr", "support.md": "en"}
    assert report.chunks == sum(d["chunk_count"] for d in stored.values()) > len(SOURCES)
    index = base.index()
    assert len(index) == report.chunks
    headings = {p.heading for p in index.passages}
    assert {"Northwind Electronics > Troubleshooting > Headphones", "Spa du Harbor View > Horaires",
            "Northwind gift cards", "Preguntas frecuentes > Mascotas", ""} <= headings
    assert index.get("es/preguntas.md#preguntas-frecuentes/mascotas.0") is not None
    with base.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_second_ingest_embeds_nothing(base: KnowledgeBase, folder: Path,
                                      counting: CountingEncoder) -> None:
    base.ingest([folder])
    before, embedded = base.documents(), counting.texts
    report = base.ingest([folder])
    assert sorted(report.unchanged) == SOURCES and report.chunks == 0
    assert (report.added, report.updated, report.removed) == ([], [], [])
    assert counting.texts == embedded and base.documents() == before


def test_editing_one_file_reingests_only_it(base: KnowledgeBase, folder: Path,
                                            counting: CountingEncoder,
                                            encoder: SentenceEncoder) -> None:
    base.ingest([folder])
    before = {d["source"]: d for d in base.documents()}
    hotel = folder / "hotel.md"
    hotel.write_text(hotel.read_text(encoding="utf-8").replace(
        "from 6:30 to 10:30 in the morning on weekdays", "from 6 to 10 in the morning on weekdays"),
        encoding="utf-8")
    counting.texts = 0
    report = base.ingest([folder])
    assert report.updated == ["hotel.md"]
    assert sorted(report.unchanged) == sorted(set(SOURCES) - {"hotel.md"})
    only_hotel = CountingEncoder(encoder)
    embed_passages(read_document(hotel).passages(), only_hotel)
    assert counting.texts == only_hotel.texts > 0
    after = {d["source"]: d for d in base.documents()}
    assert after["hotel.md"]["ingested_at"] > before["hotel.md"]["ingested_at"]
    assert all(after[s] == before[s] for s in SOURCES if s != "hotel.md")
    index = base.index()
    best = index.search("what time is breakfast", k=1)[0]
    assert "from 6 to 10" in index.answer_sentences(best.passage, "what time is breakfast")
    assert [p.source for p in index.passages][0] == "es/preguntas.md"  # order kept on update


def test_folder_is_mirrored_and_prune_keeps_only_what_was_given(base: KnowledgeBase,
                                                                folder: Path) -> None:
    base.ingest([folder])
    (folder / "notes.txt").unlink()
    (folder / "es" / "preguntas.md").rename(folder / "es" / ".preguntas.md")  # now hidden
    report = base.ingest([folder])
    assert sorted(report.removed) == ["es/preguntas.md", "notes.txt"]
    assert {p.source for p in base.index().passages} == set(SOURCES) - set(report.removed)
    assert base.ingest([folder / "hotel.md"]).removed == []  # a file alone removes nothing
    report = base.ingest([folder / "hotel.md"], prune=True)
    assert report.unchanged == ["hotel.md"]
    assert sorted(report.removed) == ["gift-cards.pdf", "spa.html", "support.md"]
    assert {p.source for p in base.index().passages} == {"hotel.md"}


def test_moved_file_with_the_same_name_is_the_same_document(base: KnowledgeBase, folder: Path,
                                                           tmp_path: Path) -> None:
    base.ingest([folder / "hotel.md"])
    moved = tmp_path / "elsewhere" / "hotel.md"
    moved.parent.mkdir()
    shutil.copy(folder / "hotel.md", moved)
    assert base.ingest([moved]).unchanged == ["hotel.md"]
    assert base.documents()[0]["path"] == str(moved.resolve())
    with pytest.raises(ValueError, match="both be cited as hotel.md"):
        base.ingest([folder / "hotel.md", moved])


def test_search_filters_by_source_and_language(base: KnowledgeBase, folder: Path) -> None:
    base.ingest([folder])
    index = base.index()
    french = index.search("when does the spa open", k=3, language="fr")
    assert french and all(h.passage.language == "fr" for h in french)
    assert french[0].passage.heading.endswith("Horaires")
    support = index.search("what are your opening hours", k=5, source="support.md")
    assert len(support) == 5 and all(h.passage.source == "support.md" for h in support)
    both = index.search("pets", k=10, source="hotel.md", language="es")
    assert both == []
    assert index.search("pets", k=3, language="de") == []
    spanish = index.search("can I bring my dog", k=1, language="es")[0]
    assert spanish.passage.heading.endswith("Mascotas")


def test_a_question_in_spanish_finds_the_english_passage(base: KnowledgeBase,
                                                         folder: Path) -> None:
    base.ingest([folder])
    index = base.index()
    best = index.search("¿Cuántos días tengo para devolver un producto?", k=1)[0]
    assert best.passage.source == "support.md" and best.passage.heading.endswith("Returns")
    assert best.passage.language == "en" and best.score >= DEFAULT_MIN_SCORE
    assert best.bm25 == 0  # no shared word: found by meaning alone
    assert "30 days" in index.answer_sentences(best.passage, "¿Cuántos días tengo para devolver?")


def test_exact_rare_words_count_through_bm25(base: KnowledgeBase, folder: Path) -> None:
    base.ingest([folder])
    hits = base.index().search("klarna", k=3)
    assert hits[0].passage.heading.endswith("Payment methods") and hits[0].bm25 > 0
    assert hits[0].rank_score > hits[1].rank_score and all(h.bm25 == 0 for h in hits[1:])
    assert 0 <= hits[0].score <= 1 and 0 <= hits[0].rank_score <= 1


def test_bad_file_is_a_clear_error_and_nothing_stored_is_lost(
    base: KnowledgeBase, folder: Path, counting: CountingEncoder
) -> None:
    base.ingest([folder])
    before, ids = base.documents(), [p.id for p in base.index().passages]
    (folder / "hotel.md").write_text("# Harbor View Hotel\n\nRewritten.\n", encoding="utf-8")
    (folder / "zz-broken.pdf").write_bytes(b"%PDF-1.7\ngarbage")
    counting.texts = 0
    with pytest.raises(ValueError, match="zz-broken.pdf"):
        base.ingest([folder])
    assert counting.texts == 0 and base.documents() == before
    assert [p.id for p in base.index().passages] == ids
    with pytest.raises(ValueError, match="unsupported knowledge file"):
        base.ingest([folder / "logo.png"])
    with pytest.raises(ValueError, match="does not exist"):
        base.ingest([folder / "nothing-here.md"])
    assert base.documents() == before


def test_index_loads_stored_vectors_without_embedding(base: KnowledgeBase, folder: Path,
                                                      counting: CountingEncoder,
                                                      encoder: SentenceEncoder) -> None:
    base.ingest([folder / "hotel.md", folder / "support.md"])
    counting.texts = 0
    stored = base.index()
    assert counting.texts == 0
    passages = [p for name in ("hotel.md", "support.md")
                for p in read_document(folder / name).passages()]
    fresh = KnowledgeIndex(passages, encoder)
    assert stored.passages == fresh.passages and stored.topics() == fresh.topics()
    for question in ("is there a gym", "¿Aceptan PayPal?", "my speaker crackles"):
        a, b = stored.search(question), fresh.search(question)
        assert [h.passage.id for h in a] == [h.passage.id for h in b]
        assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-4)


def test_new_chunk_size_reembeds_and_stale_vectors_are_refused(tmp_path: Path, folder: Path,
                                                               encoder: SentenceEncoder) -> None:
    url = f"sqlite:///{tmp_path}/kb.db"
    KnowledgeBase(url, encoder).ingest([folder / "hotel.md"])
    smaller = KnowledgeBase(url, encoder, max_chars=300)
    with pytest.raises(ValueError, match="ingest it again"):
        smaller.index()
    assert smaller.ingest([folder / "hotel.md"]).updated == ["hotel.md"]
    assert all(len(p.text) <= 300 for p in smaller.index().passages)


def test_commands_return_json(tmp_path: Path, folder: Path, encoder: SentenceEncoder) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    report = ingest_command(url, encoder, [str(folder)])
    assert sorted(report["added"]) == SOURCES and report["documents"] == len(SOURCES)
    json.dumps(report)
    result = search_command(url, encoder, "how long do refunds take", k=2, source="support.md")
    json.dumps(result)
    assert result["query"] == "how long do refunds take" and len(result["results"]) == 2
    first = result["results"][0]
    assert first["id"] == "support.md#northwind-electronics/refunds.0"
    assert {"source", "heading", "text", "language", "score", "rank_score", "answer"} <= set(first)
    assert first["answer"] and all(s in first["text"] for s in split_sentences(first["answer"]))
    assert search_command(url, encoder, "refunds", 3, None, "de")["results"] == []
