"""The web pages and their APIs: the agent desk, the admin console, sign-in and sessions.
"""

__all__ = ["admin", "admin_api", "auth", "desk", "desk_api", "signin"]
