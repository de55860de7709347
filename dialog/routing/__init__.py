"""Routing rules at work: the pure evaluation of a rules version, the per-call live router, and the
`frontdesk routes` commands.
"""

__all__ = ["commands", "evaluate", "live"]
