"""Customer identity asserted by the client firm's server: HMAC-SHA256(identity secret, user id)."""

from __future__ import annotations

import hashlib
import hmac


def sign_user_id(identity_secret: str, user_id: str) -> str:
    """The hex user hash a client firm's server puts in data-user-hash."""
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def user_hash_matches(identity_secret: str, user_id: str, user_hash: str) -> bool:
    """Constant-time comparison, so the hash cannot be guessed byte by byte."""
    expected = sign_user_id(identity_secret, user_id)
    return hmac.compare_digest(expected.encode(), user_hash.strip().lower().encode())
