"""Tools declared in settings as HTTP calls to a business's own API (CRM, PMS), no code needed.

The URL is a template: ``{name}`` takes the argument ``name`` (URL-quoted); ``{customer_id}``
and ``{caller_number}`` take the call's identity from the ``ToolContext``, never from the
model (a template naming ``{customer_id}`` needs a verified caller). GET and DELETE send the
remaining declared arguments as the query, other methods as a JSON body. The auth header's
value is read from the named environment variable when the tools are built, so a missing
secret stops the server at start-up rather than failing mid-call.
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from config import HttpToolSettings
from dialog.tools.spec import Tier, ToolContext, ToolResult, ToolSpec

__all__ = ["HttpToolCallError", "HttpToolConfigError", "MAX_RESPONSE_CHARS", "http_tool_specs"]

IDENTITY = ("customer_id", "caller_number")  # filled from the call, never from the model
MAX_RESPONSE_CHARS = 4000  # what the model gets of a response


class HttpToolConfigError(ValueError):
    """An HTTP tool's declaration cannot work (raised at start-up)."""


class HttpToolCallError(RuntimeError):
    """The API answered with a non-2xx status (the registry records an ``error`` outcome)."""


def _template(cfg: HttpToolSettings) -> list[tuple[str, str | None]]:
    """The URL as (literal, placeholder) pieces; placeholders only in the path or query."""
    pieces = []
    for literal, name, spec, conversion in string.Formatter().parse(cfg.url):
        if name is not None and (not name.isidentifier() or spec or conversion):
            raise HttpToolConfigError(f"http tool {cfg.name}: bad placeholder {{{name}}}")
        pieces.append((literal, name))
    first = cfg.url.find("{")
    path_start = cfg.url.find("/", cfg.url.index("://") + 3)
    if first != -1 and (path_start == -1 or first < path_start):
        raise HttpToolConfigError(f"http tool {cfg.name}: placeholders may not be in the host")
    return pieces


class _HttpCall:
    def __init__(self, cfg: HttpToolSettings, pieces: list[tuple[str, str | None]],
                 headers: dict[str, str], declared: frozenset[str]) -> None:
        self.cfg = cfg
        self.pieces = pieces
        self.fields = frozenset(name for _, name in pieces if name)
        self.headers = headers
        self.declared = declared

    def url(self, ctx: ToolContext, args: dict[str, Any]) -> str:
        out = []
        for literal, name in self.pieces:
            out.append(literal)
            if name is None:
                continue
            value = getattr(ctx, name) if name in IDENTITY else args[name]
            if value in (None, ""):
                raise HttpToolCallError(f"{self.cfg.name}: no {name} for this call")
            out.append(quote(value if isinstance(value, str) else json.dumps(value), safe=""))
        return "".join(out)

    async def __call__(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        url = self.url(ctx, args)
        rest = {k: v for k, v in args.items()
                if k not in self.fields and k not in IDENTITY and k in self.declared}
        request: dict[str, Any] = {"headers": self.headers}
        if self.cfg.method in ("GET", "DELETE"):
            request["params"] = {k: v if isinstance(v, str) else json.dumps(v)
                                 for k, v in rest.items()}
        else:
            request["json"] = rest
        # A little longer than the tool's own timeout, which the registry enforces (and
        # reports as ``timeout``).
        async with httpx.AsyncClient(timeout=self.cfg.timeout_seconds + 1) as client:
            response = await client.request(self.cfg.method, url, **request)
        if not response.is_success:
            raise HttpToolCallError(f"{self.cfg.name}: HTTP {response.status_code}")
        return ToolResult({"status": response.status_code, **_body(response)})


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        text = response.text
        return {"body": text[:MAX_RESPONSE_CHARS], "truncated": len(text) > MAX_RESPONSE_CHARS}
    text = json.dumps(body, ensure_ascii=False)
    if len(text) > MAX_RESPONSE_CHARS:
        return {"body": text[:MAX_RESPONSE_CHARS], "truncated": True}
    return {"body": body, "truncated": False}


def _spec(cfg: HttpToolSettings, environ: Mapping[str, str]) -> ToolSpec:
    pieces = _template(cfg)
    fields = {name for _, name in pieces if name}
    parameters = copy.deepcopy(cfg.parameters)
    properties = parameters.setdefault("properties", {})
    parameters.setdefault("type", "object")
    if clash := set(properties) & set(IDENTITY):
        raise HttpToolConfigError(f"http tool {cfg.name}: {sorted(clash)} come from the call, "
                                  "not the model; remove them from parameters")
    if missing := fields - set(IDENTITY) - set(properties):
        raise HttpToolConfigError(f"http tool {cfg.name}: URL placeholders {sorted(missing)} "
                                  "are not declared in parameters")
    # Path placeholders cannot be left empty.
    parameters["required"] = sorted(set(parameters.get("required", [])) | (fields - set(IDENTITY)))
    headers = {}
    if cfg.auth_env:
        secret = environ.get(cfg.auth_env, "")
        if not secret:
            raise HttpToolConfigError(f"http tool {cfg.name}: environment variable "
                                      f"{cfg.auth_env} (its {cfg.auth_header} header) is not set")
        headers[cfg.auth_header] = cfg.auth_prefix + secret
    handler = _HttpCall(cfg, pieces, headers, frozenset(properties))
    return ToolSpec(cfg.name, cfg.description, parameters, Tier(cfg.tier), handler,
                    timeout_seconds=cfg.timeout_seconds,
                    needs_verified=cfg.needs_verified or "customer_id" in fields,
                    businesses=frozenset(cfg.businesses))


def http_tool_specs(configs: Sequence[HttpToolSettings], *,
                    environ: Mapping[str, str]) -> list[ToolSpec]:
    """ToolSpecs for the declared HTTP tools; HttpToolConfigError names what is wrong."""
    return [_spec(cfg, environ) for cfg in configs]
