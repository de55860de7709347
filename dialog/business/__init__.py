"""The demonstration backends of the two sample businesses (Harbor View Hotel, Northwind
Electronics): tables, seed data, the tools that act on them, and the tasks the embedded engine
runs for their callers (``TASKS``). The samples' packs (config/data/packs/hotel, support) name
them in tools.yaml (``demo: hotel``); they run only in demo mode."""

from functools import cache

from sqlalchemy import create_engine

from config import GovernanceSettings
from config.pack import DemoBackend
from dialog.business.hotel import hotel_tools
from dialog.business.hotel_checkin import CHECK_IN
from dialog.business.hotel_tasks import TASKS as HOTEL_TASKS
from dialog.business.seed import create_and_seed
from dialog.business.support import support_tools
from dialog.business.support_tasks import TASKS as SUPPORT_TASKS

__all__ = ["TASKS", "create_and_seed", "demo_backends", "hotel_tools", "support_tools"]

# The embedded engine's tasks, by the name the intents give (``Intent.task``).
TASKS = {"check_in": CHECK_IN, **HOTEL_TASKS, **SUPPORT_TASKS}


@cache
def demo_backends() -> dict[str, DemoBackend]:
    """Each demonstration backend's tool and task names, as a pack's check needs them."""
    engine = create_engine("sqlite://")  # the specs alone: nothing is connected to
    hotel = hotel_tools(engine)
    hotel_tasks = frozenset({*HOTEL_TASKS, "check_in"})
    support = support_tools(engine, governance=GovernanceSettings())
    return {
        "hotel": DemoBackend(frozenset(s.name for s in hotel), hotel_tasks),
        "support": DemoBackend(frozenset(s.name for s in support), frozenset(SUPPORT_TASKS)),
    }
