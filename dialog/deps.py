"""What every call's dialog shares: settings, models, the knowledge index, tools (built once)."""

from __future__ import annotations

from dataclasses import dataclass

from openai import AsyncOpenAI

from config import Settings
from dialog.routing.live import Clock, local_now
from dialog.tools.registry import ToolRegistry
from dialog.understanding.classifier import IntentClassifier
from dialog.understanding.sentiment import SentimentAnalyzer
from knowledge.encoder import SentenceEncoder
from knowledge.index import KnowledgeIndex

__all__ = ["DialogDeps"]


@dataclass(frozen=True)
class DialogDeps:
    """What every call's dialog shares (read-only, built once per process)."""

    settings: Settings
    encoder: SentenceEncoder
    index: KnowledgeIndex
    classifier: IntentClassifier
    registry: ToolRegistry
    sentiment: SentimentAnalyzer
    llm_client: AsyncOpenAI | None = None  # when an LLM is configured
    clock: Clock = local_now  # the routing rules' notion of now (tests inject one)
