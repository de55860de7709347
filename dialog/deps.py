"""What every call's dialog shares: settings, models, the knowledge index, tools (built once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openai import AsyncOpenAI

from config import Settings
from dialog.routing.live import Clock, local_now
from dialog.tools.registry import ToolRegistry
from dialog.understanding.classifier import IntentClassifier
from dialog.understanding.sentiment import SentimentAnalyzer
from knowledge.encoder import SentenceEncoder
from knowledge.index import KnowledgeIndex

if TYPE_CHECKING:
    from config.pack import BusinessPack
    from dialog.embedded.tasks import Task

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
    pack: BusinessPack | None = None  # the business pack (a sample's in demo mode)
    tasks: Mapping[str, Task] = field(default_factory=dict)  # the embedded engine's, by name
    lines: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # the pack's own
