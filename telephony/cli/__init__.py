"""The `frontdesk` command: serve, models, call (simulator), bench, kb, routes, try.
"""

__all__ = ["bench", "call_command", "callreport", "main", "simulator", "try_turn"]
