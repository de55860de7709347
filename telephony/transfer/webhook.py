"""The webhooks, POSTed signed to ``settings.desk.webhook_url``: each new handoff with its
briefing (``handoff.created``), and each call once its outcome is decided (``call.completed``:
the outcome, a summary and the transcript, so a CRM can file the call).

Headers: ``X-Frontdesk-Event``, ``X-Frontdesk-Timestamp`` (Unix seconds) and
``X-Frontdesk-Signature: sha256=<hex>`` (``sign_webhook``) when a secret is set. A receiver
recomputes the signature and refuses old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from loguru import logger

from config import Settings
from dialog.briefing.types import MINOR_INTENTS, caller_intent
from telephony.retry import WEBHOOK, RetryPolicy, send
from telephony.web.desk_api import handoff_json

__all__ = ["call_summary", "post_briefing_webhook", "post_call_webhook", "sign_webhook"]


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body`` (the timestamp is signed
    too, so a receiver can refuse old deliveries replayed)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


async def post_briefing_webhook(settings: Settings, handoff: dict[str, Any],
                                client: httpx.AsyncClient, *, timeout_seconds: float = 3.0,
                                policy: RetryPolicy = WEBHOOK) -> bool:
    """POST a new handoff (``handoff_json`` of its row) to ``settings.desk.webhook_url``.

    True when the receiver answered 2xx; failures are logged, never raised (the call goes on).
    A receiver that is busy (429, 5xx) or unreachable is tried again with backoff, honouring
    its Retry-After (``policy``, default ``telephony.retry.WEBHOOK``).
    """
    return await _post(settings, "handoff.created", handoff_json(handoff), client,
                       f"handoff {handoff.get('id')}", timeout_seconds, policy)


async def post_call_webhook(settings: Settings, call: dict[str, Any],
                            client: httpx.AsyncClient, *, timeout_seconds: float = 3.0,
                            policy: RetryPolicy = WEBHOOK) -> bool:
    """POST a call whose outcome was just decided (``call_summary`` of its record), as
    ``post_briefing_webhook`` does a handoff."""
    return await _post(settings, "call.completed", call_summary(call), client,
                       f"call {call.get('call_sid')}", timeout_seconds, policy)


def call_summary(call: dict[str, Any]) -> dict[str, Any]:
    """What a CRM is told of a call: who, when, its outcome, what the caller asked for, a
    one-line summary, its QA score and failed items (``qa``: the stored score, if any) and the
    transcript (already redacted, as stored)."""
    turns = call.get("turns") or []
    asked = []
    for turn in turns:
        intent = caller_intent(turn.get("intent"), turn.get("reason_codes") or ())
        if intent and intent not in MINOR_INTENTS and intent not in asked:
            asked.append(intent)
    outcome = call.get("outcome") or "undecided"
    what = ", ".join(a.replace("_", " ") for a in asked) or "nothing in words"
    summary = f"The caller asked about {what}; outcome: {outcome}" + (
        f" ({call['outcome_reason']})" if call.get("outcome_reason") else "") + "."
    transcript = []
    for turn in turns:
        said = turn.get("caller_text") or (f"[keypad] {turn['caller_dtmf']}"
                                           if turn.get("caller_dtmf") else "")
        if said:
            transcript.append({"speaker": "caller", "text": said})
        if turn.get("reply_text"):
            transcript.append({"speaker": "agent", "text": turn["reply_text"]})
    keys = ("call_sid", "from_number", "to_number", "started_at", "ended_at", "end_reason",
            "language", "outcome", "outcome_reason")
    qa = call.get("qa") or {}
    failed = [item for item in qa.get("items") or () if item.get("passed") is False]
    return {**{k: call.get(k) for k in keys}, "asked": asked, "summary": summary,
            "qa": {"score": qa.get("score"), "failed": failed} if qa else None,
            "transcript": transcript}


async def _post(settings: Settings, event: str, payload: dict[str, Any],
                client: httpx.AsyncClient, what: str, timeout_seconds: float,
                policy: RetryPolicy) -> bool:
    url = settings.desk.webhook_url
    if not url:
        return False
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Frontdesk-Event": event,
               "X-Frontdesk-Timestamp": timestamp, "User-Agent": "frontdesk-webhook"}
    secret = settings.desk.webhook_secret.get_secret_value()
    if secret:
        headers["X-Frontdesk-Signature"] = sign_webhook(secret, timestamp, body)
    else:
        logger.warning(f"desk webhook: FRONTDESK_DESK__WEBHOOK_SECRET is not set; posting "
                       f"{event} unsigned")
    try:
        response = await send(lambda: client.post(url, content=body, headers=headers,
                                                  timeout=timeout_seconds), policy,
                              f"desk webhook for {what}")
    except Exception as exc:  # a webhook never breaks a call
        logger.warning(f"desk webhook: POST for {what} failed: {type(exc).__name__}: {exc}")
        return False
    if not response.is_success:
        logger.warning(f"desk webhook: POST for {what} answered {response.status_code}")
        return False
    return True
