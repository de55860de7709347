"""What a business pack must hold across its files (pure: the parsed files in, problems out).

Each problem is (file, field location, message); ``config.pack.load`` turns the location into
the YAML line.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from config.intents import IntentDef
from config.pack.schema import PackTasks
from config.rules.locate import Loc
from config.settings import HttpToolSettings

__all__ = ["Issue", "check_pack"]

Issue = tuple[str, Loc, str]  # file name, location in it, message


def _listed(names: Collection[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def check_pack(*, languages: list[str], tools: list[HttpToolSettings], tasks: PackTasks,
               intents: list[IntentDef], environ: Mapping[str, str],
               other_tasks: Collection[str] = ()) -> list[Issue]:
    """``other_tasks``: tasks the pack's intents may start beside its own (a demonstration
    backend's)."""
    return [*_tool_issues(tools, environ), *_task_issues(tasks, tools, languages),
            *_intent_issues(intents, tasks, other_tasks)]


def _tool_issues(tools: list[HttpToolSettings], environ: Mapping[str, str]) -> Iterator[Issue]:
    by_name = {t.name: t for t in tools}
    seen: set[str] = set()
    for i, tool in enumerate(tools):
        if tool.name in seen:
            yield "tools.yaml", ("tools", i, "name"), f"a second tool named {tool.name!r}"
        seen.add(tool.name)
        if tool.owner_from:
            source = by_name.get(tool.owner_from)
            if source is None:
                yield "tools.yaml", ("tools", i, "owner_from"), \
                    f"unknown tool {tool.owner_from!r} (tools are: {_listed(by_name)})"
            elif not source.owner_field:
                yield "tools.yaml", ("tools", i, "owner_from"), \
                    f"tool {tool.owner_from!r} has no owner_field to tell whose record it is"
        if tool.tier != "read" and not (tool.owner_from or tool.owner_field):
            yield "tools.yaml", ("tools", i, "tier"), \
                "a tool that changes records needs owner_from or owner_field, so that a " \
                "caller can change only their own"
        if tool.auth_env and not environ.get(tool.auth_env):
            yield "tools.yaml", ("tools", i, "auth_env"), \
                f"environment variable {tool.auth_env} is not set"


def _task_issues(tasks: PackTasks, tools: list[HttpToolSettings],
                 languages: list[str]) -> Iterator[Issue]:
    by_name = {t.name: t for t in tools}
    file = "tasks.yaml"

    def tool(loc: Loc, name: str, role: str = "") -> Iterator[Issue]:
        found = by_name.get(name)
        if found is None:
            yield file, loc, f"unknown tool {name!r} (tools are: {_listed(by_name)})"
        elif role and not getattr(found, role):
            yield file, loc, f"tool {name!r} does not declare '{role}' in tools.yaml"

    def slot(loc: Loc, name: str) -> Iterator[Issue]:
        if name not in tasks.slots:
            yield file, loc, f"unknown slot {name!r} (slots are: {_listed(tasks.slots)})"

    identity = tasks.identity
    if identity is not None:
        if identity.lookup is not None:
            yield from tool(("identity", "lookup"), identity.lookup, "identifies")
        yield from tool(("identity", "verify"), identity.verify, "verifies")
        yield from slot(("identity", "check"), identity.check)
        yield from _lines(file, ("identity", "say"), identity.say.model_dump(), languages)
    for name, defn in tasks.slots.items():
        yield from _lines(file, ("slots", name), {"ask": defn.ask, "again": defn.again},
                          languages)
    for name, task in tasks.tasks.items():
        loc: Loc = ("tasks", name)
        yield from tool((*loc, "tool"), task.tool)
        for i, wanted in enumerate(task.collect):
            yield from slot((*loc, "collect", i), wanted)
        if task.retry is not None and task.retry not in task.collect:
            yield file, (*loc, "retry"), f"{task.retry!r} is not a slot this task collects"
        if task.verify and identity is None:
            yield file, (*loc, "verify"), "verifying the caller needs an 'identity' section"
        spec = by_name.get(task.tool)
        if spec is not None and not task.verify and (spec.tier != "read" or spec.needs_verified):
            yield file, (*loc, "verify"), f"tool {task.tool!r} needs a verified caller"
        declared = set((spec.parameters.get("properties") or {}) if spec else ())
        for arg, template in task.args.items():
            if spec is not None and arg not in declared:
                yield file, (*loc, "args", arg), \
                    f"tool {task.tool!r} takes no argument {arg!r} (it takes: {_listed(declared)})"
            for problem in _placeholders(template, {*task.collect, "request"}):
                yield file, (*loc, "args", arg), problem
        yield from _lines(file, (*loc, "say"), task.say.model_dump(), languages)


def _lines(file: str, loc: Loc, groups: dict[str, Any], languages: list[str]) -> Iterator[Issue]:
    """Every language the business speaks in each non-empty group of lines, and templates
    ``str.format`` can read."""
    for key, lines in groups.items():
        if not lines:
            continue
        missing = [lang for lang in languages if lang not in lines]
        if missing:
            yield file, (*loc, key), f"no line in {', '.join(missing)} (the business speaks " \
                f"{', '.join(languages)})"
        for lang, text in lines.items():
            for problem in _placeholders(text, None):
                yield file, (*loc, key, lang), problem


def _placeholders(template: str, allowed: Collection[str] | None) -> Iterator[str]:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as e:
        yield f"not a template: {e} (write {{{{ and }}}} for a brace)"
        return
    for name in names:
        if not name.isidentifier():
            yield f"{{{name}}} is not a name"
        elif allowed is not None and name not in allowed:
            yield f"{{{name}}} is not a value of this task (it has: {_listed(allowed)})"


def _intent_issues(intents: list[IntentDef], tasks: PackTasks,
                   other_tasks: Collection[str]) -> Iterator[Issue]:
    started = set()
    for i, intent in enumerate(intents):
        if intent.businesses:
            yield "intents.yaml", ("intents", i, "businesses"), \
                "a pack's intents are its own: leave 'businesses' out"
        if intent.action == "task" and intent.task is not None:
            started.add(intent.task)
            if intent.task not in tasks.tasks and intent.task not in other_tasks:
                yield "intents.yaml", ("intents", i, "task"), \
                    f"unknown task {intent.task!r} (tasks are: " \
                    f"{_listed({*tasks.tasks, *other_tasks})})"
    for name in tasks.tasks:
        if name not in started:
            yield "tasks.yaml", ("tasks", name), "no intent in intents.yaml starts this task"
