"""frontdesk dialog layer."""
