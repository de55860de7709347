"""Configured passwords: an argon2 or bcrypt hash, or (for development) the password itself.

A value that starts like a hash (``$argon2id$``, ``$argon2i$``, ``$2b$``, ``$2a$``, ``$2y$``) is
checked by pwdlib (argon2-cffi, bcrypt); any other value is the password in plain text, compared
in constant time. ``frontdesk hash-password`` prints an argon2id hash to configure instead.
"""

from __future__ import annotations

import hmac
from functools import cache

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

__all__ = ["HASH_PREFIXES", "hash_password", "is_password_hash", "password_matches",
           "spend_a_check"]

HASH_PREFIXES = ("$argon2id$", "$argon2i$", "$argon2d$", "$2b$", "$2a$", "$2y$")


@cache
def _hashes() -> PasswordHash:
    return PasswordHash((Argon2Hasher(), BcryptHasher()))


def is_password_hash(value: str) -> bool:
    """Whether a configured value is a hash (checked by hashing) and not a plain password."""
    return value.startswith(HASH_PREFIXES)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` to put in the settings instead of it."""
    return _hashes().hash(password)


def password_matches(configured: str, given: str) -> bool:
    """Whether ``given`` is the password ``configured`` holds (as a hash or as itself). An empty
    configured value matches nothing, and so does a malformed hash. A hash costs ~0.1-0.3 s of
    CPU: call it in a thread."""
    if not configured:
        return False
    if is_password_hash(configured):
        try:
            return _hashes().verify(given, configured)
        except (UnknownHashError, ValueError):
            return False
    return hmac.compare_digest(configured.encode(), given.encode())


@cache
def _decoy() -> str:
    return hash_password("frontdesk decoy password")


def spend_a_check(given: str) -> None:
    """The work of one hash check, for a name nobody has: a wrong name takes as long as a
    wrong password, so timing does not tell which names exist."""
    _hashes().verify(given, _decoy())
