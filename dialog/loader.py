"""Build the dialog's shared parts from settings: used by the server and by `frontdesk try`.

Loads the sentence encoder, ingests the knowledge files into the database (unchanged files are
skipped by their hash) and builds the hybrid index from it, builds the intent classifier for
the business, the tool registry, and the LLM client when one is configured.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from loguru import logger

from config import Settings, load_intents
from config.database import Database
from dialog.business.sms import SmsSender
from dialog.deps import DialogDeps
from dialog.llm.client import make_client
from dialog.toolset import build_registry
from dialog.understanding.classifier import IntentClassifier
from dialog.understanding.sentiment import SentimentAnalyzer
from knowledge.encoder import SentenceEncoder, default_model_path
from knowledge.store import KnowledgeBase

__all__ = ["bundled_documents", "bundled_knowledge", "load_dialog"]


def bundled_knowledge(business: str) -> Path:
    """The sample document of a sample business (knowledge/data/<file>)."""
    name = "hotel.md" if business == "hotel" else "support.md"
    return Path(str(files("knowledge") / "data" / name))


def bundled_documents(business: str) -> list[Path]:
    """The sample business's document and its translations (``hotel.es.md``...), so callers
    are answered from a passage in their own language."""
    main = bundled_knowledge(business)
    return [main, *sorted(main.parent.glob(f"{main.stem}.*{main.suffix}"))]


def load_dialog(settings: Settings, *, encoder: SentenceEncoder | None = None,
                database: Database | None = None, sms: SmsSender | None = None) -> DialogDeps:
    """Everything every call's dialog shares (blocking: call it in a thread), on ``database``
    (default: the process's one for ``settings.database_url``); the hotel's confirmation texts
    go through ``sms`` (None: they cannot be sent)."""
    encoder = encoder or SentenceEncoder(default_model_path(settings.resolved_models_dir))
    business = settings.dialog.business
    database = database or Database.shared(settings.database_url)
    base = KnowledgeBase(database, encoder)
    paths = settings.knowledge.files or bundled_documents(business)
    report = base.ingest(paths)
    index = base.index()
    logger.info(f"knowledge: {report}")
    intents = load_intents(settings.dialog.intents_file)
    classifier = IntentClassifier.for_encoder(encoder, intents=intents, business=business)
    registry = build_registry(settings, index=index, database=database, sms=sms)
    client = make_client(settings.llm) if settings.llm.enabled else None
    return DialogDeps(settings=settings, encoder=encoder, index=index, classifier=classifier,
                      registry=registry, sentiment=SentimentAnalyzer.for_encoder(encoder),
                      llm_client=client)
