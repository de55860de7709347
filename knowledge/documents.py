"""Knowledge files (Markdown, plain text, HTML, PDF) -> Markdown-like text with ``#`` headings.

Every format becomes the text ``knowledge.passages`` splits: ``#`` headings, paragraphs apart
by blank lines. Markdown is read as is, minus a YAML front matter (whose ``lang:`` names the
language); plain text has no headings; HTML headings h1-h6 become ``#`` headings, with scripts,
styles, navigation and footers dropped (BeautifulSoup + markdownify); PDF text is taken page by
page with pypdf, under the document's title when it has one (no heading detection: PDF keeps no
structure worth guessing from font sizes). Folders are walked recursively in sorted order,
skipping hidden files and folders and files of other types.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import markdownify
import pypdf
import yaml
from bs4 import BeautifulSoup

from knowledge.language import detect_language, normalise_language
from knowledge.passages import Passage, split_passages

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Document",
    "DocumentFile",
    "file_sha256",
    "find_documents",
    "read_document",
]

# File suffix -> kind of document.
SUPPORTED_SUFFIXES = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "text",
    ".html": "html", ".htm": "html", ".pdf": "pdf",
}
# Page furniture that is not the page's content.
_HTML_DROPPED = ["script", "style", "noscript", "template", "nav", "footer", "aside", "form",
                 "button", "iframe", "svg", "head"]
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
# A word cut at a PDF line end ("infor-\nmation"); a digit or capital after it is a real hyphen.
_HYPHENATED = re.compile(r"([^\W\d_])-\n([^\W\d_A-Z])")


@dataclass(frozen=True)
class DocumentFile:
    path: Path  # resolved
    source: str  # what passages cite: the file name, or its path below the folder walked


@dataclass(frozen=True)
class Document:
    source: str
    kind: str  # "markdown" | "text" | "html" | "pdf"
    sha256: str  # of the file's bytes
    text: str  # Markdown-like: "#" headings (unless kind is "text"), blank-line paragraphs
    language: str  # ISO 639-1

    def passages(self, max_chars: int = 800) -> list[Passage]:
        return split_passages(self.text, source=self.source, max_chars=max_chars,
                              language=self.language, headings=self.kind != "text")


def find_documents(paths: Iterable[Path]) -> list[DocumentFile]:
    """The files to ingest, in order. A named file must exist and be of a supported type."""
    found: list[DocumentFile] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            folder = path.resolve()
            for file in sorted(folder.rglob("*")):
                relative = file.relative_to(folder)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if file.is_file() and file.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(DocumentFile(file.resolve(), relative.as_posix()))
        elif path.is_file():
            _kind(path)  # refuse an unsupported file named explicitly
            found.append(DocumentFile(path.resolve(), path.name))
        else:
            raise ValueError(f"knowledge path {path} does not exist")
    return found


def file_sha256(path: Path) -> str:
    return hashlib.sha256(_read_bytes(path)).hexdigest()


def read_document(path: Path, source: str | None = None) -> Document:
    """One file as a Document; ValueError when it is unsupported, unreadable or malformed."""
    kind = _kind(path)
    raw = _read_bytes(path)
    if kind == "html":
        text, declared = _html_text(raw)
    elif kind == "pdf":
        text, declared = _pdf_text(raw, path), None
    else:
        text, declared = _decoded(raw, path), None
        if kind == "markdown":
            text, declared = _without_front_matter(text)
    language = normalise_language(declared) or detect_language(text)
    sha256 = hashlib.sha256(raw).hexdigest()
    return Document(source or path.name, kind, sha256, text, language)


def _kind(path: Path) -> str:
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise ValueError(f"unsupported knowledge file {path} (supported: {supported})")
    return kind


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read knowledge file {path}: {e}") from e


def _decoded(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"knowledge file {path} is not UTF-8 text: {e}") from e


def _without_front_matter(text: str) -> tuple[str, str | None]:
    """(text after a YAML front matter, its ``lang``/``language``); unchanged without one."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return text, None
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return text, None  # a "---" rule that opens the text, not front matter
    if not isinstance(meta, dict):
        return text, None
    return text[match.end():], meta.get("lang") or meta.get("language")


def _html_text(raw: bytes) -> tuple[str, str | None]:
    soup = BeautifulSoup(raw, "html.parser")  # bytes: the parser honours <meta charset>
    root = soup.find("html")
    declared = root.get("lang") if root is not None and hasattr(root, "get") else None
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for element in soup(_HTML_DROPPED):
        element.decompose()
    for row in soup.find_all("tr"):  # a table row reads as one sentence of its cells
        cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
        paragraph = soup.new_tag("p")
        paragraph.string = ", ".join(c for c in cells if c) + "."
        row.replace_with(paragraph)
    converter = markdownify.MarkdownConverter(
        heading_style=markdownify.ATX, escape_asterisks=False, escape_underscores=False,
        escape_misc=False,
    )
    text = converter.convert_soup(soup).strip()
    if title and not soup.find("h1"):  # the page title heads a page that has no h1
        text = f"# {title}\n\n{text}"
    return text + "\n", declared if isinstance(declared, str) else None


def _pdf_text(raw: bytes, path: Path) -> str:
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        encrypted = reader.is_encrypted and not reader.decrypt("")
        if not encrypted:
            pages = [page.extract_text() or "" for page in reader.pages]
            title = (reader.metadata.title or "") if reader.metadata else ""
    except Exception as e:  # pypdf raises many unrelated types on a malformed file
        raise ValueError(f"cannot read PDF knowledge file {path}: {e}") from e
    if encrypted:
        raise ValueError(f"knowledge file {path} is an encrypted PDF")
    body = "\n\n".join(_HYPHENATED.sub(r"\1\2", page).strip() for page in pages)
    if not body.strip():
        raise ValueError(f"PDF knowledge file {path} has no text (a scan needs OCR first)")
    return (f"# {title.strip()}\n\n" if title.strip() else "") + body + "\n"
