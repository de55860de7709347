"""`frontdesk try`: one turn through the dialog without audio, printed as JSON.

The same dialog a call uses (guardrails, embedded engine or LLM, tools, audit), on the same
database, under the same routing rules: the active version of the business's rules (their
keypad menu, language keys, intent overrides, routes and thresholds), kept for the session as a
call keeps the version it started with. ``--session FILE`` keeps the call's state (verification,
task in progress, history, rules version) between invocations, so a multi-turn conversation can
be replayed from a shell.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from config import DialogSettings, Settings
from dialog.state import CallState
from dialog.types import CallerTurn, Exchange, Hangup, Reply, Transfer

__all__ = ["add_try_arguments", "reply_json", "run_try_command"]


def add_try_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("utterance", nargs="?", default="", help="what the caller says")
    parser.add_argument("--dtmf", help="keypad digits instead of speech")
    parser.add_argument("--caller", default="", help="caller ID, E.164 (e.g. +15551234567)")
    parser.add_argument("--language", help="the caller's language (default: the session's, or en)")
    parser.add_argument("--business", choices=["hotel", "support"],
                        help="sample business (default: settings)")
    parser.add_argument("--session", type=Path, help="JSON file carrying state between turns")
    parser.add_argument("--json", action="store_true", help="print JSON (the default is text)")


def reply_json(reply: Reply) -> dict[str, Any]:
    decision = reply.decision
    return {
        "reply": reply.text,
        "language": reply.language,
        "intent": reply.intent,
        "confidence": round(reply.confidence, 3),
        "tools": [{"name": t.name, "args": t.args, "allowed": t.allowed, "result": t.result,
                   "reason": t.reason} for t in reply.tools],
        "transfer": ({"queue": decision.queue, "reason": decision.reason,
                      "request": decision.request} if isinstance(decision, Transfer) else None),
        "end_call": isinstance(decision, Hangup),
        "citations": list(reply.citations),
        "reason_codes": list(reply.reason_codes),
        "sentiment": ({"score": reply.sentiment, "label": reply.sentiment_label}
                      if reply.sentiment is not None else None),
    }


def _state(args: argparse.Namespace, settings: Settings) -> CallState:
    if args.session and args.session.exists():
        state = CallState.from_json(args.session.read_text(encoding="utf-8"))
    else:
        state = CallState(business=args.business or settings.dialog.business,
                          call_sid=f"TRY{uuid.uuid4().hex[:29]}")
    if args.caller:
        state.caller_number = args.caller
    if args.language:
        state.language = args.language
    return state


async def run_try_command(args: argparse.Namespace, settings: Settings) -> int:
    from dialog.loader import load_dialog
    from dialog.manager import DialogManager
    from dialog.routing.turns import Understanding
    from telephony.runtime import call_rules, open_rules
    from telephony.twilio.rest import TwilioRest

    if not args.utterance and not args.dtmf:
        print("frontdesk try: give an utterance or --dtmf", file=sys.stderr)
        return 2
    state = _state(args, settings)
    if state.business != settings.dialog.business:  # the other sample: its name and greeting
        dialog = DialogSettings(business=state.business,
                                intents_file=settings.dialog.intents_file,
                                default_queue=settings.dialog.default_queue)
        settings = settings.model_copy(update={"dialog": dialog})
    twilio = TwilioRest(settings)  # confirmation texts go out as a call's would
    try:
        deps = await asyncio.to_thread(load_dialog, settings, sms=twilio)
        store = await asyncio.to_thread(open_rules, settings, None, deps.pack)
        rules = (await asyncio.to_thread(call_rules, store, state)).rules
        classifier = await asyncio.to_thread(
            Understanding(deps.encoder, deps.classifier.intents).classifier, rules)
        dialog = DialogManager(deps, state, rules, classifier)
        history = [Exchange(caller=c, agent=a) for c, a in state.history]
        turn = CallerTurn(text=args.utterance, language=state.language, dtmf=args.dtmf)

        async def say(_sentence: str) -> None:
            return None

        reply = await dialog.respond(history, turn, say)
    finally:
        await twilio.aclose()
    if args.session:
        args.session.write_text(state.to_json(), encoding="utf-8")
    out = {**reply_json(reply), "rules_version": state.rules_version}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        print(reply.text)
        for tool in out["tools"]:
            print(f"  tool {tool['name']} {json.dumps(tool['args'])}: {tool['reason']}")
        print(f"  intent={out['intent']} confidence={out['confidence']} "
              f"reasons={','.join(out['reason_codes'])}")
        if out["transfer"]:
            print(f"  transfer to {out['transfer']['queue']} ({out['transfer']['reason']})")
    return 0
