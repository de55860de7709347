"""frontdesk voice layer."""
