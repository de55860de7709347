"""Intents as configuration: what callers ask for, with example phrases per language.

The intents file (YAML, read with ``yaml.safe_load``) lists each intent with a description, the
businesses it applies to, example phrases and short keywords per language, and the action the
dialog takes when it is recognised. ``load_intents`` validates it completely: a bad file stops the
server at start-up with a message naming the file, the intent and the field, e.g.
``intents.yaml: intents[3] (check_in).examples: ...``.

This module only describes and validates the data; ``dialog.understanding.classifier`` embeds the
examples and classifies utterances.

At ~315 lines, most of it is the file's schema and the error messages that name the field.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

__all__ = [
    "ACTIONS",
    "BUSINESSES",
    "Action",
    "Business",
    "IntentDef",
    "IntentSet",
    "IntentsError",
    "KeypadTopic",
    "bundled_intents_file",
    "load_intents",
    "normalise",
    "sample_intents",
    "sample_pack",
]

_NAME = r"^[a-z][a-z0-9_]{0,63}$"
# A business kind: the two samples', or a business pack's (``config.pack``).
Business = Annotated[str, StringConstraints(pattern=_NAME)]
BUSINESSES: tuple[str, ...] = ("hotel", "support")  # the sample businesses

# What the dialog does with a recognised intent:
#   answer        look the utterance up in the business's knowledge
#   task          run the multi-step task named by the intent's ``task`` (e.g. "check_in")
#   transfer      hand the caller to a person
#   hangup        say goodbye and end the call
#   thanks        acknowledge, then ask whether anything else is needed
#   decline       clearly outside the business (weather, jokes): say so politely
#   counterweight examples that only pull utterances away from the other intents; an utterance
#                 that lands here is treated like "answer"
Action = Literal["answer", "task", "transfer", "hangup", "thanks", "decline", "counterweight"]
ACTIONS: tuple[Action, ...] = (
    "answer", "task", "transfer", "hangup", "thanks", "decline", "counterweight",
)

Name = Annotated[str, StringConstraints(pattern=_NAME)]
# ISO 639-1 language code: "en", "es", "fr", "de".
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Score = Annotated[float, Field(ge=0, le=1)]

_NOT_WORD = re.compile(r"[^\w\s]+")
_DASHES = re.compile(r"[-‐‑–—/]+")


def normalise(text: str) -> str:
    """Lower-case words without punctuation or accents, for exact comparisons.

    "Agent!" -> "agent", "That's all." -> "thats all", "Adiós" -> "adios", "check-in" ->
    "check in". Accents go because speech recognition drops them as often as it keeps them.
    """
    text = _DASHES.sub(" ", text.lower())
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    return " ".join(_NOT_WORD.sub("", text).split())


class IntentsError(ValueError):
    """The intents file is missing, not YAML, or not a valid intent set (the message says why)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntentDef(_Strict):
    """One thing a caller may want, with the phrases that say it."""

    name: Name
    description: str = Field(min_length=1)
    # The sample businesses this intent applies to; empty: all of them.
    businesses: list[Business] = Field(default_factory=list)
    action: Action
    # The task the engine runs when ``action`` is "task".
    task: Name | None = None
    # language -> example phrases; an utterance takes the intent of its nearest examples.
    examples: dict[Language, list[Phrase]]
    # language -> whole short utterances that name the intent ("agent", "bye"), compared
    # exactly after ``normalise``; they win over the examples.
    keywords: dict[Language, list[Phrase]] = Field(default_factory=dict)
    # Minimum example similarity for this intent; None: the set's ``threshold``.
    threshold: Score | None = None

    @field_validator("examples")
    @classmethod
    def _check_examples(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value.get("en"):
            raise ValueError("needs English ('en') examples")
        empty = [language for language, phrases in value.items() if not phrases]
        if empty:
            raise ValueError(f"no examples for {', '.join(empty)}")
        return value

    @model_validator(mode="after")
    def _check_task(self) -> IntentDef:
        if self.action == "task" and self.task is None:
            raise ValueError("task: action 'task' needs a task name")
        if self.action != "task" and self.task is not None:
            raise ValueError(f"task: only for action 'task', not {self.action!r}")
        return self

    def applies_to(self, business: str) -> bool:
        return not self.businesses or business in self.businesses

    def all_examples(self) -> list[str]:
        """Every example phrase, all languages."""
        return [phrase for phrases in self.examples.values() for phrase in phrases]

    def all_keywords(self) -> list[str]:
        return [word for words in self.keywords.values() for word in words]


class KeypadTopic(_Strict):
    """A keypad digit that reads the knowledge's answer to ``question``."""

    # language -> what the menu says ("For {label}, press {digit}."); a plain text is English.
    label: dict[Language, Phrase]
    question: str = Field(min_length=1)  # asked of the knowledge like a spoken question

    @field_validator("label", mode="before")
    @classmethod
    def _plain_english(cls, value: Any) -> Any:
        return {"en": value} if isinstance(value, str) else value

    @field_validator("label")
    @classmethod
    def _needs_english(cls, value: dict[str, str]) -> dict[str, str]:
        if "en" not in value:
            raise ValueError("needs an English ('en') label")
        return value

    def label_in(self, language: str) -> str:
        """The label in ``language``, English when it has none."""
        return self.label.get(language) or self.label["en"]


class IntentSet(_Strict):
    """The whole intents file."""

    # Defaults for the classifier: an intent needs its nearest examples to score at least
    # ``threshold`` and to beat the counterweights by ``margin``.
    threshold: Score = 0.5
    margin: Score = 0.08
    # intent -> intent taken instead when the two score within ``margin`` of each other
    # (goodbye -> thanks: a caller who might be leaving is asked, not hung up on).
    preferred_when_close: dict[Name, Name] = Field(default_factory=dict)
    # Words dropped from both ends of an utterance before keyword matching ("uh, agent").
    fillers: list[Phrase] = Field(default_factory=list)
    # What speech recognition writes for silence and line noise ("uh", "thanks for watching").
    noise_transcripts: list[str] = Field(default_factory=list)
    # After "Anything else I can help you with?", these end the call.
    negative_answers: list[Phrase] = Field(default_factory=list)
    # business -> keypad digit ("1".."8"; 0 is the operator and 9 the menu) -> topic.
    keypad: dict[Business, dict[Annotated[str, StringConstraints(pattern=r"^[1-8]$")],
                                KeypadTopic]] = Field(default_factory=dict)
    intents: list[IntentDef] = Field(min_length=1)

    @field_validator("keypad", mode="before")
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 1: as the integer 1.
        if isinstance(value, dict):
            return {
                business: {str(k) if isinstance(k, int) else k: v for k, v in topics.items()}
                if isinstance(topics, dict) else topics
                for business, topics in value.items()
            }
        return value

    @field_validator("intents")
    @classmethod
    def _unique_names(cls, value: list[IntentDef]) -> list[IntentDef]:
        names = [intent.name for intent in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate intent names: {', '.join(duplicates)}")
        return value

    @model_validator(mode="after")
    def _check_references(self) -> IntentSet:
        names = [intent.name for intent in self.intents]
        for name, preferred in self.preferred_when_close.items():
            unknown = [n for n in (name, preferred) if n not in names]
            if unknown:
                raise ValueError(
                    f"preferred_when_close names unknown intents: {', '.join(unknown)}"
                )
        for business in self.businesses():
            self._check_business(business)
        return self

    def businesses(self) -> list[str]:
        """The sample businesses and every other one an intent names (a pack's)."""
        named = {b for intent in self.intents for b in intent.businesses}
        return [*BUSINESSES, *sorted(named - set(BUSINESSES))]

    def with_business(self, business: str, intents: list[IntentDef]) -> IntentSet:
        """This set and ``intents`` of ``business`` alone (a business pack's own intents);
        validated again, so a clash of names or keywords is a ``ValidationError``."""
        data = self.model_dump(mode="python")
        data["intents"] += [{**i.model_dump(mode="python"), "businesses": [business]}
                            for i in intents]
        return IntentSet.model_validate(data)

    def _check_business(self, business: str) -> None:
        intents = self.for_business(business)
        if not any(i.action == "counterweight" for i in intents) or not any(
            i.action != "counterweight" for i in intents
        ):
            raise ValueError(
                f"business {business!r} needs at least one 'counterweight' intent and one other"
            )
        owners: dict[str, str] = {}
        for intent in intents:
            for word in intent.all_keywords():
                key = normalise(word)
                other = owners.setdefault(key, intent.name)
                if other != intent.name:
                    raise ValueError(
                        f"keyword {word!r} belongs to both {other!r} and {intent.name!r} "
                        f"(business {business!r})"
                    )

    def for_business(self, business: str) -> list[IntentDef]:
        """The intents a business's calls are classified among (its own and the shared)."""
        return [intent for intent in self.intents if intent.applies_to(business)]

    def get(self, name: str) -> IntentDef:
        for intent in self.intents:
            if intent.name == name:
                return intent
        raise KeyError(name)

    def keypad_topics(self, business: str, language: str = "en") -> dict[str, tuple[str, str]]:
        """digit -> (menu label in ``language``, question), in digit order."""
        topics = self.keypad.get(business, {})  # type: ignore[call-overload]
        return {digit: (t.label_in(language), t.question) for digit, t in sorted(topics.items())}


def bundled_intents_file() -> Path:
    """The intents file shipped with frontdesk: those every business shares."""
    return Path(str(files("config") / "data" / "intents.yaml"))


def sample_pack(business: str) -> Path:
    """The bundled business pack of a sample business (config/data/packs/<business>), which
    demo mode runs and ``frontdesk init --template`` copies."""
    return Path(str(files("config") / "data" / "packs" / business))


@cache
def _bundled_samples() -> IntentSet:
    """The bundled files' ``sample_intents``, read once (a frozen set: safe to share)."""
    return sample_intents(load_intents())


def sample_intents(shared: IntentSet | None = None) -> IntentSet:
    """``shared`` (None: the bundled shared intents) with both sample businesses' own, from
    their packs' intents.yaml: what demo mode classifies among, whichever sample a call is
    for. Raises ``IntentsError``."""
    if shared is None:
        return _bundled_samples()
    out = shared
    for business in BUSINESSES:
        path = sample_pack(business) / "intents.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            out = out.with_business(business, [IntentDef.model_validate(intent)
                                               for intent in data["intents"]])
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as e:
            raise IntentsError(f"the sample {business}'s intents ({path}): {e}") from e
    return out


def load_intents(path: Path | None = None) -> IntentSet:
    """Read and validate an intents file; None: the bundled one, the intents every business
    shares (``sample_intents`` adds the samples'). Raises ``IntentsError``."""
    if path is None:
        source = files("config") / "data" / "intents.yaml"
        where = f"bundled intents file {source}"
    else:
        source = path
        where = str(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise IntentsError(f"cannot read intents file {where}: {e}") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise IntentsError(f"{where}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise IntentsError(f"{where}: expected a mapping with 'intents', got {_kind(data)}")
    try:
        return IntentSet.model_validate(data)
    except ValidationError as e:
        problems = "\n".join(f"  {_location(data, err['loc'])}: {err['msg']}"
                             for err in e.errors())
        raise IntentsError(f"{where}: invalid intents file:\n{problems}") from None


def _location(data: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """("intents", 3, "examples") -> "intents[3] (check_in).examples"."""
    if not loc:
        return "(top level)"
    text = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
        node = _child(node, part)
        if text.startswith("intents[") and text.count(".") == 0 and isinstance(node, dict):
            name = node.get("name")
            if isinstance(name, str):
                text += f" ({name})"
    return text


def _child(node: Any, part: int | str) -> Any:
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    if isinstance(node, dict):
        return node.get(part)
    return None


def _kind(value: Any) -> str:
    return "an empty file" if value is None else type(value).__name__
