"""IVR routing rules as validated data: the schema, and loading with errors that name the line.

A rules file (YAML) describes one business's call routing. Top-level keys:

``business``    name, kind (hotel|support), timezone (IANA), languages, default_language,
                business hours per weekday, holidays, default_queue, the entry keypad menu
``greetings``   language -> what the caller hears first (every listed language required)
``menus``       id -> keypad menu: prompt per language, options digit -> action, timeout,
                retries, on_timeout / on_no_match actions; an option may go to another menu
``intents``     overrides of the intents catalogue (config/data/intents.yaml) by name:
                threshold, action (+ task), extra example phrases per language
``tiers``       caller tiers (e.g. vip): phone numbers, or the customer record's tier
``tools``       the tools a route may use unless its rule says otherwise (absent: all)
``rules``       ordered; the first rule whose ``when`` holds decides ``then``
``queues``      name -> agents (E.164 numbers or sip: addresses), hours, timezone, transfer
                warm|cold, ring timeout (the field names of ``settings.QueueSettings``)
``escalation``  the thresholds of ``settings.EscalationSettings``

``load_rules`` validates types (pydantic) and then meaning: every queue, menu, intent, tier and
tool referenced exists, menus have no duplicate or prefix-overlapping digits and no cycle a
caller cannot leave, time zones exist, every language has its greeting and prompts, hours read
"HH:MM-HH:MM". Each problem names the field path and the YAML line:
``hotel.yaml line 42: rules[3].then.queue: unknown queue 'billing' (queues are: front_desk)``.

Tool names live in the dialog layer (config imports nothing of ours), so the caller passes them
in ``tools``; without it tool names are only checked for their form.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, time
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from config.intents import Action, IntentSet, load_intents
from config.settings import EscalationSettings, QueueSettings

__all__ = [
    "DAYS",
    "ROUTE_ACTIONS",
    "BusinessProfile",
    "CallerTier",
    "Escalation",
    "Holiday",
    "IntentOverride",
    "Menu",
    "Problem",
    "Queue",
    "RouteAction",
    "Rule",
    "Rules",
    "RulesError",
    "Then",
    "When",
    "bundled_rules_file",
    "load_rules",
    "parse_window",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What a route does: let the AI agent answer; run one tool; play a keypad menu; hand the caller
# to a queue; take a message; book a callback; end the call.
RouteAction = Literal["answer", "tool", "menu", "transfer", "take_message", "callback", "hangup"]
ROUTE_ACTIONS: tuple[RouteAction, ...] = (
    "answer", "tool", "menu", "transfer", "take_message", "callback", "hangup",
)

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


def _to_list(value: Any) -> Any:
    """A single name where a list is expected: ``intent: human`` -> ``[human]``."""
    return [value] if isinstance(value, str) else value


def _digits_text(value: Any) -> Any:
    # YAML reads an unquoted 1 as the integer 1.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                         "'America/New_York')") from None
    return value


def parse_window(text: str) -> tuple[time, time] | None:
    """"08:00-20:00" -> (08:00, 20:00); "closed" -> None; "24:00" ends at midnight (time.max)."""
    if text == "closed":
        return None
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(f"hours {text!r}: expected 'HH:MM-HH:MM' (e.g. '08:00-20:00') or "
                         "'closed'")
    start = time(int(match[1]), int(match[2]))
    end = time.max if match[3] == "24" else time(int(match[3]), int(match[4]))
    if match[3] == "24" and match[4] != "00":
        raise ValueError(f"hours {text!r}: 24:00 is the latest end")
    if end <= start:
        raise ValueError(f"hours {text!r}: the end must be after the start (same day)")
    return start, end


def _check_window(text: str) -> str:
    parse_window(text)
    return text


_NAME = r"^[a-z][a-z0-9_]{0,63}$"
_LANGUAGE = r"^[a-z]{2}$"
_DIGITS = r"^[0-9*#]{1,4}$"
_PHONE = r"^\+[1-9]\d{6,14}$"
_AGENT = r"^(\+[1-9]\d{6,14}|sips?:[^\s@]+@[^\s]+)$"
# What each pattern means, for error messages an admin can act on.
_PATTERNS = {
    _NAME: "a lower-case name (letters, digits and _, starting with a letter)",
    _LANGUAGE: "a two-letter language code such as 'en'",
    _DIGITS: "1 to 4 keypad keys (0-9, * or #)",
    _PHONE: "an E.164 phone number such as '+14155550123'",
    _AGENT: "an E.164 phone number ('+14155550123') or a SIP address ('sip:desk@pbx.example')",
}

Name = Annotated[str, StringConstraints(pattern=_NAME)]
Language = Annotated[str, StringConstraints(pattern=_LANGUAGE)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Digits = Annotated[str, BeforeValidator(_digits_text), StringConstraints(pattern=_DIGITS)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
Window = Annotated[str, AfterValidator(_check_window)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Opening hours per weekday in local time; a day not listed is closed; an empty map: always open.
Hours = dict[Day, Window]
Agent = Annotated[str, StringConstraints(pattern=_AGENT)]
PhoneNumber = Annotated[str, StringConstraints(pattern=_PHONE)]
Score = Annotated[float, Field(ge=0, le=1)]
Sentiment = Annotated[float, Field(ge=-1, le=1)]
Names = Annotated[list[Name], BeforeValidator(_to_list)]
Languages = Annotated[list[Language], BeforeValidator(_to_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holiday(_Strict):
    """A day the business is closed all day, in its own time zone."""

    date: date
    name: str = ""


class BusinessProfile(_Strict):
    name: Text
    kind: Literal["hotel", "support"]
    timezone: Timezone
    languages: Languages = Field(min_length=1)
    default_language: Language
    hours: Hours = Field(default_factory=dict)
    holidays: list[Holiday] = Field(default_factory=list)
    # Where a transfer goes when nothing names a queue (a caller asking for a person).
    default_queue: Name
    # The keypad menu played after the greeting; None: the caller speaks at once.
    menu: Name | None = None

    @field_validator("holidays", mode="before")
    @classmethod
    def _plain_dates(cls, value: Any) -> Any:
        # "- 2025-12-25" is a holiday without a name.
        if isinstance(value, list):
            return [{"date": item} if isinstance(item, date | str) else item for item in value]
        return value

    @field_validator("languages")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value


class Then(_Strict):
    """What a route does (a rule's ``then``, a menu option, a menu's timeout)."""

    action: RouteAction
    queue: Name | None = None  # transfer; take_message / callback: whose list it lands on
    priority: int = Field(default=0, ge=0, le=10)  # higher is served sooner
    menu: Name | None = None  # menu
    tool: Name | None = None  # tool
    question: Text | None = None  # answer: asked of the knowledge as if the caller said it
    say: dict[Language, Text] = Field(default_factory=dict)  # said first, per language
    tools: Names | None = None  # tools this route may use; None: the file's ``tools``

    @model_validator(mode="after")
    def _fields_fit_action(self) -> Then:
        needs = {"transfer": "queue", "menu": "menu", "tool": "tool"}
        field = needs.get(self.action)
        if field and getattr(self, field) is None:
            raise ValueError(f"action {self.action!r} needs '{field}'")
        allowed = {
            "queue": ("transfer", "take_message", "callback"),
            "menu": ("menu",),
            "tool": ("tool",),
            "question": ("answer",),
        }
        for name, actions in allowed.items():
            if getattr(self, name) is not None and self.action not in actions:
                raise ValueError(f"'{name}' does not apply to action {self.action!r}")
        return self


class When(_Strict):
    """Conditions, all of which must hold; an empty ``when`` matches every call."""

    intent: Names = Field(default_factory=list)  # any of these intents
    min_confidence: Score | None = None  # the intent's classifier confidence at least
    language: Languages = Field(default_factory=list)
    tier: Names = Field(default_factory=list)  # any of these caller tiers
    sentiment_below: Sentiment | None = None  # the caller's latest sentiment score, -1..1
    sentiment_above: Sentiment | None = None
    hours: Literal["open", "closed"] | None = None  # business hours (holidays are closed)
    holiday: bool | None = None
    failed_turns_at_least: int | None = Field(default=None, ge=1)
    menu: Name | None = None  # the caller is at this menu (with keypad: chose there)
    keypad: Digits | None = None  # the digits pressed

    def is_empty(self) -> bool:
        return self == When()


class Rule(_Strict):
    name: Name
    description: str = ""
    when: When = Field(default_factory=When)
    then: Then


class Menu(_Strict):
    prompt: dict[Language, Text]
    options: dict[Digits, Then] = Field(min_length=1)
    timeout_seconds: float = Field(default=6.0, ge=1, le=60)
    retries: int = Field(default=2, ge=0, le=5)  # the prompt is repeated this many times
    # After the retries, no key at all / only keys that are not options: by default the AI
    # agent takes over ("or just tell me what you need").
    on_timeout: Then = Field(default_factory=lambda: Then(action="answer"))
    on_no_match: Then = Field(default_factory=lambda: Then(action="answer"))

    @field_validator("options", mode="before")
    @classmethod
    def _digit_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_digits_text(key): option for key, option in value.items()}
        return value


class IntentOverride(_Strict):
    """This business's changes to one intent of the catalogue (not a copy of it)."""

    threshold: Score | None = None
    action: Action | None = None
    task: Name | None = None
    examples: dict[Language, list[Phrase]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _task_fits(self) -> IntentOverride:
        if self.action == "task" and self.task is None:
            raise ValueError("action 'task' needs 'task'")
        if self.task is not None and self.action != "task":
            raise ValueError("'task' needs action 'task'")
        if self.action == "counterweight":
            raise ValueError("an intent cannot be made a counterweight here")
        return self


class CallerTier(_Strict):
    """Callers of a tier: by the number they call from, or by their customer record's tier."""

    description: str = ""
    numbers: list[PhoneNumber] = Field(default_factory=list)
    record_tiers: list[Name] = Field(default_factory=list)  # e.g. "vip", "gold"


class Queue(_Strict):
    agents: list[Agent] = Field(min_length=1)  # tried in order
    transfer: Literal["warm", "cold"] = "warm"
    ring_timeout_seconds: int = Field(default=20, ge=5, le=120)
    hours: Hours = Field(default_factory=dict)  # empty: always staffed
    timezone: Timezone | None = None  # None: the business's


class Escalation(EscalationSettings):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rules(_Strict):
    business: BusinessProfile
    greetings: dict[Language, Text]
    menus: dict[Name, Menu] = Field(default_factory=dict)
    intents: dict[Name, IntentOverride] = Field(default_factory=dict)
    tiers: dict[Name, CallerTier] = Field(default_factory=dict)
    tools: Names | None = None
    rules: list[Rule] = Field(default_factory=list)
    queues: dict[Name, Queue] = Field(min_length=1)
    escalation: Escalation = Field(default_factory=Escalation)

    def tier_for(self, number: str | None, record_tier: str | None = None) -> str | None:
        """The first tier (file order) the caller's number or record's tier belongs to."""
        for name, tier in self.tiers.items():
            if (number and number in tier.numbers) or (
                    record_tier and record_tier.lower() in tier.record_tiers):
                return name
        return None

    def queue_timezone(self, name: str) -> str:
        return self.queues[name].timezone or self.business.timezone

    def queue_settings(self) -> dict[str, QueueSettings]:
        """The queues as ``Settings.queues`` holds them (for wiring the live transfer code)."""
        return {name: QueueSettings(agents=list(q.agents), transfer=q.transfer,
                                    ring_timeout_seconds=q.ring_timeout_seconds,
                                    hours=dict(q.hours), timezone=self.queue_timezone(name))
                for name, q in self.queues.items()}

    def intent_set(self, catalogue: IntentSet) -> IntentSet:
        """The catalogue with this file's intent overrides applied (for the classifier)."""
        data = catalogue.model_dump(mode="python")
        for intent in data["intents"]:
            override = self.intents.get(intent["name"])
            if override is None:
                continue
            if override.threshold is not None:
                intent["threshold"] = override.threshold
            if override.action is not None:
                intent["action"], intent["task"] = override.action, override.task
            for language, phrases in override.examples.items():
                intent["examples"][language] = [*intent["examples"].get(language, []),
                                                *phrases]
        return IntentSet.model_validate(data)


# -- problems and where they are ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rules file: where (field path, 1-based line) and what."""

    source: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source} line {self.line}" if self.line else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class RulesError(ValueError):
    """The rules file is unreadable or invalid; ``problems`` lists each one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


Loc = tuple[int | str, ...]


def _is_internal(part: int | str) -> bool:
    # pydantic adds "[key]" for dict keys and "function-after[...]" for validators.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _locate(root: yaml.Node | None, loc: Loc) -> tuple[str, int | None]:
    """A pydantic-style location -> ("rules[3].then.queue", 1-based line of the deepest node)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    text = ""
    for part in loc:
        if _is_internal(part):
            continue
        child, child_line = _child(node, part)
        if child is None and child_line is None:
            node = None
            if isinstance(part, int):
                continue  # "intent: human" read as [human]: the scalar is the place
        else:
            node, line = child, child_line
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text, line


def _child(node: yaml.Node | None, part: int | str) -> tuple[yaml.Node | None, int | None]:
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            item = node.value[part]
            return item, item.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value, key.start_mark.line + 1
    return None, None


def _duplicate_keys(node: yaml.Node, loc: Loc = ()) -> Iterator[tuple[Loc, int, str]]:
    """YAML keeps the last of two equal keys silently; a rules file may not have them."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            line = key.start_mark.line + 1
            if name in seen:
                yield (*loc, name), line, f"duplicate key {name!r} (first on line {seen[name]})"
            seen.setdefault(name, line)
            yield from _duplicate_keys(value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i))


# -- meaning -------------------------------------------------------------------------------------


def _choices(kind: str, name: str, known: Collection[str]) -> str:
    listed = ", ".join(sorted(known)) or "none"
    return f"unknown {kind} {name!r} ({kind}s are: {listed})"


def _missing_languages(texts: Mapping[str, str], rules: Rules) -> str | None:
    wanted = rules.business.languages
    missing = [lang for lang in wanted if lang not in texts]
    extra = [lang for lang in texts if lang not in wanted]
    if missing:
        return f"missing language {', '.join(missing)} (languages are: {', '.join(wanted)})"
    if extra:
        return f"language {', '.join(extra)} is not among the business's ({', '.join(wanted)})"
    return None


class _Checker:
    def __init__(self, rules: Rules, catalogue: IntentSet,
                 tools: Mapping[str, Collection[str]] | None) -> None:
        self.rules = rules
        self.intents = {i.name for i in catalogue.for_business(rules.business.kind)}
        self.tools = None if tools is None else set(tools.get(rules.business.kind, ()))
        self.problems: list[tuple[Loc, str]] = []

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append((loc, message))

    def run(self) -> list[tuple[Loc, str]]:
        r = self.rules
        b = r.business
        if b.default_language not in b.languages:
            self.add(("business", "default_language"),
                     f"{b.default_language!r} is not among languages ({', '.join(b.languages)})")
        self.queue(("business", "default_queue"), b.default_queue)
        if b.menu is not None:
            self.menu(("business", "menu"), b.menu)
        self.languages(("greetings",), r.greetings)
        for name, override in r.intents.items():
            if name not in self.intents:
                self.add(("intents", name), _choices("intent", name, self.intents))
            for language in override.examples:
                if language not in b.languages:
                    self.add(("intents", name, "examples", language),
                             f"language {language!r} is not among the business's")
        for name, tier in r.tiers.items():
            if not tier.numbers and not tier.record_tiers:
                self.add(("tiers", name), "a tier needs numbers or record_tiers")
        for i, tool in enumerate(r.tools or ()):
            self.tool(("tools", i), tool)
        self.check_menus()
        self.check_rules()
        return self.problems

    def languages(self, loc: Loc, texts: Mapping[str, str]) -> None:
        problem = _missing_languages(texts, self.rules)
        if problem:
            self.add(loc, problem)

    def queue(self, loc: Loc, name: str) -> None:
        if name not in self.rules.queues:
            self.add(loc, _choices("queue", name, self.rules.queues))

    def menu(self, loc: Loc, name: str) -> None:
        if name not in self.rules.menus:
            self.add(loc, _choices("menu", name, self.rules.menus))

    def tool(self, loc: Loc, name: str) -> None:
        if self.tools is not None and name not in self.tools:
            self.add(loc, f"unknown tool {name!r} for a {self.rules.business.kind} business "
                          f"(tools are: {', '.join(sorted(self.tools))})")

    def then(self, loc: Loc, then: Then) -> None:
        if then.queue is not None:
            self.queue((*loc, "queue"), then.queue)
        if then.menu is not None:
            self.menu((*loc, "menu"), then.menu)
        if then.tool is not None:
            self.tool((*loc, "tool"), then.tool)
        for i, tool in enumerate(then.tools or ()):
            self.tool((*loc, "tools", i), tool)
        if then.say:
            self.languages((*loc, "say"), then.say)

    def check_menus(self) -> None:
        for name, menu in self.rules.menus.items():
            loc: Loc = ("menus", name)
            self.languages((*loc, "prompt"), menu.prompt)
            digits = sorted(menu.options)
            for digit in digits:
                self.then((*loc, "options", digit), menu.options[digit])
                for other in digits:
                    if other != digit and other.startswith(digit):
                        self.add((*loc, "options", other), f"digits {other!r} overlap option "
                                 f"{digit!r} (a caller pressing {digit!r} is taken at once)")
            self.then((*loc, "on_timeout"), menu.on_timeout)
            self.then((*loc, "on_no_match"), menu.on_no_match)
        for loc, message in _menu_traps(self.rules.menus):
            self.add(loc, message)

    def check_rules(self) -> None:
        r = self.rules
        seen: dict[str, int] = {}
        catch_all: str | None = None
        for i, rule in enumerate(r.rules):
            loc: Loc = ("rules", i)
            if rule.name in seen:
                self.add((*loc, "name"), f"duplicate rule name {rule.name!r} "
                                         f"(also rules[{seen[rule.name]}])")
            seen.setdefault(rule.name, i)
            if catch_all is not None:
                self.add(loc, f"never reached: rule {catch_all!r} before it matches every call")
            w = rule.when
            for j, intent in enumerate(w.intent):
                if intent not in self.intents:
                    self.add((*loc, "when", "intent", j), _choices("intent", intent, self.intents))
            for j, language in enumerate(w.language):
                if language not in r.business.languages:
                    self.add((*loc, "when", "language", j), _choices(
                        "language", language, r.business.languages))
            for j, tier in enumerate(w.tier):
                if tier not in r.tiers:
                    self.add((*loc, "when", "tier", j), _choices("tier", tier, r.tiers))
            if w.menu is not None:
                self.menu((*loc, "when", "menu"), w.menu)
            if w.min_confidence is not None and not w.intent:
                self.add((*loc, "when", "min_confidence"), "min_confidence needs an intent")
            if (w.sentiment_below is not None and w.sentiment_above is not None
                    and w.sentiment_below <= w.sentiment_above):
                self.add((*loc, "when"), "sentiment_below must be above sentiment_above "
                                         "(no score is both)")
            self.then((*loc, "then"), rule.then)
            if w.is_empty() and catch_all is None:
                catch_all = rule.name


def _menu_traps(menus: Mapping[str, Menu]) -> Iterator[tuple[Loc, str]]:
    """Menus a caller cannot leave: no path out, or a silent caller going round for ever."""
    def targets(menu: Menu) -> list[Then]:
        return [*menu.options.values(), menu.on_timeout, menu.on_no_match]

    leaves = {name for name, m in menus.items()
              if any(t.action != "menu" for t in targets(m))}
    changed = True
    while changed:  # a menu leading to a menu that can be left can be left
        changed = False
        for name, m in menus.items():
            if name not in leaves and any(t.menu in leaves for t in targets(m)):
                leaves.add(name)
                changed = True
    for name in menus:
        if name not in leaves:
            yield ("menus", name), "menu cycle traps callers: no option ever leaves these menus"
    for event in ("on_timeout", "on_no_match"):
        for name in menus:
            chain, current = [name], menus[name]
            while getattr(current, event).action == "menu":
                nxt = getattr(current, event).menu
                if nxt not in menus:
                    break
                if nxt in chain:
                    if nxt == name:  # report each cycle once, at its first menu in file order
                        if min(chain, key=list(menus).index) == name:
                            yield ("menus", name, event), (
                                f"menu cycle traps callers: {' -> '.join([*chain, nxt])} "
                                f"({event} goes round for ever)")
                    break
                chain.append(nxt)
                current = menus[nxt]


# -- loading -------------------------------------------------------------------------------------


def bundled_rules_file(business: str) -> Path:
    """The example rules shipped for a sample business (config/data/rules/<business>.yaml)."""
    return Path(str(files("config") / "data" / "rules" / f"{business}.yaml"))


def load_rules(
    source: Path | str,
    *,
    catalogue: IntentSet | None = None,
    tools: Mapping[str, Collection[str]] | None = None,
    name: str | None = None,
) -> Rules:
    """Read and validate a rules file (a ``Path``) or its text (a ``str``).

    ``catalogue``: the intents rules may name (None: the bundled intents file). ``tools``:
    business kind -> the tool names that exist (None: tool names are not checked). ``name``:
    how messages call the source (default: the file's name, or "rules").
    Raises ``RulesError`` listing every problem found.
    """
    if isinstance(source, Path):
        where = name or source.name
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise RulesError([Problem(where, "", None, f"cannot read: {e}")]) from e
    else:
        where, text = name or "rules", source
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RulesError([Problem(where, "", line, f"not valid YAML: {e.problem}")]) from None
    except yaml.YAMLError as e:
        raise RulesError([Problem(where, "", None, f"not valid YAML: {e}")]) from None

    def problem(loc: Loc, message: str) -> Problem:
        path, line = _locate(root, loc)
        return Problem(where, path, line, message)

    if not isinstance(data, dict):
        kind = "an empty file" if data is None else type(data).__name__
        raise RulesError([problem((), f"expected a mapping with 'business', 'queues', ... "
                                      f"got {kind}")])
    duplicates = list(_duplicate_keys(root)) if root is not None else []
    if duplicates:
        raise RulesError([Problem(where, _locate(root, loc)[0], line, message)
                          for loc, line, message in duplicates])
    try:
        rules = Rules.model_validate(data)
    except ValidationError as e:
        raise RulesError([problem(tuple(err["loc"]), _message(err))
                          for err in e.errors()]) from None
    catalogue = catalogue if catalogue is not None else load_intents()
    issues = _Checker(rules, catalogue, tools).run()
    if issues:
        raise RulesError([problem(loc, message) for loc, message in issues])
    return rules


def _message(error: Any) -> str:
    message = str(error["msg"])
    # "Value error, unknown time zone ..." -> "unknown time zone ..."
    message = message.removeprefix("Value error, ")
    if error["type"] == "missing":
        return "required"
    if error["type"] == "extra_forbidden":
        return "not a known field (misspelt?)"
    got = error.get("input")
    if error["type"] == "string_pattern_mismatch":
        wanted = _PATTERNS.get(error.get("ctx", {}).get("pattern", ""), "another form")
        return f"{got!r} is not {wanted}"
    if error["type"] in ("model_type", "dict_type"):
        return f"expected a mapping (got {type(got).__name__})"
    if error["type"] == "list_type":
        return f"expected a list (got {type(got).__name__})"
    if error["type"].endswith(("_type", "_parsing")) and not isinstance(got, dict | list):
        return f"{message} (got {got!r})"
    return message

