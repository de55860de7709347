"""Twilio request signatures and the short-lived per-call stream token.

Pure functions and one small class; no I/O. Single use of a token is enforced by
the database (records.claim_token) so it holds across servers and restarts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

__all__ = [
    "StreamTokens",
    "TokenClaims",
    "TokenError",
    "external_url",
    "http_base",
    "stream_base",
    "swap_scheme",
    "valid_twilio_signature",
]


def external_url(
    *,
    request_url: str,
    path_and_query: str,
    headers: Mapping[str, str],
    public_url: str,
    trust_proxy_headers: bool,
) -> str:
    """The URL as Twilio addressed it, which is what Twilio signed.

    Behind a TLS-terminating proxy the server sees http://internal:8080/...; Twilio
    signed https://public.example.com/.... `public_url` (or, when trusted, the
    X-Forwarded-Proto/Host headers) restores the outside view.
    """
    if public_url:
        base = public_url
    elif trust_proxy_headers and headers.get("x-forwarded-host"):
        proto = headers.get("x-forwarded-proto", "https").split(",")[0].strip()
        host = headers["x-forwarded-host"].split(",")[0].strip()
        base = f"{proto}://{host}"
    else:
        return request_url
    return base + path_and_query


def swap_scheme(url: str) -> str:
    """http(s)://host/... <-> ws(s)://host/..."""
    for a, b in (("https://", "wss://"), ("http://", "ws://"), ("wss://", "https://"),
                 ("ws://", "http://")):
        if url.startswith(a):
            return b + url[len(a):]
    return url


def http_base(url: str) -> str:
    """The http(s):// spelling of a base URL (ws:// -> http://, wss:// -> https://), without
    a trailing slash: the base of every URL Twilio fetches or posts to (callbacks, TwiML)."""
    url = url.rstrip("/")
    return swap_scheme(url) if url.startswith(("ws://", "wss://")) else url


def stream_base(url: str) -> str:
    """The ws(s):// spelling of a base URL (http:// -> ws://, https:// -> wss://), without a
    trailing slash: the base of a ``<Stream url>``."""
    url = url.rstrip("/")
    return swap_scheme(url) if url.startswith(("http://", "https://")) else url


def valid_twilio_signature(
    url: str, params: Mapping[str, str], signature: str | None, auth_token: str
) -> bool:
    """Check X-Twilio-Signature with twilio's RequestValidator."""
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


class TokenError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class TokenClaims:
    call_sid: str
    token_id: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class StreamTokens:
    """HMAC-signed tokens that bind a media stream to the webhook that answered it."""

    def __init__(self, secret: bytes, ttl_seconds: float) -> None:
        if len(secret) < 16:
            raise ValueError("stream token secret must be at least 16 bytes")
        self._secret = secret
        self._ttl = ttl_seconds

    @classmethod
    def for_auth_token(cls, auth_token: str, ttl_seconds: float) -> StreamTokens:
        """Derive the secret from the Twilio auth token so every server agrees;
        without one (development), a random per-process secret."""
        if auth_token:
            secret = hmac.new(auth_token.encode(), b"frontdesk-stream-token", "sha256").digest()
        else:
            secret = secrets.token_bytes(32)
        return cls(secret, ttl_seconds)

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())

    def mint(self, call_sid: str, *, now: float | None = None) -> str:
        issued = time.time() if now is None else now
        claims = {"c": call_sid, "j": secrets.token_hex(8), "e": round(issued + self._ttl, 3)}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, *, now: float | None = None) -> TokenClaims:
        body, _, signature = token.partition(".")
        if not body or not signature or not hmac.compare_digest(signature, self._sign(body)):
            raise TokenError("bad_signature", "stream token is not ours")
        try:
            claims = json.loads(_unb64(body))
            parsed = TokenClaims(str(claims["c"]), str(claims["j"]), float(claims["e"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("malformed", "stream token is malformed") from exc
        if (time.time() if now is None else now) > parsed.expires_at:
            raise TokenError("expired", "stream token has expired")
        return parsed
