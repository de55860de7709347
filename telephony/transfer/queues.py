"""Which people a transfer queue reaches, and how: the settings, then the call's routing rules.

``FRONTDESK_QUEUES`` (warm) and ``FRONTDESK_TRANSFER__QUEUES`` (a number for a cold ``<Dial>``)
name a deployment's own numbers and win; otherwise the queue is the one the rules version of the
call defines (agents, hours, warm or cold, ring timeout). A pure function.
"""

from __future__ import annotations

from config import QueueSettings, Settings
from config.rules import Rules

__all__ = ["queue_config"]


def queue_config(settings: Settings, rules: Rules | None, name: str) -> QueueSettings | None:
    """The queue ``name`` as a transfer uses it; None when nothing defines it."""
    if name in settings.queues:
        return settings.queues[name]
    number = settings.transfer.queues.get(name)
    if number:
        return QueueSettings(agents=[number], transfer="cold")
    if rules is not None and name in rules.queues:
        return rules.queue_settings()[name]
    return None
