"""The embedded engine (no network): answers from passages, menus, tasks that collect values from
speech or the keypad, and the recognition hints for expected answers.
"""

__all__ = ["choice", "engine", "hints", "slots", "spoken", "tasks"]
