"""The files of a business pack as pydantic models (``tools.yaml``, ``tasks.yaml``,
``intents.yaml``); ``business.yaml`` is a rules file (``config.rules.Rules``).

Checks that need more than one file (a task's tool exists, every line is in every language the
business speaks) are in ``config.pack.checks``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config.intents import IntentDef
from config.rules.fields import Language, Name, Text
from config.settings import HttpToolSettings

__all__ = [
    "PARSERS",
    "IdentityDef",
    "IdentityLines",
    "Lines",
    "PackIntents",
    "PackTasks",
    "PackTools",
    "Parser",
    "SlotDef",
    "TaskDef",
    "TaskLines",
]

# How a slot's value is read from what the caller says (``dialog.embedded.slots``):
#   number       a number of exactly ``digits`` digits (a ticket, an order)
#   postal_code  a five-digit ZIP code
#   date         a day ("next Friday", "the 12th"), given as YYYY-MM-DD
#   time         a time of day, given as HH:MM
#   name         a person's name
#   yes_no       "yes" or "no", given as yes / no
#   amount       a sum of money, given as a decimal number
#   phone        a phone number, given as E.164
#   text         whatever the caller says
Parser = Literal["number", "postal_code", "date", "time", "name", "yes_no", "amount", "phone",
                 "text"]
PARSERS: tuple[str, ...] = Parser.__args__  # type: ignore[attr-defined]

# What is said, per language; every language the business speaks needs its line.
Lines = dict[Language, Text]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackTools(_Strict):
    # One of frontdesk's demonstration backends ("hotel", "support": sample customers in the
    # database, and the tools and tasks that act on them) instead of the business's own
    # systems. The sample packs use it; it runs only in demo mode.
    demo: Name | None = None
    tools: list[HttpToolSettings] = Field(default_factory=list)


class PackIntents(_Strict):
    intents: list[IntentDef] = Field(default_factory=list)


class SlotDef(_Strict):
    """A value a task asks the caller for."""

    parse: Parser
    digits: int = Field(default=0, ge=0, le=20)  # ``number``: how many digits exactly
    ask: Lines = Field(min_length=1)  # the question
    again: Lines = Field(default_factory=dict)  # asked after a miss (default: ``ask``)
    keypad: bool = True  # digits typed on the keypad are accepted
    optional: bool = False  # "no" or two misses leave it out
    # The answer is kept out of the records and logs (a ZIP code, a date of birth); so is any
    # slot named like private data (postal_code, phone, ...).
    private: bool = False

    @model_validator(mode="after")
    def _digits_fit(self) -> SlotDef:
        if self.parse == "number" and not self.digits:
            raise ValueError("a number needs 'digits' (how many digits it has)")
        if self.digits and self.parse != "number":
            raise ValueError("'digits' is for parse: number")
        return self


class IdentityLines(_Strict):
    verified: Lines = Field(min_length=1)  # the caller is who they say
    not_verified: Lines = Field(min_length=1)  # the check did not match (asked again)
    no_account: Lines = Field(default_factory=dict)  # the lookup found no record: a person


class IdentityDef(_Strict):
    """How a caller is found and verified before a task that needs it."""

    lookup: Name | None = None  # a tool that finds the caller's record (``identifies``)
    verify: Name  # a tool that proves who the caller is (``verifies``)
    check: Name  # the slot asked for, and given to ``verify``
    argument: Name | None = None  # ``verify``'s argument for it (default: the slot's name)
    say: IdentityLines


class TaskLines(_Strict):
    # Said when the tool did it; ``{field}`` takes a field of the tool's response, or a value
    # the caller gave; dates are said as dates.
    done: Lines = Field(min_length=1)
    not_found: Lines = Field(default_factory=dict)  # the record is not (the caller's): asked again
    refused: Lines = Field(default_factory=dict)  # the back end said no (default: a plain no)


class TaskDef(_Strict):
    description: str = ""
    verify: bool = True  # the caller must be verified first (``identity``)
    collect: list[Name] = Field(default_factory=list)  # the slots asked for, in order
    tool: Name
    # The tool's arguments: templates of collected values ("{ticket}") and "{request}", what
    # the caller first said.
    args: dict[Name, str] = Field(default_factory=dict)
    retry: Name | None = None  # asked again when nothing is found (default: the first slot)
    say: TaskLines


class PackTasks(_Strict):
    identity: IdentityDef | None = None
    slots: dict[Name, SlotDef] = Field(default_factory=dict)
    tasks: dict[Name, TaskDef] = Field(default_factory=dict)
