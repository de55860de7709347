"""A business pack: one folder that declares a business, with no code.

``business.yaml``  the profile (name, kind, languages, time zone, hours, greeting), keypad menus,
                   queues and agents, and the routing rules (a rules file, ``config.rules``)
``intents.yaml``   the business's own intents (what its callers ask for), beside the shared ones
``tools.yaml``     HTTP calls to the business's own systems (``settings.HttpToolSettings``):
                   schema, tier, and which response fields identify or verify the caller and
                   name a record's owner; ``${NAME}`` takes an environment variable. Or
                   ``demo: hotel``: a demonstration backend (the samples'), in demo mode only
``tasks.yaml``     the embedded engine's tasks as data: the identity check, the slots to ask for
                   and how each is read, the tool to call, and what to say, per language
``phrases/``       ``<language>.yaml``: stock lines (``dialog/phrases/data``) said otherwise
``knowledge/``     the documents callers are answered from

``load_pack`` validates every file and then all of them together, and raises ``PackError``
listing each problem with its file and line, like a rules file's.
"""

from config.pack.load import PACK_FILES, BusinessPack, DemoBackend, PackError, load_pack
from config.pack.schema import PARSERS, PackTasks, SlotDef, TaskDef

__all__ = ["PACK_FILES", "PARSERS", "BusinessPack", "DemoBackend", "PackError", "PackTasks",
           "SlotDef", "TaskDef", "load_pack"]
