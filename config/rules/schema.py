"""The rules file as pydantic models: each field's type and the checks one model can make alone.

Checks that need the whole file (every queue, menu, intent named exists; menus can be left) are
in ``config.rules.checks``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.intents import Action, IntentSet
from config.rules.fields import (
    Agent,
    Digits,
    Hours,
    Language,
    Languages,
    Name,
    Names,
    PhoneNumber,
    Phrase,
    RouteAction,
    Score,
    Sentiment,
    Text,
    Timezone,
    digits_text,
)
from config.settings import EscalationSettings, QueueSettings

__all__ = [
    "BusinessProfile",
    "CallerTier",
    "Escalation",
    "Holiday",
    "IntentOverride",
    "Menu",
    "QA_CHECKS",
    "QaItem",
    "Queue",
    "Rule",
    "Rules",
    "Then",
    "When",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holiday(_Strict):
    """A day the business is closed all day, in its own time zone."""

    date: date
    name: str = ""


class BusinessProfile(_Strict):
    name: Text
    kind: Name  # "hotel", "support", or a business pack's own (its intents name it)
    timezone: Timezone
    languages: Languages = Field(min_length=1)
    default_language: Language
    hours: Hours = Field(default_factory=dict)
    holidays: list[Holiday] = Field(default_factory=list)
    # Where a transfer goes when nothing names a queue (a caller asking for a person).
    default_queue: Name
    # The keypad menu played after the greeting; None: the caller speaks at once.
    menu: Name | None = None
    # Keypad key -> the language it switches the call to, wherever a menu takes keys ("6": es);
    # the greeting offers each one in its own language.
    language_keys: dict[Digits, Language] = Field(default_factory=dict)

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
            return {digits_text(key): option for key, option in value.items()}
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


# The checks a QA scorecard item may make of a call's records (telephony.records.qa).
# "judge": the LLM (when one is configured) answers ``question`` about the call's transcript;
# its verdict is marked as the judge's.
QaCheck = Literal["greeted", "verified_before_account_action", "offered_person_when_asked",
                  "no_card_digits_read_back", "answered_in_caller_language",
                  "routed_to_right_queue", "judge"]
QA_CHECKS: tuple[str, ...] = QaCheck.__args__  # type: ignore[attr-defined]


class QaItem(_Strict):
    """One line of the QA scorecard every call is scored on after it ends."""

    check: QaCheck
    description: str = ""
    # routed_to_right_queue: intent -> the queue a caller asking for it must reach.
    queues: dict[Name, Name] = Field(default_factory=dict)
    # judge: a yes/no question about the call ("Did the agent stay polite when the caller was
    # rude?"); yes passes.
    question: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _queues_fit(self) -> QaItem:
        if (self.check == "routed_to_right_queue") != bool(self.queues):
            raise ValueError("'queues' (intent: queue) goes with routed_to_right_queue, and "
                             "only with it")
        if (self.check == "judge") != bool(self.question.strip()):
            raise ValueError("'question' (yes or no, about the call) goes with judge, and "
                             "only with it")
        return self


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
    # The QA scorecard; absent: every check that needs no parameters.
    qa: list[QaItem] | None = None

    def scorecard(self) -> list[QaItem]:
        if self.qa is not None:
            return list(self.qa)
        return [QaItem(check=c) for c in QA_CHECKS if c not in ("routed_to_right_queue", "judge")]

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
