"""The call's policy: the escalation thresholds and the transfer queues one call goes by.

Two owners hold these values: the settings (a deployment's defaults, from its environment) and
the routing rules (the business's file, versioned; a call keeps the version it started with).
``CallPolicy.build`` is the one place that says which wins, and the dialog builds it once per
call (``dialog.manager.DialogManager``) and hands it to everything below:

- escalation thresholds: the rules' ``escalation`` when the call has a rules version, else
  ``settings.escalation``;
- the default queue (a transfer that names none: a caller asking for a person, an escalation):
  the rules' ``business.default_queue``, else ``settings.dialog.default_queue``;
- the queues a transfer may name, and what each one is (``CallPolicy.queue``: its agents,
  hours, warm or cold): the deployment's own, ``settings.queues`` warm and
  ``settings.transfer.queues`` (a number for a cold ``<Dial>``), win by name; then the rules'
  ``queues``; and the default queue, which may be defined nowhere (then a transfer to it finds
  no queue, as before).

Fixed here (issue 12): the manager took the rules' thresholds, but its own hand-offs, the
embedded engine, the tasks and the LLM transferred to the settings' default queue, so a support
call with rules went to ``front_desk``, a queue the support rules do not define, instead of the
rules' ``support``; and the LLM and its transfer tool knew only the settings' cold queues, so a
queue of the rules (or a warm queue of the settings) that the model named was refused or
replaced by the default queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from config.rules import Escalation, Rules
from config.settings import QueueSettings, Settings

__all__ = ["CallPolicy"]


@dataclass(frozen=True)
class CallPolicy:
    """What one call goes by, fixed for the whole call (frozen, thresholds included)."""

    escalation: Escalation  # when the dialog hands the caller to a person
    default_queue: str  # where a transfer goes when nothing names a queue
    queues: frozenset[str]  # the queue names a transfer may name (the default one included)
    # what each defined queue is (agents, hours, warm or cold): copies, read-only
    configs: Mapping[str, QueueSettings] = field(default_factory=dict, repr=False, compare=False)

    def queue(self, name: str) -> QueueSettings | None:
        """The queue ``name`` as a transfer uses it; None when nothing defines it."""
        return self.configs.get(name)

    @property
    def verification_attempts(self) -> int:
        return self.escalation.verification_attempts

    @classmethod
    def build(cls, settings: Settings, rules: Rules | None) -> CallPolicy:
        """The policy of a call with ``rules`` (its rules version; None: it has none)."""
        configs = _queue_configs(settings, rules)
        if rules is None:
            escalation = Escalation.model_validate(settings.escalation.model_dump())
            default_queue = settings.dialog.default_queue
        else:
            escalation = rules.escalation
            default_queue = rules.business.default_queue
        return cls(escalation, default_queue, frozenset({*configs, default_queue}),
                   MappingProxyType(configs))


def _queue_configs(settings: Settings, rules: Rules | None) -> dict[str, QueueSettings]:
    """Every queue the call can reach, by name: the rules' first, then the deployment's own
    (cold numbers, then warm queues), which replace a rules queue of the same name."""
    configs = dict(rules.queue_settings()) if rules is not None else {}
    for name, number in settings.transfer.queues.items():
        if number:
            configs[name] = QueueSettings(agents=[number], transfer="cold")
    configs.update({name: queue.model_copy(deep=True) for name, queue in settings.queues.items()})
    return configs
