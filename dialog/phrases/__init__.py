"""What the caller hears: the lines per language and the sentences that say a tool's outcome.
"""

__all__ = ["lines", "outcomes"]
