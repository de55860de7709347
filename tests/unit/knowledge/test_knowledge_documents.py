"""Reading knowledge files (Markdown, text, HTML, PDF), language detection and BM25 terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from testpaths import DATA

from knowledge.documents import find_documents, read_document
from knowledge.language import detect_language, normalise_language
from knowledge.lexical import LexicalIndex, tokenize

DATA = DATA


def write_pdf(path: Path, pages: list[str], title: str = "") -> Path:
    """A real PDF with one text block per page (fpdf2's core font: Latin-1 text only)."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def test_markdown_front_matter_names_the_language_and_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "faq.md"
    path.write_text("---\ntitle: Preguntas\nlang: es-MX\n---\n# Horario\n\nAbrimos a las 9.\n",
                    encoding="utf-8")
    document = read_document(path)
    assert (document.kind, document.language, document.source) == ("markdown", "es", "faq.md")
    [passage] = document.passages()
    assert (passage.heading, passage.text, passage.language) == (
        "Horario", "Abrimos a las 9.", "es")


def test_a_leading_rule_is_not_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "rule.md"
    path.write_text("---\nJust text, then a rule.\n---\n\nMore text.\n", encoding="utf-8")
    assert "Just text" in read_document(path).text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Le petit déjeuner est servi de 7 heures à 10 heures dans la salle du rez-de-chaussée.",
         "fr"),
        ("Das Frühstück wird von 7 bis 10 Uhr im Erdgeschoss serviert, gleich neben der Lobby.",
         "de"),
        ("El desayuno se sirve de 7 a 10 de la mañana en el comedor de la planta baja.", "es"),
        ("Breakfast is served from 7 to 10 in the morning in the room next to the lobby.", "en"),
        ("12:30 - 14:00", "en"),  # no letters: the default
    ],
)
def test_language_is_detected_when_not_declared(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_language_tags_are_normalised() -> None:
    assert [normalise_language(t) for t in ("pt_BR", "EN", "zh-Hant-TW", "", "english!", 3)] == [
        "pt", "en", "zh", None, None, None,
    ]


def test_plain_text_has_no_headings(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("# Internal notes\nThe loading dock opens at 6.\n\nDeliveries before 9.\n",
                    encoding="utf-8")
    [passage] = read_document(path).passages()
    assert passage.heading == "" and passage.id == "notes.txt#top.0"
    assert "loading dock opens at 6" in passage.text and "Deliveries before 9." in passage.text


def test_html_keeps_headings_and_drops_page_furniture() -> None:
    document = read_document(DATA / "spa.html")
    assert (document.kind, document.language) == ("html", "fr")  # from <html lang="fr-FR">
    passages = document.passages()
    assert [p.heading for p in passages] == [
        "Spa du Harbor View",
        "Spa du Harbor View > Horaires",
        "Spa du Harbor View > Soins et tarifs",
        "Spa du Harbor View > Soins et tarifs > Réservation",
    ]
    text = " ".join(p.text for p in passages)
    for dropped in ("tracking code", "analytics", "Accueil", "Tous droits", "font-family"):
        assert dropped not in text
    assert "Massage relaxant, 60 minutes, 95 dollars." in text  # a table row as a sentence
    assert "facturée en totalité." in text and "**" not in text and "](" not in text


def test_html_without_h1_is_headed_by_its_title(tmp_path: Path) -> None:
    path = tmp_path / "hours.htm"
    path.write_bytes(b"<html><head><title>Opening hours</title></head>"
                     b"<body><p>We open at 9 every day.</p></body></html>")
    [passage] = read_document(path).passages()
    assert (passage.heading, passage.text, passage.language) == (
        "Opening hours", "We open at 9 every day.", "en")


def test_pdf_text_page_by_page_under_its_title(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "gift.pdf", [
        "Northwind gift cards never expire and can be used for several orders.",
        "Lost gift cards can be replaced only with the receipt.",
    ], title="Northwind gift cards")
    document = read_document(path)
    assert (document.kind, document.language) == ("pdf", "en")
    [passage] = document.passages()
    assert passage.heading == "Northwind gift cards"
    assert "never expire" in passage.text and "only with the receipt" in passage.text


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(ValueError, match=r"cannot read PDF knowledge file .*broken\.pdf"):
        read_document(broken)
    blank = write_pdf(tmp_path / "scan.pdf", [""])
    with pytest.raises(ValueError, match="has no text"):
        read_document(blank)
    latin1 = tmp_path / "old.md"
    latin1.write_bytes("Caf\xe9 ouvert".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        read_document(latin1)
    with pytest.raises(ValueError, match="unsupported knowledge file"):
        read_document(tmp_path / "slides.pptx")


def test_folders_are_walked_sorted_skipping_hidden_and_other_files(tmp_path: Path) -> None:
    for name in ("b.md", "a.txt", "sub/c.html", "sub/.draft.md", ".git/x.md", "logo.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    single = tmp_path / "sub" / "c.html"
    found = find_documents([tmp_path, single])
    assert [f.source for f in found] == ["a.txt", "b.md", "sub/c.html", "c.html"]
    assert found[2].path == found[3].path == single.resolve()
    with pytest.raises(ValueError, match="unsupported"):
        find_documents([tmp_path / "logo.png"])
    with pytest.raises(ValueError, match="does not exist"):
        find_documents([tmp_path / "missing.md"])


def test_bm25_terms_are_stemmed_per_language_and_accent_folded() -> None:
    assert tokenize("The refunds were returned", "en") == ["refund", "return"]
    assert tokenize("Les cafés réservés", "fr") == ["caf", "reserv"]
    index = LexicalIndex(["Refunds take 5 to 7 days.", "Valet parking costs 38 dollars.",
                          "Le café est réservé."], ["en", "en", "fr"])
    scores = index.scores("how long does my refund take")
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == 0
    assert index.scores("réserver un cafe")[2] > 0  # stemmed and folded like the passage
    assert not index.scores("purple elephant").any()
    assert LexicalIndex([], []).scores("anything").shape == (0,)
