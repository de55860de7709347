"""The two sample businesses (Harbor View Hotel, Northwind Electronics): tables, seed data, the
tools that act on them, and the tasks the embedded engine runs for their callers (``TASKS``)."""

from dialog.business.hotel import hotel_tools
from dialog.business.hotel_checkin import CHECK_IN
from dialog.business.hotel_tasks import TASKS as HOTEL_TASKS
from dialog.business.seed import create_and_seed
from dialog.business.support import support_tools
from dialog.business.support_tasks import TASKS as SUPPORT_TASKS

__all__ = ["TASKS", "create_and_seed", "hotel_tools", "support_tools"]

# The embedded engine's tasks, by the name the intents give (``Intent.task``).
TASKS = {"check_in": CHECK_IN, **HOTEL_TASKS, **SUPPORT_TASKS}
