"""frontdesk knowledge layer."""
