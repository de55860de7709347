"""Loading a business pack: read every file, validate each and then all of them together, and
raise ``PackError`` listing every problem with its file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from config.intents import IntentSet, load_intents
from config.languages import SPOKEN
from config.pack.checks import check_pack
from config.pack.schema import PackIntents, PackTasks, PackTools
from config.rules.load import load_rules, read_yaml, validation_message
from config.rules.locate import Loc, Problem, RulesError, duplicate_keys, locate
from config.rules.schema import Rules
from config.settings import HttpToolSettings, pack_profile

__all__ = ["PACK_FILES", "BusinessPack", "DemoBackend", "PackError", "load_pack"]

# The files of a pack; only business.yaml is required.
PACK_FILES = ("business.yaml", "intents.yaml", "tools.yaml", "tasks.yaml")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_UNSET = "http://unset.invalid"  # what a variable that is not set reads as
M = TypeVar("M", bound=BaseModel)


class PackError(RulesError):
    """The pack cannot run; ``problems`` names the file and line of each."""


@dataclass(frozen=True)
class DemoBackend:
    """What a demonstration backend (``tools.yaml``'s ``demo``) brings: its tools and tasks."""

    tools: frozenset[str]
    tasks: frozenset[str]


@dataclass(frozen=True)
class BusinessPack:
    folder: Path
    rules: Rules  # business.yaml: the profile, queues, menus and routing rules
    rules_text: str  # as written, the first version of the routing rules
    catalogue: IntentSet  # the shared intents and the pack's own
    tools: tuple[HttpToolSettings, ...]
    tasks: PackTasks
    phrases: Mapping[str, Mapping[str, str]]  # language -> phrase key -> template
    knowledge: tuple[Path, ...]  # the documents callers are answered from
    demo: str | None = None  # the demonstration backend it runs on (``PackTools.demo``)

    @property
    def kind(self) -> str:
        return self.rules.business.kind


class _Files:
    """The problems found so far, with the file and line of each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.roots: dict[str, yaml.Node | None] = {}
        self.problems: list[Problem] = []

    def where(self, name: str) -> str:
        return str(self.folder / name)

    def add(self, name: str, loc: Loc, message: str) -> None:
        path, line = locate(self.roots.get(name), loc)
        self.problems.append(Problem(self.where(name), path, line, message))

    def read(self, name: str, model: type[M], environ: Mapping[str, str]) -> M | None:
        """A file as ``model``; absent: the model's defaults; None when it has problems."""
        path = self.folder / name
        if not path.exists():
            return model()
        try:
            root, data = read_yaml(path, self.where(name))
        except RulesError as e:
            self.problems.extend(e.problems)
            return None
        self.roots[name] = root
        before = len(self.problems)
        for loc, line, message in duplicate_keys(root) if root is not None else ():
            self.problems.append(Problem(self.where(name), locate(root, loc)[0], line, message))
        if data is None:
            data = {}
        data = self._expand(name, data, (), environ)
        try:
            parsed = model.model_validate(data)
        except ValidationError as e:
            for err in e.errors():
                self.add(name, tuple(err["loc"]), validation_message(err))
            return None
        return parsed if len(self.problems) == before else None

    def _expand(self, name: str, data: Any, loc: Loc, environ: Mapping[str, str]) -> Any:
        """``${NAME}`` in a value: the environment variable (a backend's address differs per
        deployment). One that is not set is a problem, and reads as an address that cannot
        be reached (so nothing else is reported of the same value)."""
        if isinstance(data, dict):
            return {k: self._expand(name, v, (*loc, k), environ) for k, v in data.items()}
        if isinstance(data, list):
            return [self._expand(name, v, (*loc, i), environ) for i, v in enumerate(data)]
        if not isinstance(data, str):
            return data

        def value(match: re.Match[str]) -> str:
            found = environ.get(match.group(1))
            if found is None:
                self.add(name, loc, f"environment variable {match.group(1)} is not set")
                return _UNSET
            return found
        return _ENV.sub(value, data)


def load_pack(folder: Path, *, builtin_tools: Collection[str] = (),
              environ: Mapping[str, str] | None = None,
              catalogue: IntentSet | None = None,
              demos: Mapping[str, DemoBackend] | None = None,
              demo_mode: bool = False) -> BusinessPack:
    """Read and validate the pack in ``folder``. ``builtin_tools``: the tools every business
    has, which routes may name too; ``catalogue``: the shared intents (None: the bundled ones);
    ``demos``: the demonstration backends a pack may run on, only when ``demo_mode``.
    Raises ``PackError`` listing every problem found."""
    environ = os.environ if environ is None else environ
    files = _Files(folder)
    if not (folder / "business.yaml").is_file():
        raise PackError([Problem(str(folder), "", None, "not a business pack: no business.yaml "
                                 "(frontdesk init writes one)")])
    tools = files.read("tools.yaml", PackTools, environ)
    tasks = files.read("tasks.yaml", PackTasks, environ)
    intents = files.read("intents.yaml", PackIntents, environ)
    rules_text = (folder / "business.yaml").read_text(encoding="utf-8")
    try:
        kind: str | None = pack_profile(folder)[0]
    except ValueError:
        kind = None  # business.yaml's own problems are reported by load_rules below
    catalogue = catalogue if catalogue is not None else load_intents()
    merged = catalogue
    if intents is not None and kind is not None:
        try:
            merged = catalogue.with_business(kind, list(intents.intents))
        except ValidationError as e:
            for err in e.errors():
                files.add("intents.yaml", (), validation_message(err))
    backend = _demo_backend(files, tools, kind, demos or {}, demo_mode)
    tool_names = {*builtin_tools, *(t.name for t in (tools.tools if tools else ())),
                  *backend.tools}
    rules = None
    try:
        rules = load_rules(folder / "business.yaml", catalogue=merged,
                           tools={kind: tool_names} if kind and tools else None,
                           name=files.where("business.yaml"))
    except RulesError as e:
        files.problems.extend(e.problems)
    if rules is not None and tools is not None and tasks is not None and intents is not None:
        for name, loc, message in check_pack(
                languages=list(rules.business.languages), tools=list(tools.tools), tasks=tasks,
                intents=list(intents.intents), environ=environ,
                other_tasks=backend.tasks):
            files.add(name, loc, message)
    phrases = _phrases(files, rules, environ)
    if files.problems:
        raise PackError(files.problems)
    assert rules is not None and tools is not None and tasks is not None
    knowledge = folder / "knowledge"
    return BusinessPack(
        folder=folder, rules=rules, rules_text=rules_text, catalogue=merged,
        tools=tuple(t.model_copy(update={"businesses": [rules.business.kind]})
                    for t in tools.tools),
        tasks=tasks, phrases=phrases,
        knowledge=(knowledge,) if knowledge.is_dir() else (), demo=tools.demo)


def _demo_backend(files: _Files, tools: PackTools | None, kind: str | None,
                  demos: Mapping[str, DemoBackend], demo_mode: bool) -> DemoBackend:
    """The demonstration backend ``tools.yaml`` names (none: one with nothing), checked: it
    exists, serves the pack's kind, and runs only in demo mode, so that sample customers
    never land in a live business's database."""
    name = tools.demo if tools is not None else None
    if name is None:
        return DemoBackend(frozenset(), frozenset())
    backend = demos.get(name)
    if backend is None:
        files.add("tools.yaml", ("demo",), f"no demonstration backend {name!r} (there are: "
                  f"{', '.join(sorted(demos)) or 'none'})")
        return DemoBackend(frozenset(), frozenset())
    if kind is not None and kind != name:
        files.add("tools.yaml", ("demo",), f"the {name} demonstration backend serves the "
                  f"business kind {name!r}, and business.yaml's kind is {kind!r}")
    if not demo_mode:
        files.add("tools.yaml", ("demo",), f"the {name} demonstration backend (sample "
                  f"customers, seeded into the database) runs only in demo mode (serve --demo, "
                  f"or FRONTDESK_DEMO=true); to go live, declare your own systems' tools "
                  f"here instead")
    return backend


class _Phrases(BaseModel):
    model_config = {"extra": "allow"}


def _phrases(files: _Files, rules: Rules | None,
             environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """phrases/<language>.yaml: ``key: template`` overriding the stock lines
    (``dialog.phrases``; the dialog checks the keys)."""
    out: dict[str, dict[str, str]] = {}
    folder = files.folder / "phrases"
    if not folder.is_dir():
        return out
    spoken = list(rules.business.languages) if rules is not None else list(SPOKEN)
    for path in sorted(folder.glob("*.yaml")):
        name = f"phrases/{path.name}"
        if path.stem not in spoken:
            files.problems.append(Problem(files.where(name), "", None,
                                          f"{path.stem!r} is not a language the business "
                                          f"speaks ({', '.join(spoken)})"))
            continue
        parsed = files.read(name, _Phrases, environ)
        if parsed is None:
            continue
        table: dict[str, Any] = dict(parsed.model_extra or {})
        for key, text in table.items():
            if not isinstance(text, str) or not text.strip():
                files.add(name, (key,), "expected a line of text")
        out[path.stem] = {k: v for k, v in table.items() if isinstance(v, str)}
    return out
