"""Split Markdown or plain text into passages that keep their heading path.

A passage is the text under one heading (ATX ``#`` headings), cut on paragraph boundaries when a
section runs past ``max_chars``. Markdown markup that would be read aloud (emphasis, links, list
bullets, code fences) is reduced to plain sentences, since answers are spoken on the phone.
Other formats (HTML, PDF) are turned into this Markdown-like text by ``knowledge.documents``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HEADING_SEPARATOR", "Passage", "load_passages", "split_passages", "split_sentences"]

HEADING_SEPARATOR = " > "
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"(\*\*|__|\*|`)")
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*\s+")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "approx", "e.g", "i.e", "vs"})


@dataclass(frozen=True)
class Passage:
    id: str  # "<source>#<heading-slug>.<index within that heading>", stable across edits elsewhere
    source: str  # file name the passage came from
    heading: str  # heading path, e.g. "Harbor View Hotel > Breakfast"; "" before any heading
    text: str
    language: str = "en"  # ISO 639-1 code of the document the passage came from


def load_passages(path: Path, *, max_chars: int = 800, language: str = "en") -> list[Passage]:
    """Passages of one Markdown or plain-text file (``knowledge.documents`` reads every format)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read knowledge file {path}: {e}") from e
    return split_passages(text, source=path.name, max_chars=max_chars, language=language)


def split_passages(
    text: str, *, source: str, max_chars: int = 800, language: str = "en", headings: bool = True
) -> list[Passage]:
    """Passages in text order; ``headings=False`` reads ``#`` lines as text (plain .txt files)."""
    passages: list[Passage] = []
    for heading, slug, paragraphs in _sections(text, headings):
        for index, chunk in enumerate(_chunks(paragraphs, max_chars)):
            passages.append(
                Passage(f"{source}#{slug}.{index}", source, heading, chunk, language)
            )
    return passages


def split_sentences(text: str) -> list[str]:
    """Sentences of plain text; keeps "a.m.", "6:30" and common abbreviations together."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        following = text[match.end() : match.end() + 1]
        last_word = text[start : match.start()].rsplit(None, 1)[-1:] or [""]
        if not (following.isupper() or following.isdigit() or following in "¿¡\"'("):
            continue
        if last_word[0].lower().rstrip(".") in _ABBREVIATIONS:
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _sections(text: str, headings: bool) -> list[tuple[str, str, list[str]]]:
    """(heading path, slug, paragraphs) per heading, in file order; empty sections dropped."""
    stack: list[tuple[int, str]] = []
    sections: list[tuple[str, str, list[str]]] = []
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush_paragraph() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    def flush_section() -> None:
        flush_paragraph()
        if paragraphs:
            titles = [title for _, title in stack]
            slug = "/".join(_slug(t) for t in titles) or "top"
            sections.append((HEADING_SEPARATOR.join(titles), slug, paragraphs.copy()))
            paragraphs.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
            flush_paragraph()
            continue
        heading = None if in_fence or not headings else _HEADING.match(line)
        if heading:
            flush_section()
            level = len(heading.group(1))
            stack = [(lvl, t) for lvl, t in stack if lvl < level]
            stack.append((level, _plain(heading.group(2))))
        elif not line:
            flush_paragraph()
        elif _BULLET.match(line):  # each list item reads as its own sentence
            flush_paragraph()
            current.append(_sentence(_plain(_BULLET.sub("", line))))
            flush_paragraph()
        else:
            current.append(_plain(line))
    flush_section()
    return sections


def _chunks(paragraphs: list[str], max_chars: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in paragraphs:  # an over-long paragraph is cut between sentences
        pieces.extend(split_sentences(paragraph) if len(paragraph) > max_chars else [paragraph])
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= max_chars:
            chunks[-1] = f"{chunks[-1]} {piece}"
        else:
            chunks.append(piece)
    return chunks


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    text = _MARKUP.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def _sentence(text: str) -> str:
    return text if not text or text[-1] in ".!?:;" else f"{text}."


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "section"
