"""The process's tool registry: built-ins, declared HTTP tools, and the business's own tools.

Built-ins: ``search_knowledge`` (the business's documents, with passage ids as citations),
``transfer_to_agent`` and ``end_call`` (their data is the decision; the engine turns it into
``Transfer`` / ``Hangup``). A transfer names one of the call's queues and, naming none, goes to
the call's default queue (``config.policy.CallPolicy``, handed to each call of the registry);
the queues given here are for a tool called without a call's policy.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from config import Settings
from config.database import Database
from config.pack import BusinessPack
from config.policy import CallPolicy
from dialog.business import create_and_seed, hotel_tools, support_tools
from dialog.business.sms import SmsSender
from dialog.tools.audit import ToolAudit
from dialog.tools.http import http_tool_specs
from dialog.tools.registry import ToolRegistry
from dialog.tools.spec import Tier, ToolContext, ToolResult, ToolSpec

__all__ = ["builtin_tools", "build_registry"]

SEARCH_RESULTS = 3


class _Passage(Protocol):
    id: str
    source: str
    heading: str
    text: str


class _Hit(Protocol):
    passage: _Passage
    score: float


class SearchIndex(Protocol):
    """What search_knowledge needs of a ``knowledge.index.KnowledgeIndex``."""

    def search_preferring(self, query: str, language: str, k: int = 3) -> Sequence[_Hit]: ...


def builtin_tools(*, index: SearchIndex | None, min_score: float = 0.0,
                  queues: Sequence[str] = (), default_queue: str = "front_desk",
                  ) -> list[ToolSpec]:
    """search_knowledge (when there is an index), transfer_to_agent and end_call."""

    async def search_knowledge(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        assert index is not None
        hits = await asyncio.to_thread(index.search_preferring, args["query"], ctx.language,
                                       SEARCH_RESULTS)
        hits = [h for h in hits if h.score >= min_score]
        if not hits:
            return ToolResult({"found": False, "message": "Nothing in the documents answers "
                               "this. Do not guess: offer a person."}, ok=False)
        return ToolResult({"found": True, "passages": [
            {"id": h.passage.id, "heading": h.passage.heading, "text": h.passage.text,
             "score": round(h.score, 3)} for h in hits]},
            citations=tuple(h.passage.id for h in hits))

    async def transfer_to_agent(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        queue = args.get("queue") or ctx.default_queue or default_queue
        return ToolResult({"action": "transfer", "queue": queue,
                           "reason": args["reason"], "request": args.get("request", "")})

    async def end_call(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        return ToolResult({"action": "hangup", "reason": args.get("reason", "caller_done")})

    names = sorted({default_queue, *queues})
    specs = [
        ToolSpec("transfer_to_agent", "Hand the caller to a person, e.g. when they ask for one, "
                 "when a request needs a person, or when you cannot help.",
                 {"type": "object", "additionalProperties": False, "required": ["reason"],
                  "properties": {
                      "queue": {"type": "string", "enum": names},
                      "reason": {"type": "string", "minLength": 1, "maxLength": 200},
                      "request": {"type": "string", "maxLength": 500,
                                  "description": "What the person should do, for the "
                                  "briefing."}}},
                 Tier.READ, transfer_to_agent, timeout_seconds=1.0, queue_arg="queue"),
        ToolSpec("end_call", "End the call after your reply, when the caller is done.",
                 {"type": "object", "additionalProperties": False, "properties": {
                     "reason": {"type": "string", "maxLength": 200}}},
                 Tier.READ, end_call, timeout_seconds=1.0),
    ]
    if index is not None:
        specs.insert(0, ToolSpec(
            "search_knowledge", "Search the business's own documents (policies, hours, "
            "amenities, directions). Answer only from the passages returned; cite their ids.",
            {"type": "object", "additionalProperties": False, "required": ["query"],
             "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 500}}},
            Tier.READ, search_knowledge, timeout_seconds=5.0))
    return specs


def build_registry(settings: Settings, *, index: SearchIndex | None,
                   database: Database | str, sms: SmsSender | None = None,
                   today: Callable[[], date] = date.today,
                   environ: Mapping[str, str] = os.environ,
                   pack: BusinessPack | None = None) -> ToolRegistry:
    """Compose every tool: the built-ins, the declared HTTP tools, and the business's own:
    a ``pack``'s HTTP tools, and for a pack on a demonstration backend (or no pack: demo mode)
    the sample businesses' tools on their tables, created and seeded here (once). No sample
    table or row is made for a pack on its own systems.

    The tools and their audit share ``database`` (the process's one engine for that URL).
    Confirmation texts go through ``sms`` (the runtime's Twilio REST client; None: they cannot
    be sent).

    Synchronous (database set-up): call it at start-up, not on the event loop mid-call.
    Raises ``HttpToolConfigError`` for an HTTP tool that cannot work (e.g. a missing secret).
    """
    audit = ToolAudit(database)  # holds the database (and its engine) as long as the tools
    engine = audit.engine
    fallback = CallPolicy.build(settings, None)  # for a tool called without a call's policy
    own = http_tool_specs([*settings.http_tools, *(pack.tools if pack is not None else ())],
                          environ=environ)
    if pack is None or pack.demo is not None:
        create_and_seed(engine, today())
        own += [*hotel_tools(engine, today=today, sms=sms,
                             business_name=settings.dialog.business_name or "Harbor View Hotel"),
                *support_tools(engine, governance=settings.governance)]
    specs = [
        *builtin_tools(index=index, min_score=settings.knowledge.min_score,
                       queues=sorted(fallback.queues), default_queue=fallback.default_queue),
        *own,
    ]
    return ToolRegistry(specs, audit=audit, governance=settings.governance,
                        verification_attempts=fallback.verification_attempts)
