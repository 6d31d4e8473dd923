"""Signing keys: generated on first start and kept, never a constant; weak ones refused.

A service that signs something (the study's instructor sessions) takes its key from the
environment or ``CNN101_SECRETS_DIR`` when an instructor sets one; otherwise it makes a
random key on first start and keeps it in a file only its user can read (mode 0600), so
sessions survive restarts and no key is ever the same on two machines.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import stat
from collections import Counter
from pathlib import Path

logger = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32
# What a random key of 32 characters from 16 symbols carries; typed phrases carry far less.
MIN_SECRET_BITS = 128
KNOWN_PLACEHOLDERS = frozenset(
    {"", "change-me", "changeme", "secret", "development-only", "password", "example"}
)


def estimated_bits(secret: str) -> float:
    """Length times the Shannon entropy of the secret's characters (an upper bound for a
    typed phrase, close to the truth for a random key)."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_character = -sum((n / len(secret)) * math.log2(n / len(secret)) for n in counts.values())
    return per_character * len(secret)


def weakness(secret: str) -> str | None:
    """Why ``secret`` is not fit to sign sessions, or None when it is."""
    if secret.strip().lower() in KNOWN_PLACEHOLDERS:
        return "is a known placeholder"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if estimated_bits(secret) < MIN_SECRET_BITS:
        return "is too predictable (repeated or few distinct characters)"
    return None


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def load_or_create_secret(path: Path) -> str:
    """The key kept in ``path``, made (mode 0600) on first use; a weak kept key is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_kept_secret(path)
    key = new_secret()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    logger.info("made a new signing key in %s", path)
    return key


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable and writable by this user only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was there before with another mode
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _read_kept_secret(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(0o600)
        logger.warning("%s was readable by others (mode %o); now 0600", path, mode)
    kept = path.read_text(encoding="utf-8").strip()
    problem = weakness(kept)
    if problem:
        raise ValueError(f"the key kept in {path} {problem}; delete it to make a new one")
    return kept
