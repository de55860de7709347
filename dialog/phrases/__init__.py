"""What the caller hears: ``say(key, language, **values)`` over one YAML file per spoken language
(``data/<language>.yaml``), the call's bound lines, the sentences that say a tool's outcome, and
dates, times and money as each language says them.
"""

__all__ = ["format", "lines", "outcomes", "say"]
