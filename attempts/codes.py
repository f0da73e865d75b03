"""Verification codes: 120 random bits, read aloud in groups, stored hashed.

A code is 24 characters of Crockford's base 32 (digits and capitals without I,
L, O, U) in six groups of four: ``7KQ2-M9XD-...``. What a person types or
reads back is normalised (case, spaces, dashes, and the letters Crockford's
alphabet maps: O to 0, I and L to 1) before it is hashed; anything that is not
24 such characters is malformed, and answers exactly like an unknown code.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 24  # 24 x 5 = 120 bits
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_KEEP = frozenset(ALPHABET)


def code_new() -> str:
    """A new code, grouped for reading (``XXXX-XXXX-XXXX-XXXX-XXXX-XXXX``)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return code_grouped(raw)


def code_grouped(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def code_normalised(text: str) -> str | None:
    """The 24 characters of a code as typed, or ``None`` if it cannot be one."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    raw = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(raw) != LENGTH or not set(raw) <= _KEEP:
        return None
    return raw


def code_hash(text: str) -> str | None:
    """The stored form of a code as typed, or ``None`` if malformed."""
    raw = code_normalised(text)
    if raw is None:
        return None
    return hashlib.sha256(raw.encode()).hexdigest()
