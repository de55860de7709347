"""Tools declared as HTTP calls to a business's own API (CRM, PMS, repair system), no code needed.

Declared in settings (``FRONTDESK_HTTP_TOOLS``) or in a business pack's ``tools.yaml``
(``config.pack``), both as ``HttpToolSettings``.

The URL is a template: ``{name}`` takes the argument ``name`` (URL-quoted); ``{customer_id}``,
``{candidate_id}`` and ``{caller_number}`` take the call's identity from the ``ToolContext``,
never from the model (a template naming ``{customer_id}`` needs a verified caller). GET and
DELETE send the remaining declared arguments as the query, other methods as a JSON body. The
auth header's value is read from the named environment variable when the tools are built, so a
missing secret stops the server at start-up rather than failing mid-call.

Identity and ownership come from fields of the JSON response, never from the model:
``identifies`` names the caller's record (a candidate, not yet verified); ``verifies`` proves
who the caller is (a response without it, or with ``"verified": false``, is a failed attempt);
``owner_field`` names whose record a response is, and ``owner_from`` reads that through another
tool before a change. Another customer's record is refused exactly like one that does not exist
(``governance.NOT_FOUND``), and so is a 404. A 400, 409 or 422 is the back end saying no (a
business refusal, ``ok`` False); any other failing status is an error.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from config import HttpToolSettings
from config.settings import CALL_IDENTITY
from dialog.tools.governance import NOT_FOUND
from dialog.tools.spec import Tier, ToolContext, ToolResult, ToolSpec

__all__ = ["HttpToolCallError", "HttpToolConfigError", "MAX_RESPONSE_CHARS", "http_tool_specs"]

IDENTITY = CALL_IDENTITY  # filled from the call, never from the model
MAX_RESPONSE_CHARS = 4000  # what the model gets of a response
# The back end said no to the request itself (a day the shop is closed): a business refusal
# the caller is told of, not a failure. Other 4xx and 5xx are failures (``error``).
REFUSED = (400, 409, 422)


class HttpToolConfigError(ValueError):
    """An HTTP tool's declaration cannot work (raised at start-up)."""


class HttpToolCallError(RuntimeError):
    """The API answered with a non-2xx status (the registry records an ``error`` outcome)."""


def field_at(body: Any, path: str) -> Any:
    """The value at ``path`` ("customer.id") of a JSON body, None when it is not there."""
    for part in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


class _HttpCall:
    def __init__(self, cfg: HttpToolSettings, headers: dict[str, str],
                 declared: frozenset[str]) -> None:
        self.cfg = cfg
        self.pieces = cfg.url_pieces()
        self.fields = frozenset(name for _, name in self.pieces if name)
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

    async def fetch(self, ctx: ToolContext, args: dict[str, Any]) -> httpx.Response:
        url = self.url(ctx, args)
        rest = {k: v for k, v in args.items()
                if k not in self.fields and k not in IDENTITY and k in self.declared}
        request: dict[str, Any] = {"headers": self.headers}
        if self.cfg.method in ("GET", "DELETE"):
            # Added to the template's own query ("?phone={caller_number}"), which httpx's
            # ``params`` would replace.
            url = str(httpx.URL(url).copy_merge_params(
                {k: v if isinstance(v, str) else json.dumps(v) for k, v in rest.items()}))
        else:
            request["json"] = rest
        # A little longer than the tool's own timeout, which the registry enforces (and
        # reports as ``timeout``).
        async with httpx.AsyncClient(timeout=self.cfg.timeout_seconds + 1) as client:
            response = await client.request(self.cfg.method, url, **request)
        if not response.is_success and response.status_code not in (404, *REFUSED):
            raise HttpToolCallError(f"{self.cfg.name}: HTTP {response.status_code}")
        return response

    async def owner(self, ctx: ToolContext, args: dict[str, Any]) -> str | None:
        """Whose record ``args`` name (this tool's ``owner_field``); None: nobody's."""
        response = await self.fetch(ctx, {k: v for k, v in args.items() if k in self.declared})
        if response.status_code == 404:
            return None
        owner = field_at(_json(response), self.cfg.owner_field)
        return None if owner in (None, "") else str(owner)

    async def __call__(self, ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
        response = await self.fetch(ctx, args)
        if response.status_code == 404:
            if self.cfg.verifies:  # nobody to verify against: a failed attempt
                return ToolResult({"verified": False, **NOT_FOUND}, ok=False,
                                  verification_failed=True)
            return ToolResult(dict(NOT_FOUND), ok=False)
        body = _json(response)
        data = {"status": response.status_code, **_body(response)}
        if response.status_code in REFUSED:
            return ToolResult(data, ok=False)
        cfg = self.cfg
        if cfg.owner_field:
            owner = field_at(body, cfg.owner_field)
            if owner is not None and str(owner) != ctx.customer_id:
                return ToolResult(dict(NOT_FOUND), ok=False, refusal="not_owner")
        if cfg.identifies:
            found = field_at(body, cfg.identifies)
            if found in (None, ""):
                return ToolResult({**data, "found": False}, ok=False)
            return ToolResult({**data, "found": True}, candidate=str(found))
        if cfg.verifies:
            customer = field_at(body, cfg.verifies)
            if customer in (None, "") or field_at(body, "verified") is False:
                return ToolResult({**data, "verified": False}, ok=False,
                                  verification_failed=True)
            return ToolResult({**data, "verified": True}, verified_customer=str(customer))
        return ToolResult(data)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _body(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    if body is None:
        text = response.text
        return {"body": text[:MAX_RESPONSE_CHARS], "truncated": len(text) > MAX_RESPONSE_CHARS}
    text = json.dumps(body, ensure_ascii=False)
    if len(text) > MAX_RESPONSE_CHARS:
        return {"body": text[:MAX_RESPONSE_CHARS], "truncated": True}
    return {"body": body, "truncated": False}


def _call(cfg: HttpToolSettings, environ: Mapping[str, str]) -> _HttpCall:
    headers = {}
    if cfg.auth_env:
        secret = environ.get(cfg.auth_env, "")
        if not secret:
            raise HttpToolConfigError(f"http tool {cfg.name}: environment variable "
                                      f"{cfg.auth_env} (its {cfg.auth_header} header) is not set")
        headers[cfg.auth_header] = cfg.auth_prefix + secret
    return _HttpCall(cfg, headers, frozenset(cfg.parameters.get("properties", {})))


def _spec(call: _HttpCall, calls: Mapping[str, _HttpCall]) -> ToolSpec:
    cfg = call.cfg
    parameters = copy.deepcopy(cfg.parameters)
    parameters.setdefault("properties", {})
    parameters.setdefault("type", "object")
    # Path placeholders cannot be left empty.
    parameters["required"] = sorted(set(parameters.get("required", []))
                                    | (call.fields - set(IDENTITY)))
    owner_of = None
    if cfg.owner_from:
        source = calls.get(cfg.owner_from)
        if source is None or not source.cfg.owner_field:
            raise HttpToolConfigError(f"http tool {cfg.name}: owner_from {cfg.owner_from!r} "
                                      "is not an HTTP tool with an owner_field")
        owner_of = source.owner
    return ToolSpec(cfg.name, cfg.description, parameters, Tier(cfg.tier), call,
                    timeout_seconds=cfg.timeout_seconds,
                    needs_verified=cfg.needs_verified or "customer_id" in call.fields,
                    verifies=bool(cfg.verifies), businesses=frozenset(cfg.businesses),
                    owner_of=owner_of)


def http_tool_specs(configs: Sequence[HttpToolSettings], *,
                    environ: Mapping[str, str]) -> list[ToolSpec]:
    """ToolSpecs for the declared HTTP tools; HttpToolConfigError names what is wrong."""
    calls = {cfg.name: _call(cfg, environ) for cfg in configs}
    return [_spec(call, calls) for call in calls.values()]
