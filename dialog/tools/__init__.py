"""Tools the dialog acts through: the registry (schemas, tiers, timeouts), governance (identity and
permission rules), the audit trail and HTTP tools.
"""

__all__ = ["audit", "governance", "http", "registry"]
