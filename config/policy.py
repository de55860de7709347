"""The call's policy: the escalation thresholds and the transfer queues one call goes by.

Two owners hold these values: the settings (a deployment's defaults, from its environment) and
the routing rules (the business's file, versioned; a call keeps the version it started with).
``CallPolicy.build`` is the one place that says which wins, and the dialog builds it once per
call (``dialog.manager.DialogManager``) and hands it to everything below:

- escalation thresholds: the rules' ``escalation`` when the call has a rules version, else
  ``settings.escalation``;
- the default queue (a transfer that names none: a caller asking for a person, an escalation):
  the rules' ``business.default_queue``, else ``settings.dialog.default_queue``;
- the queues a transfer may name: every queue ``telephony.transfer.queues.queue_config`` can
  resolve for the call (the deployment's own, ``settings.queues`` warm and
  ``settings.transfer.queues`` cold, which win by name; then the rules' ``queues``), and the
  default queue.

Fixed here (issue 12): the manager took the rules' thresholds, but its own hand-offs, the
embedded engine, the tasks and the LLM transferred to the settings' default queue, so a support
call with rules went to ``front_desk``, a queue the support rules do not define, instead of the
rules' ``support``; and the LLM and its transfer tool knew only the settings' cold queues, so a
queue of the rules (or a warm queue of the settings) that the model named was refused or
replaced by the default queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.rules import Escalation, Rules
from config.settings import Settings

__all__ = ["CallPolicy"]


@dataclass(frozen=True)
class CallPolicy:
    """What one call goes by, fixed for the whole call (frozen, thresholds included)."""

    escalation: Escalation  # when the dialog hands the caller to a person
    default_queue: str  # where a transfer goes when nothing names a queue
    queues: frozenset[str]  # the queue names a transfer may name (the default one included)

    @property
    def verification_attempts(self) -> int:
        return self.escalation.verification_attempts

    @classmethod
    def build(cls, settings: Settings, rules: Rules | None) -> CallPolicy:
        """The policy of a call with ``rules`` (its rules version; None: it has none)."""
        deployment = {*settings.queues, *settings.transfer.queues}
        if rules is None:
            escalation = Escalation.model_validate(settings.escalation.model_dump())
            default_queue = settings.dialog.default_queue
            named = deployment
        else:
            escalation = rules.escalation
            default_queue = rules.business.default_queue
            named = {*deployment, *rules.queues}
        return cls(escalation, default_queue, frozenset({*named, default_queue}))
