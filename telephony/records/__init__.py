"""Call records in the database: calls, turns, events, the writer that keeps a slow database off
the call path, and recovery after a server is lost.
"""

__all__ = ["recovery", "store", "writer"]
