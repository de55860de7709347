"""One call: the session over the Twilio media stream (``session``), its pipeline's assembly
(``pipeline``), its transfer flow (``transfer``), its language (``language``) and its turns' records
(``turns``); the handshake
and the pipecat pipeline pieces (transport, heard gate, keypad, timing, the dialog service and
its frames).
"""

__all__ = ["dialog_service", "frames", "handshake", "heard", "keypad", "language", "pipeline",
           "session", "timing", "transfer", "transport", "turns"]
