"""The briefing webhook: each new handoff POSTed, signed, to ``settings.desk.webhook_url``.

Headers: ``X-Frontdesk-Event: handoff.created``, ``X-Frontdesk-Timestamp`` (Unix seconds) and
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
from telephony.retry import WEBHOOK, RetryPolicy, send
from telephony.web.desk_api import handoff_json

__all__ = ["post_briefing_webhook", "sign_webhook"]


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
    url = settings.desk.webhook_url
    if not url:
        return False
    body = json.dumps(handoff_json(handoff), separators=(",", ":"), default=str).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Frontdesk-Event": "handoff.created",
               "X-Frontdesk-Timestamp": timestamp, "User-Agent": "frontdesk-webhook"}
    secret = settings.desk.webhook_secret.get_secret_value()
    if secret:
        headers["X-Frontdesk-Signature"] = sign_webhook(secret, timestamp, body)
    else:
        logger.warning("desk webhook: FRONTDESK_DESK__WEBHOOK_SECRET is not set; posting "
                       "the briefing unsigned")
    what = f"desk webhook for handoff {handoff.get('id')}"
    try:
        response = await send(lambda: client.post(url, content=body, headers=headers,
                                                  timeout=timeout_seconds), policy, what)
    except Exception as exc:  # a webhook never breaks a call
        logger.warning(f"desk webhook: POST for handoff {handoff.get('id')} failed: "
                       f"{type(exc).__name__}: {exc}")
        return False
    if not response.is_success:
        logger.warning(f"desk webhook: POST for handoff {handoff.get('id')} answered "
                       f"{response.status_code}")
        return False
    return True
