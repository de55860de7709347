"""The routing-rules admin API (/admin/api): read, validate, submit, history, roll back, dry run.

Signed-in users only (``telephony.web.admin`` holds the sign-in); every POST carries the session's
CSRF token. Viewers read and dry-run; admins also submit and roll back (others: 403).

GET  /admin/api/rules             the active version: id, source, parsed summary
POST /admin/api/validate          {source} -> {ok, problems, summary} (nothing is saved)
POST /admin/api/rules             {source, based_on, comment} -> 201 the new version;
                                  422 {problems: [{path, line, message}]}; 409 {active}
GET  /admin/api/versions          newest first: who, when, kind, comment
GET  /admin/api/versions/{id}     one version with its source and its predecessor's id
GET  /admin/api/diff?old=&new=    unified diff (old omitted: new's predecessor)
POST /admin/api/rollback          {to_version, based_on} -> 201 a new version with the old text
POST /admin/api/dry-run           one turn through ``route``: decision, reasons, intent
GET  /admin/api/audit             the audit entries, newest first

Endpoints only load, validate and save; deciding is ``dialog.routing.evaluate.route`` (through
``dialog.routing.turns.dry_run``, which builds the turn as the shadow evaluation does).
Longer than ~300 lines because it is one FastAPI router, with what its routes share
(``Console``), their request bodies and their response shapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, ValidationError

from config import HttpToolSettings, IntentSet, Settings
from config.rules import Problem, Rules, RulesError
from config.rules.store import NoRules, RuleConflict, RuleStore, RuleVersion
from dialog.routing.evaluate import load_routing_rules
from dialog.routing.turns import Understanding, dry_run
from telephony.web.auth import Session, Sessions
from telephony.web.desk_api import NO_STORE, error_response

__all__ = ["Console", "admin_api_router", "secret_values", "summary"]

MAX_SOURCE = 200_000  # characters of YAML
MIN_SECRET = 8  # shorter configured secrets are not searched for in rules text


def secret_values(value: Any) -> set[str]:
    """Every configured secret (passwords, tokens, keys) in a settings tree."""
    found: set[str] = set()
    if isinstance(value, SecretStr):
        found.add(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found |= secret_values(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            found |= secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= secret_values(item)
    return {s for s in found if len(s) >= MIN_SECRET}


@dataclass
class Console:
    """What the console's routes share: the business, sign-in, the store, the models."""

    settings: Settings
    business: str
    sessions: Sessions
    catalogue: IntentSet
    store: RuleStore | None = None  # set by the router's lifespan
    # The classifier and sentiment for the dry run: given, or found/loaded on first use.
    understanding: Understanding | None = None
    find_understanding: Callable[[Request], Awaitable[Understanding]] | None = None
    secrets: set[str] = field(default_factory=set)
    pack_tools: tuple[HttpToolSettings, ...] = ()  # the business pack's, which routes may name

    def load(self, source: str) -> Rules:
        """Validate a rules text as a live call's rules (raises ``RulesError``); a text holding
        a configured secret is refused too (rules are shown to viewers)."""
        name = f"{self.business}.yaml"
        for i, line in enumerate(source.splitlines(), start=1):
            if any(secret in line for secret in self.secrets):
                raise RulesError([Problem(name, "", i, "holds a configured password, token or "
                                  "key: rules are shown to every viewer and must not")])
        return load_routing_rules(source, catalogue=self.catalogue,
                                  http_tools=[*self.settings.http_tools, *self.pack_tools],
                                  name=name)


# -- JSON shapes -------------------------------------------------------------------------------

def version_json(version: RuleVersion, *, source: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": version.id, "business": version.business, "created_at": version.created_at,
        "author": version.author, "comment": version.comment, "based_on": version.based_on,
        "kind": version.kind, "rolled_back_to": version.rolled_back_to}
    if source:
        shown["source"] = version.source
    return shown


def summary(rules: Rules) -> dict[str, Any]:
    b = rules.business
    return {"name": b.name, "kind": b.kind, "timezone": b.timezone,
            "languages": list(b.languages), "default_language": b.default_language,
            "entry_menu": b.menu, "default_queue": b.default_queue,
            "language_keys": dict(b.language_keys),
            "rules": [{"name": r.name, "action": r.then.action, "queue": r.then.queue,
                       "description": r.description} for r in rules.rules],
            "menus": sorted(rules.menus), "queues": sorted(rules.queues),
            "tiers": sorted(rules.tiers)}


def problems_json(error: RulesError) -> list[dict[str, Any]]:
    return [{"path": p.path, "line": p.line, "message": p.message, "text": str(p)}
            for p in error.problems]


def _ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=NO_STORE)


# -- request bodies ------------------------------------------------------------------------------

Source = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SOURCE)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValidateIn(_Body):
    source: Source


class SubmitIn(_Body):
    source: Source
    based_on: int
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class RollbackIn(_Body):
    to_version: int
    based_on: int


class DryRunIn(_Body):
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    keypad: Annotated[str, StringConstraints(pattern=r"^[0-9*#]{0,4}$")] | None = None
    menu: str | None = None  # the menu the keys are pressed at (default: the entry menu)
    caller: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""
    record_tier: str | None = None  # the caller's customer record's tier, e.g. "gold"
    language: str = ""  # "" : the business's default
    # ISO 8601: without an offset it is the business's local time; empty: now.
    time: str = ""
    sentiment: float | None = Field(default=None, ge=-1, le=1)
    failed_turns: int = Field(default=0, ge=0, le=100)
    version: int | None = None  # default: the active version
    source: Source | None = None  # an unsaved text to try instead


async def _body(request: Request, model: type[_Body]) -> _Body | JSONResponse:
    try:
        data = await request.json()
    except ValueError:
        return error_response(400, "Send a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        fields = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
                           for err in e.errors(include_url=False, include_input=False))
        return error_response(400, f"Bad request: {fields}")


def _when(text: str) -> datetime:
    """The dry run's time: ISO (naive: the business's local time); empty: now."""
    if not text.strip():
        return datetime.now(UTC)
    return datetime.fromisoformat(text.strip())  # naive: turn_context puts it in the zone


# -- the routes ----------------------------------------------------------------------------------

Guard = Callable[[Request, bool], Session | JSONResponse]


def admin_api_router(console: Console, guard: Guard) -> APIRouter:
    """``guard(request, write)``: the session of a signed-in user allowed to do this (POSTs:
    with the CSRF token; ``write``: an admin), or the refusal to send."""
    router = APIRouter(prefix="/admin/api")
    business = console.business

    def store() -> RuleStore:
        assert console.store is not None, "the admin router's lifespan has not run"
        return console.store

    async def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(function, *args, **kwargs)

    @router.get("/rules")
    async def active_rules(request: Request) -> Response:
        if isinstance(refused := guard(request, False), JSONResponse):
            return refused
        version = await call(store().active, business)
        return _ok({"version": version_json(version), "source": version.source,
                    "summary": summary(version.rules)})

    @router.post("/validate")
    async def validate(request: Request) -> Response:
        if isinstance(refused := guard(request, False), JSONResponse):
            return refused
        if isinstance(body := await _body(request, ValidateIn), JSONResponse):
            return body
        assert isinstance(body, ValidateIn)
        try:
            rules = await call(console.load, body.source)
        except RulesError as e:
            return _ok({"ok": False, "problems": problems_json(e)})
        return _ok({"ok": True, "problems": [], "summary": summary(rules)})

    @router.post("/rules")
    async def submit(request: Request) -> Response:
        if isinstance(session := guard(request, True), JSONResponse):
            return session
        if isinstance(body := await _body(request, SubmitIn), JSONResponse):
            return body
        assert isinstance(body, SubmitIn)
        try:
            version = await call(store().submit, business, body.source, author=session.user,
                                 role=session.role, based_on=body.based_on,
                                 comment=body.comment)
        except RulesError as e:
            return error_response(422, "The rules are not valid; nothing was saved.",
                                  problems=problems_json(e))
        except RuleConflict as e:
            return error_response(409, "Someone else saved a newer version first. Reload "
                                  "the active rules and make your change again.",
                                  active=e.active, based_on=e.based_on)
        return _ok(version_json(version, source=True), 201)

    @router.get("/versions")
    async def versions(request: Request) -> Response:
        if isinstance(refused := guard(request, False), JSONResponse):
            return refused
        found = await call(store().versions, business)
        active = await call(store().active, business)
        return _ok({"active": active.id, "versions": [version_json(v) for v in found]})

    async def _previous(version_id: int) -> int | None:
        found = await call(store().versions, business)
        older = [v.id for v in found if v.id < version_id]
        return max(older) if older else None

    @router.get("/versions/{version_id}")
    async def one_version(version_id: int, request: Request) -> Response:
        if isinstance(refused := guard(request, False), JSONResponse):
            return refused
        version = await call(store().get, version_id)
        if version is None or version.business != business:
            return error_response(404, f"No version {version_id}.")
        return _ok({**version_json(version, source=True),
                    "previous": await _previous(version_id)})

    @router.get("/diff")
    async def diff(request: Request, new: int = Query(...),
                   old: int | None = Query(None)) -> Response:
        if isinstance(refused := guard(request, False), JSONResponse):
            return refused
        if old is None:
            old = await _previous(new)
        ids = [i for i in (old, new) if i is not None]
        found = [await call(store().get, i) for i in ids]
        if any(v is None or v.business != business for v in found):
            return error_response(404, "No such version.")
        if old is None:  # the first version: everything is new
            return _ok({"old": None, "new": new, "diff": ""})
        return _ok({"old": old, "new": new, "diff": await call(store().diff, old, new)})

    @router.post("/rollback")
    async def rollback(request: Request) -> Response:
        if isinstance(session := guard(request, True), JSONResponse):
            return session
        if isinstance(body := await _body(request, RollbackIn), JSONResponse):
            return body
        assert isinstance(body, RollbackIn)
        try:
            version = await call(store().rollback, business, body.to_version,
                                 author=session.user, role=session.role,
                                 based_on=body.based_on)
        except NoRules:
            return error_response(404, f"No version {body.to_version}.")
        except RulesError as e:
            return error_response(422, f"Version {body.to_version} is not valid any more "
                                  "(the tools or intents changed); nothing was changed.",
                                  problems=problems_json(e))
        except RuleConflict as e:
            return error_response(409, "Someone else saved a newer version first. Reload "
                                  "and try again.", active=e.active, based_on=e.based_on)
        return _ok(version_json(version, source=True), 201)

    @router.post("/dry-run")
    async def dry_run_turn(request: Request) -> Response:
        if isinstance(refused := guard(request, False), JSONResponse):
            return refused
        if isinstance(body := await _body(request, DryRunIn), JSONResponse):
            return body
        assert isinstance(body, DryRunIn)
        if (body.text is None or body.text == "") == (body.keypad is None):
            return error_response(422, "Give either what the caller says (text) or the keys "
                                  "they press (keypad).")
        version_id: int | None = None
        if body.source is not None:
            try:
                rules = await call(console.load, body.source)
            except RulesError as e:
                return error_response(422, "These rules are not valid.",
                                      problems=problems_json(e))
        else:
            chosen = await call(store().get, body.version) if body.version is not None else (
                await call(store().active, business))
            if chosen is None or chosen.business != business:
                return error_response(404, f"No version {body.version}.")
            rules, version_id = chosen.rules, chosen.id
        if body.menu and body.menu not in rules.menus:
            return error_response(422, f"No menu {body.menu!r} (menus: "
                                  f"{', '.join(sorted(rules.menus)) or 'none'}).")
        try:
            when = _when(body.time)
        except ValueError:
            return error_response(422, f"time {body.time!r}: expected ISO 8601 such as "
                                  "2025-06-10T02:00 (the business's local time) or "
                                  "2025-06-10T09:00:00+00:00.")
        understanding = console.understanding
        if body.text is not None and body.text != "" and understanding is None:
            assert console.find_understanding is not None
            understanding = await console.find_understanding(request)
        result = await call(
            dry_run, rules, understanding, when=when, language=body.language,
            text=body.text or None, keypad=body.keypad, menu=body.menu or None,
            caller=body.caller or None, record_tier=body.record_tier,
            failed_turns=body.failed_turns, sentiment=body.sentiment)
        return _ok({"version": version_id, **result})

    @router.get("/audit")
    async def audit(request: Request, limit: int = Query(100, ge=1, le=1000)) -> Response:
        if isinstance(refused := guard(request, False), JSONResponse):
            return refused
        rows = await call(store().audit, business, limit)
        return _ok({"audit": rows})

    return router
