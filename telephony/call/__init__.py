"""One call: the session over the Twilio media stream (``session``), its pipeline's assembly
(``pipeline``), its transfer flow (``transfer``) and its language (``language``); the handshake
and the pipecat pipeline pieces (transport, heard gate, keypad, timing, the dialog service and
its frames).
"""

__all__ = ["dialog_service", "frames", "handshake", "heard", "keypad", "language", "pipeline",
           "session", "timing", "transfer", "transport"]
