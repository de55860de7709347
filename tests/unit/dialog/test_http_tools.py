"""HTTP tools declared in settings, against a real API on loopback that checks the auth header.

The fake CRM echoes what it received, so the tests see the URL, query, body and headers the
tool really sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError
from servers import ThreadedServer

from config import GovernanceSettings, HttpToolSettings
from dialog.state import CallState
from dialog.tools.audit import ToolAudit
from dialog.tools.http import MAX_RESPONSE_CHARS, HttpToolConfigError, http_tool_specs
from dialog.tools.registry import ToolRegistry
from dialog.tools.spec import Tier

TOKEN = "s3cret-token"


def crm_app() -> FastAPI:
    app = FastAPI()

    async def echo(request: Request) -> JSONResponse:
        if request.headers.get("x-api-key") != f"Key {TOKEN}":
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        body = (await request.json()) if request.method in ("POST", "PUT", "PATCH") else None
        return JSONResponse({"method": request.method, "path": request.url.path,
                             "params": dict(request.path_params),
                             "query": dict(request.query_params), "json": body})

    app.add_api_route("/customers/{customer_id}/orders/{order}", echo, methods=["GET"])
    app.add_api_route("/callers/{number}/notes", echo, methods=["POST"])

    @app.get("/big")
    async def big() -> JSONResponse:
        return JSONResponse({"rows": ["x" * 100] * 200})

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("all good")

    @app.get("/fail")
    async def fail() -> JSONResponse:
        return JSONResponse({"error": "db down"}, status_code=500)

    @app.get("/slow")
    async def slow() -> JSONResponse:
        await asyncio.sleep(3)
        return JSONResponse({})

    return app


@pytest.fixture(scope="module")
def crm() -> Iterator[str]:
    server = ThreadedServer(crm_app()).start()
    yield server.url
    server.stop()


def tool(crm: str, name: str, path: str, **kw) -> HttpToolSettings:
    kw.setdefault("auth_env", "CRM_KEY")
    return HttpToolSettings(name=name, description=f"{name} via the CRM", url=crm + path,
                            auth_header="X-Api-Key", auth_prefix="Key ", **kw)


def tools(crm: str) -> list[HttpToolSettings]:
    order = {"type": "object", "properties": {"order": {"type": "string"},
                                              "detail": {"type": "string"}}}
    return [
        tool(crm, "crm_order", "/customers/{customer_id}/orders/{order}", parameters=order),
        tool(crm, "crm_note", "/callers/{caller_number}/notes", method="POST", tier="write",
             parameters={"type": "object", "properties": {"text": {"type": "string"}},
                         "required": ["text"]}),
        tool(crm, "crm_big", "/big"), tool(crm, "crm_text", "/text"),
        tool(crm, "crm_fail", "/fail"), tool(crm, "crm_slow", "/slow", timeout_seconds=0.5),
        tool(crm, "crm_public", "/text", auth_env="", businesses=["hotel"]),
    ]


@pytest.fixture
def registry(crm, tmp_path) -> ToolRegistry:
    specs = http_tool_specs(tools(crm), environ={"CRM_KEY": TOKEN})
    return ToolRegistry(specs, audit=ToolAudit(f"sqlite:///{tmp_path / 'a.db'}"),
                        governance=GovernanceSettings())


def verified(business: str = "support") -> CallState:
    return CallState(business, caller_number="+15551234567", call_sid="CA-http",
                     customer_id="C1001", candidate_id="C1001", verified=True)


async def test_identity_comes_from_the_call_not_the_model(registry):
    spec = registry.spec("crm_order")
    assert spec.needs_verified and spec.tier is Tier.READ  # {customer_id} implies verification
    assert spec.parameters["required"] == ["order"]
    anon = CallState("support", caller_number="+15551234567", call_sid="CA-http")
    assert (await registry.call("crm_order", {"order": "1"}, anon)).reason == "not_verified"
    outcome = await registry.call(
        "crm_order", {"order": "55 12?34#", "detail": "full", "customer_id": "C1002"},
        verified())
    assert outcome.reason == "ok", outcome
    body = outcome.result["body"]
    assert body["params"] == {"customer_id": "C1001", "order": "55 12?34#"}  # quoted, one segment
    assert body["query"] == {"detail": "full"}  # undeclared (and identity) arguments dropped
    assert outcome.result["status"] == 200


async def test_post_sends_json_with_the_caller_number(registry):
    outcome = await registry.call("crm_note", {"text": "Prefers email"}, verified())
    assert outcome.reason == "ok"
    body = outcome.result["body"]
    assert body["path"] == "/callers/+15551234567/notes" and body["json"] == {
        "text": "Prefers email"}
    anon = CallState("support", caller_number="+15551234567", call_sid="CA-http")
    assert (await registry.call("crm_note", {"text": "x"}, anon)).reason == "not_verified"


async def test_responses_failures_and_timeouts(registry, tmp_path):
    big = await registry.call("crm_big", {}, verified())
    assert big.result["truncated"] and len(big.result["body"]) == MAX_RESPONSE_CHARS
    text = await registry.call("crm_text", {}, verified())
    assert text.result == {"status": 200, "body": "all good", "truncated": False}
    failed = await registry.call("crm_fail", {}, verified())
    assert failed.reason == "error" and failed.failed and "db down" not in str(failed.result)
    late = await registry.call("crm_slow", {}, verified())
    assert late.reason == "timeout" and late.duration_ms < 2500
    assert (await registry.call("crm_public", {}, verified())).reason == "unknown_tool"
    assert (await registry.call("crm_public", {}, verified("hotel"))).reason == "ok"
    rows = registry.audit.for_call("CA-http")
    assert [r["reason"] for r in rows] == ["ok", "ok", "error", "timeout", "unknown_tool", "ok"]


async def test_a_wrong_secret_is_an_error_outcome(crm):
    specs = http_tool_specs(tools(crm)[:1], environ={"CRM_KEY": "wrong"})
    registry = ToolRegistry(specs, audit=None, governance=GovernanceSettings())
    outcome = await registry.call("crm_order", {"order": "1"}, verified())
    assert outcome.reason == "error"


def test_a_missing_secret_stops_start_up():
    cfg = HttpToolSettings(name="crm", description="d", url="http://127.0.0.1:9/x",
                           auth_env="CRM_KEY")
    with pytest.raises(HttpToolConfigError, match="CRM_KEY"):
        http_tool_specs([cfg], environ={})


@pytest.mark.parametrize(("change", "message"), [
    ({"url": "http://127.0.0.1:9/x/{order}"}, "not declared"),
    ({"url": "http://{host}/x", "parameters": {"type": "object",
                                              "properties": {"host": {"type": "string"}}}},
     "host"),
    ({"url": "http://127.0.0.1:9/c/{customer_id}", "parameters": {
        "type": "object", "properties": {"customer_id": {"type": "string"}}}},
     "come from the call"),
    ({"url": "http://127.0.0.1:9/x/{order!r}"}, "bad placeholder"),
    ({"identifies": "id", "verifies": "id"}, "not both"),
])
def test_declarations_that_cannot_work_are_refused_as_settings(change, message):
    with pytest.raises(ValidationError, match=message):
        HttpToolSettings(**{"name": "crm", "description": "d", "url": "http://127.0.0.1:9/x",
                            **change})
