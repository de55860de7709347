"""Handing a call to a person: warm transfer, handoffs and their briefings, queues, and the Twilio
webhooks of a transfer.
"""

__all__ = ["handoffs", "warm", "webhook"]
