"""frontdesk telephony layer: Twilio in, the call's pipeline, and the people behind it.

``app`` is the FastAPI app and ``runtime`` the composition root; ``call`` runs one call's
pipecat pipeline, ``twilio`` speaks Twilio's protocols, ``transfer`` hands calls to people,
``records`` writes what happened, ``web`` serves the desk and the admin console, ``cli`` is
the ``frontdesk`` command. The top layer: it imports ``dialog``, ``voice``, ``knowledge`` and
``config``.
"""

__all__ = ["app", "body_limit", "call", "cli", "records", "runtime", "transfer", "twilio", "web"]
