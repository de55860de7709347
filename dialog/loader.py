"""Build the dialog's shared parts from settings: used by the server and by `frontdesk try`.

Loads the sentence encoder, ingests the knowledge files into the database (unchanged files are
skipped by their hash) and builds the hybrid index from it, builds the intent classifier for
the business, the tool registry, and the LLM client when one is configured.

The business is a pack (``Settings.business``: its documents, intents, tools, tasks and lines),
or in demo mode a sample (``dialog.business``: its bundled documents, tables and tasks).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from importlib.resources import files
from pathlib import Path

from loguru import logger

from config import Settings, load_intents
from config.database import Database
from config.intents import IntentSet
from config.pack import BusinessPack
from config.rules import Rules, bundled_rules_file
from dialog.business import TASKS
from dialog.business.sms import SmsSender
from dialog.deps import DialogDeps
from dialog.llm.client import make_client
from dialog.pack import load_business, pack_lines, pack_tasks
from dialog.routing.evaluate import load_routing_rules
from dialog.toolset import build_registry
from dialog.understanding.classifier import IntentClassifier
from dialog.understanding.sentiment import SentimentAnalyzer
from knowledge.encoder import SentenceEncoder, default_model_path
from knowledge.store import KnowledgeBase

__all__ = ["business_pack", "bundled_documents", "bundled_knowledge", "catalogue_of",
           "load_dialog", "rules_loader", "rules_source"]


def business_pack(settings: Settings) -> BusinessPack | None:
    """The deployment's business pack, checked whole (``PackError`` names each problem);
    None in demo mode."""
    if settings.business is None:
        return None
    return load_business(settings.business, environ=os.environ,
                         catalogue=load_intents(settings.dialog.intents_file))


def catalogue_of(settings: Settings, pack: BusinessPack | None) -> IntentSet:
    """The intents calls are classified among: the shared ones and the pack's own."""
    return pack.catalogue if pack is not None else load_intents(settings.dialog.intents_file)


def rules_source(settings: Settings, pack: BusinessPack | None) -> str:
    """The first version of the routing rules: the pack's business.yaml, or the sample's."""
    if pack is not None:
        return pack.rules_text
    return bundled_rules_file(settings.dialog.business).read_text(encoding="utf-8")


def rules_loader(settings: Settings, pack: BusinessPack | None,
                 catalogue: IntentSet | None = None) -> Callable[..., Rules]:
    """``load_routing_rules`` for this business: its intents and its tools."""
    tools = [*settings.http_tools, *(pack.tools if pack is not None else ())]
    return partial(load_routing_rules, catalogue=catalogue or catalogue_of(settings, pack),
                   http_tools=tools)


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
    pack = business_pack(settings)
    encoder = encoder or SentenceEncoder(default_model_path(settings.resolved_models_dir))
    business = settings.dialog.business
    database = database or Database.shared(settings.database_url)
    base = KnowledgeBase(database, encoder)
    paths = settings.knowledge.files or (list(pack.knowledge) if pack is not None
                                         else bundled_documents(business))
    report = base.ingest(paths)
    index = base.index()
    logger.info(f"knowledge: {report}")
    intents = catalogue_of(settings, pack)
    classifier = IntentClassifier.for_encoder(encoder, intents=intents, business=business)
    registry = build_registry(settings, index=index, database=database, sms=sms, pack=pack)
    client = make_client(settings.llm) if settings.llm.enabled else None
    return DialogDeps(settings=settings, encoder=encoder, index=index, classifier=classifier,
                      registry=registry, sentiment=SentimentAnalyzer.for_encoder(encoder),
                      llm_client=client, pack=pack,
                      tasks=pack_tasks(pack) if pack is not None else TASKS,
                      lines=pack_lines(pack) if pack is not None else {})
