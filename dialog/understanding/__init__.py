"""Understanding the caller: intents (catalogue and classifier), sentiment, escalation signals,
prompt-injection guard, and requests to change language.
"""

__all__ = ["classifier", "escalation", "guard", "intents", "language", "sentiment"]
