"""Agent authentication building blocks (pure): passwords, session tokens, CSRF tokens.

- Passwords: argon2id via argon2-cffi with the library's default parameters;
  a stored hash made with older/weaker parameters is upgraded at the next login
  (needs_rehash). Hashing costs tens of milliseconds of CPU: async callers run
  it in a thread (asyncio.to_thread).
- Session tokens: 256 random bits, given to the browser once; the database keeps
  only their SHA-256, so a leaked table cannot be replayed. (A fast hash is right
  here: the token is random, not a guessable password.)
- CSRF: a random token per session, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.handoff.errors import WeakPassword

PASSWORD_MIN_CHARS = 12
PASSWORD_MAX_CHARS = 1024  # bounds the work an attacker can make us do per attempt

_HASHER = PasswordHasher()


def check_password_policy(password: str) -> None:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_CHARS:
        raise WeakPassword(f"must have at least {PASSWORD_MIN_CHARS} characters")
    if len(password) > PASSWORD_MAX_CHARS:
        raise WeakPassword(f"must have at most {PASSWORD_MAX_CHARS} characters")
    if not password.strip():
        raise WeakPassword("must not be only spaces")


def hash_password(password: str, hasher: PasswordHasher = _HASHER) -> str:
    """An argon2id hash of a password that satisfies the policy (else WeakPassword)."""
    check_password_policy(password)
    return hasher.hash(password)


def verify_password(stored_hash: str, password: str, hasher: PasswordHasher = _HASHER) -> bool:
    """True when `password` matches; False for a mismatch, an over-long input or a broken hash."""
    if not isinstance(password, str) or len(password) > PASSWORD_MAX_CHARS:
        return False
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, hasher: PasswordHasher = _HASHER) -> bool:
    """True when the hash was made with other parameters than we use now."""
    try:
        return hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def spend_verification_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown e-mail costs as long as a wrong password."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    # Made on first use, not at import: hashing is deliberately slow.
    return _HASHER.hash(secrets.token_urlsafe(16))


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison; a missing or empty token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))
