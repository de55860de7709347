"""frontdesk telephony layer."""
