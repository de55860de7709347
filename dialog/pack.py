"""A business pack (``config.pack``) in the dialog: its tasks for the embedded engine, its lines,
and the checks only the dialog can make (its phrase overrides name stock lines).

A pack's task is data: the slots to ask for (each read by a parser named in ``PARSERS``), the
identity check before it, the tool to call, and a line per outcome and language. They become the
same ``Task``, ``Slot`` and ``Identity`` the samples' Python declares, run by the same
``dialog.embedded.tasks.Tasks`` under the same governance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from config.intents import IntentSet
from config.pack import BusinessPack, PackError, load_pack
from config.pack.schema import IdentityDef, SlotDef, TaskDef
from config.rules.load import read_yaml
from config.rules.locate import Problem, RulesError, locate
from dialog.business import TASKS, demo_backends
from dialog.embedded import slots
from dialog.embedded.tasks import Identity, Slot, Task, Tasks, found
from dialog.phrases.format import on_date, spoken_digits
from dialog.phrases.lines import fill
from dialog.phrases.say import placeholders, templates
from dialog.routing.evaluate import BUILTIN_TOOLS
from dialog.state import CallState
from dialog.tools.spec import ToolOutcome
from dialog.types import Reply, Transfer

__all__ = ["load_business", "pack_lines", "pack_tasks"]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Parse = Callable[[str, str], "str | None"]


def load_business(folder: Path, *, environ: Mapping[str, str] | None = None,
                  catalogue: IntentSet | None = None, demo: bool = False) -> BusinessPack:
    """The pack in ``folder``, checked whole; ``PackError`` lists each problem with its file
    and line. ``demo``: demo mode, where a pack may run on a demonstration backend."""
    problems = list(_phrase_problems(folder))
    try:
        pack = load_pack(folder, builtin_tools=BUILTIN_TOOLS, environ=environ,
                         catalogue=catalogue, demos=demo_backends(), demo_mode=demo)
    except PackError as e:
        raise PackError([*e.problems, *problems]) from None
    if problems:
        raise PackError(problems)
    return pack


def _phrase_problems(folder: Path) -> Iterator[Problem]:
    """Lines in phrases/<language>.yaml that are no stock line, or fill in a value the stock
    line has not (the rest of each file is checked by ``load_pack``)."""
    stock = templates("en")
    for path in sorted((folder / "phrases").glob("*.yaml")):
        try:
            root, data = read_yaml(path, str(path))
        except RulesError:
            continue  # reported by load_pack
        for key, text in (data or {}).items() if isinstance(data, dict) else ():
            where, line = locate(root, (key,))
            if key not in stock:
                yield Problem(str(path), where, line, "not a stock line (they are in "
                              "dialog/phrases/data/en.yaml)")
            elif isinstance(text, str) and (extra := placeholders(text)
                                            - placeholders(stock[key])):
                yield Problem(str(path), where, line, f"this line has no value "
                              f"{', '.join(sorted(extra))}")


# -- the tasks --------------------------------------------------------------------------------

def _parser(defn: SlotDef) -> Parse:
    kind = defn.parse
    if kind == "number":
        size = defn.digits
        return lambda text, lang: slots.parse_digits(text, lang, min_len=size, max_len=size)
    if kind == "postal_code":
        return slots.parse_postal_code
    if kind == "date":
        def day(text: str, lang: str) -> str | None:
            value = slots.parse_date(text, lang, date.today())
            return None if value is None else value.isoformat()
        return day
    if kind == "time":
        def at(text: str, lang: str) -> str | None:
            value = slots.parse_time(text, lang)
            return None if value is None else value.strftime("%H:%M")
        return at
    if kind == "yes_no":
        def answer(text: str, lang: str) -> str | None:
            value = slots.parse_yes_no(text, lang)
            return None if value is None else ("yes" if value else "no")
        return answer
    if kind == "amount":
        def amount(text: str, lang: str) -> str | None:
            value = slots.parse_amount(text, lang)
            return None if value is None else str(value)
        return amount
    if kind == "name":
        return slots.parse_name
    if kind == "phone":
        return slots.parse_phone
    return lambda text, lang: text.strip() or None


def _slot(name: str, defn: SlotDef) -> Slot:
    digits = defn.digits or (5 if defn.parse == "postal_code" else 0)
    return Slot(name, f"slot:{name}", _parser(defn), keypad=defn.keypad, digits=digits,
                optional=defn.optional, again=f"slot:{name}:again" if defn.again else "",
                private=defn.private)


def _values(run: Tasks, outcome: ToolOutcome, numbers: frozenset[str]) -> dict[str, str]:
    """What a line may say: the values the caller gave and the fields of the response."""
    language = run.state.language
    body = (outcome.result or {}).get("body")
    given = {k: spoken_digits(v) if k in numbers else v
             for k, v in run.progress.values.items()}
    fields = {k: v for k, v in (body if isinstance(body, dict) else {}).items()
              if isinstance(v, str | int | float) and not isinstance(v, bool)}
    fields.setdefault("message", str((outcome.result or {}).get("message", "")))
    out = {}
    for key, value in {**given, **fields}.items():
        text = str(value)
        out[key] = on_date(text, date.today(), language) if _ISO_DATE.match(text) else text
    return out


def _describer(name: str, task: TaskDef, identity: IdentityDef | None,
               numbers: frozenset[str]) -> Callable[[Tasks, ToolOutcome], str | None]:
    def describe(run: Tasks, outcome: ToolOutcome) -> str | None:
        if outcome.reason in ("timeout", "error", "needs_human"):
            return None  # the stock sentences: the system is down, a person is needed
        values = _values(run, outcome, numbers)
        if identity is not None and outcome.name == identity.verify:
            key = "verified" if run.state.verified else "not_verified"
            return run.line(f"identity:{key}", **values)
        if identity is not None and outcome.name == identity.lookup:
            return run.line("identity:no_account", **values) \
                if identity.say.no_account and run.state.candidate_id is None else None
        if outcome.name != task.tool:
            return None
        if not found(outcome):
            key = "not_found" if task.say.not_found else ""
        elif outcome.reason == "refused_by_business":
            key = "refused" if task.say.refused else ""
        else:
            key = "done"
        return run.line(f"task:{name}:{key}", **values) if key else None
    return describe


def _identify(identity: IdentityDef, check: Slot):
    argument = identity.argument or identity.check

    async def verify(run: Tasks, score: float) -> Reply | None:
        state = run.state
        if identity.lookup is not None and state.candidate_id is None:
            lookup = await run.call(identity.lookup, {})
            if state.candidate_id is None:
                said = run.describe(lookup)
                run.drop()
                return run.reply(f"{said} {run.connecting}", score,
                                 Transfer(run.queue, "customer_not_found"))
        return await run.verify(check, identity.verify, lambda value: {argument: value}, score)
    return verify


def _not_found(retry: Slot | None):
    def ask_again(run: Tasks, outcome: ToolOutcome, score: float) -> Reply:
        said = run.describe(outcome)
        if retry is None:
            return run.finish(said, score)
        run.progress.values.pop(retry.name, None)
        return run.missed(retry, said, reason=f"{run.state.task}_not_found")
    return ask_again


def _args(task: TaskDef) -> Callable[[CallState], dict[str, Any]]:
    def args(state: CallState) -> dict[str, Any]:
        values = {**state.progress.values, "request": state.progress.request}
        return {name: fill(template, values) for name, template in task.args.items()}
    return args


def pack_tasks(pack: BusinessPack) -> dict[str, Task]:
    """The pack's tasks, by name (what its intents' ``task`` names); on a demonstration
    backend, the samples' tasks too."""
    declared = pack.tasks
    made = {name: _slot(name, defn) for name, defn in declared.slots.items()}
    numbers = frozenset(name for name, defn in declared.slots.items()
                        if defn.parse in ("number", "postal_code"))
    identity = None
    if declared.identity is not None:
        check = made[declared.identity.check]
        identity = Identity(_identify(declared.identity, check), (check,))
    tasks = dict(TASKS) if pack.demo is not None else {}
    for name, task in declared.tasks.items():
        needs = tuple(made[slot] for slot in task.collect)
        retry = made[task.retry] if task.retry else (needs[0] if needs else None)
        tasks[name] = Task(task.tool, _args(task), needs,
                           identity=identity if task.verify else None,
                           not_found=_not_found(retry),
                           describe=_describer(name, task, declared.identity, numbers))
    return tasks


def pack_lines(pack: BusinessPack) -> dict[str, dict[str, str]]:
    """Every line the pack says, as key -> language -> template (``dialog.phrases.Lines``'s
    own): its tasks' and its overrides of stock lines."""
    lines: dict[str, dict[str, str]] = {}
    for language, table in pack.phrases.items():
        for key, text in table.items():
            lines.setdefault(key, {})[language] = text
    declared = pack.tasks
    for name, slot in declared.slots.items():
        lines[f"slot:{name}"] = dict(slot.ask)
        if slot.again:
            lines[f"slot:{name}:again"] = dict(slot.again)
    if declared.identity is not None:
        for key, said in declared.identity.say.model_dump().items():
            if said:
                lines[f"identity:{key}"] = said
    for name, task in declared.tasks.items():
        for key, said in task.say.model_dump().items():
            if said:
                lines[f"task:{name}:{key}"] = said
    return lines
