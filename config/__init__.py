"""frontdesk configuration: the lowest layer, which imports nothing else of ours.

``settings`` (typed, from the environment, built once), ``policy`` (one call's thresholds and
queues), ``languages``, ``database``, ``intents`` and ``rules`` (the routing rules). The
settings' classes and the intents file's types are importable from here.
"""

from config.intents import IntentDef, IntentsError, IntentSet, load_intents
from config.settings import *  # noqa: F403
from config.settings import __all__ as _settings_all

__all__ = [*_settings_all, "IntentDef", "IntentSet", "IntentsError", "load_intents"]
