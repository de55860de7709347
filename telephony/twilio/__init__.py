"""Twilio's protocols: media-stream messages, TwiML, request signatures, and the REST client.
"""

__all__ = ["rest", "security", "twiml", "wire"]
