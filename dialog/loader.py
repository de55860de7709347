"""Build the dialog's shared parts from settings: used by the server and by `frontdesk try`.

Loads the sentence encoder, ingests the knowledge files into the database (unchanged files are
skipped by their hash) and builds the hybrid index from it, builds the intent classifier for
the business, the tool registry, and the LLM client when one is configured.

The business is a pack (``Settings.business``: its documents, intents, tools, tasks and lines);
with none, demo mode runs a sample's bundled pack (``dialog.business``: config/data/packs/<it>)
on its demonstration backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from loguru import logger

from config import Settings, load_intents
from config.database import Database
from config.intents import IntentSet, sample_intents, sample_pack
from config.pack import BusinessPack
from config.rules import Rules
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


def business_pack(settings: Settings) -> BusinessPack:
    """The deployment's business pack (in demo mode with none, the sample's), checked whole:
    ``PackError`` names each problem."""
    demo = settings.business is None  # `serve` runs no pack only when asked for a demo
    return load_business(settings.business or sample_pack(settings.dialog.business),
                         environ=os.environ, demo=demo or settings.demo,
                         catalogue=load_intents(settings.dialog.intents_file))


def catalogue_of(settings: Settings, pack: BusinessPack) -> IntentSet:
    """The intents calls are classified among: the shared ones and the pack's own; in demo
    mode with no pack, both samples' (a call may try either: ``frontdesk try --business``)."""
    if settings.business is None:
        return sample_intents(load_intents(settings.dialog.intents_file))
    return pack.catalogue


def rules_source(pack: BusinessPack) -> str:
    """The first version of the routing rules: the pack's business.yaml."""
    return pack.rules_text


def rules_loader(settings: Settings, pack: BusinessPack,
                 catalogue: IntentSet | None = None) -> Callable[..., Rules]:
    """``load_routing_rules`` for this business: its intents and its tools."""
    return partial(load_routing_rules, catalogue=catalogue or catalogue_of(settings, pack),
                   http_tools=[*settings.http_tools, *pack.tools])


def bundled_knowledge(business: str) -> Path:
    """A sample business's main document (its pack's knowledge/<business>.md)."""
    return sample_pack(business) / "knowledge" / f"{business}.md"


def bundled_documents(business: str) -> list[Path]:
    """A sample business's documents (its pack's knowledge/: one and its translations, so
    callers are answered from a passage in their own language)."""
    return sorted((sample_pack(business) / "knowledge").glob("*.md"))


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
    paths = settings.knowledge.files or list(pack.knowledge)
    report = base.ingest(paths)
    index = base.index()
    logger.info(f"knowledge: {report}")
    intents = catalogue_of(settings, pack)
    classifier = IntentClassifier.for_encoder(encoder, intents=intents, business=business)
    registry = build_registry(settings, index=index, database=database, sms=sms, pack=pack)
    client = make_client(settings.llm) if settings.llm.enabled else None
    return DialogDeps(settings=settings, encoder=encoder, index=index, classifier=classifier,
                      registry=registry, sentiment=SentimentAnalyzer.for_encoder(encoder),
                      llm_client=client, pack=pack, tasks=pack_tasks(pack),
                      lines=pack_lines(pack))
