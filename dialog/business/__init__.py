"""The two sample businesses (Harbor View Hotel, Northwind Electronics): tables, seed data and
the tools that act on them."""

from dialog.business.hotel import hotel_tools
from dialog.business.seed import create_and_seed
from dialog.business.support import support_tools

__all__ = ["create_and_seed", "hotel_tools", "support_tools"]
