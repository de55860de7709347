"""Routing rules at work: the pure evaluation of a rules version, the per-call live router, one
turn routed under a rules version (the admin's dry run, the shadow evaluation), and the
`frontdesk routes` commands.
"""

__all__ = ["commands", "evaluate", "live", "turns"]
