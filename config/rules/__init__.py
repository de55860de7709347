"""IVR routing rules as validated data: the schema, and loading with errors that name the line.

A rules file (YAML) describes one business's call routing. Top-level keys:

``business``    name, kind (hotel|support), timezone (IANA), languages, default_language,
                business hours per weekday, holidays, default_queue, the entry keypad menu,
                language_keys (keypad key -> language the call switches to, offered after
                the greeting)
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
"HH:MM-HH:MM", language keys name the business's languages (one key each) and are no menu's
options. Each problem names the field path and the YAML line:
``hotel.yaml line 42: rules[3].then.queue: unknown queue 'billing' (queues are: front_desk)``.

Tool names live in the dialog layer (config imports nothing of ours), so the caller passes them
in ``tools``; without it tool names are only checked for their form.

This package's face gathers the public names of ``fields`` (field types), ``schema`` (the
models), ``locate`` (problems and their lines), ``checks`` (the meaning) and ``load`` (reading a
file); ``store`` keeps the versions in the database (compare-and-set, audited, roll back).
"""

from __future__ import annotations

from config.rules.fields import DAYS, ROUTE_ACTIONS, RouteAction, parse_window
from config.rules.load import bundled_rules_file, load_rules
from config.rules.locate import Problem, RulesError
from config.rules.schema import (
    QA_CHECKS,
    BusinessProfile,
    CallerTier,
    Escalation,
    Holiday,
    IntentOverride,
    Menu,
    QaItem,
    Queue,
    Rule,
    Rules,
    Then,
    When,
)

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
    "QA_CHECKS",
    "QaItem",
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
