"""frontdesk dialog layer: what the agent understands, decides and says on one call.

``manager`` runs one call's dialog; it reads the call's turns through ``understanding``,
answers with the ``embedded`` engine or an ``llm``, acts through ``tools``, routes by the
``routing`` rules, briefs a person (``briefing``), and says every line through ``phrases``.
``business`` holds the sample businesses. Imports ``knowledge`` and ``config``, never
``telephony`` or ``voice``.
"""

__all__ = ["briefing", "business", "deps", "embedded", "engine", "llm", "loader", "manager",
           "phrases", "routing", "state", "tools", "toolset", "types", "understanding"]
