"""One call: the session over the Twilio media stream, the handshake, the pipecat pipeline pieces
(transport, heard gate, keypad, timing, the dialog service and its frames).
"""

__all__ = ["dialog_service", "frames", "handshake", "heard", "keypad", "session", "timing",
"transport"]
