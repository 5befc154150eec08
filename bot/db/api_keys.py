"""API keys of the public REST API: issued once, stored as a hash, found by their prefix.

A key looks like `bpo_<12 characters of prefix>_<secret>`; the prefix identifies it in lists
and logs, the whole key is checked against the stored SHA-256 in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import DomainError
from bot.db.models import API_KEY_SCOPES, ApiKey
from bot.db.types import utcnow

KEY_PREFIX = "bpo_"
NAME_MAX_CHARS = 80
# last_used_at is written at most this often per key: a busy key must not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidApiKeyData(DomainError, ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class ApiKeyNotFound(DomainError, LookupError):
    def __init__(self, prefix: str) -> None:
        super().__init__(f"no API key {prefix!r} for this tenant")
        self.prefix = prefix


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: the key's row id, its tenant and what it may do."""

    key_id: int
    tenant_id: int
    prefix: str
    scopes: frozenset[str]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _prefix_of(key: str) -> str | None:
    # bpo_<prefix>_<secret>: the prefix is the part up to the second underscore.
    if not key.startswith(KEY_PREFIX):
        return None
    head, sep, _secret = key[len(KEY_PREFIX):].partition("_")
    return f"{KEY_PREFIX}{head}" if sep and head else None


def parse_scopes(raw: Iterable[str]) -> list[str]:
    scopes = list(dict.fromkeys(scope.strip() for scope in raw if scope.strip()))
    unknown = [scope for scope in scopes if scope not in API_KEY_SCOPES]
    if unknown:
        raise InvalidApiKeyData(f"unknown scopes {', '.join(unknown)}; use {', '.join(API_KEY_SCOPES)}")
    if not scopes:
        raise InvalidApiKeyData(f"give at least one scope: {', '.join(API_KEY_SCOPES)}")
    return scopes


async def create_api_key(
    session: AsyncSession, tenant_id: int, name: str, scopes: Iterable[str]
) -> tuple[ApiKey, str]:
    """A new key; returns the row and the key itself (the only time it exists in the clear)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_CHARS:
        raise InvalidApiKeyData(f"name: 1 to {NAME_MAX_CHARS} characters")
    chosen = parse_scopes(scopes)
    prefix = KEY_PREFIX + secrets.token_hex(6)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(tenant_id=tenant_id, name=name, prefix=prefix, key_hash=_hash(key), scopes=chosen)
    session.add(row)
    await session.flush()
    return row, key


async def list_api_keys(session: AsyncSession, tenant_id: int) -> list[ApiKey]:
    """The tenant's keys, revoked ones included (they show when they stopped), newest first."""
    return list(
        await session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id.desc())
        )
    )


async def revoke_api_key(session: AsyncSession, tenant_id: int, prefix: str) -> ApiKey:
    """Revoke the tenant's key with this prefix (at once, for every gateway); idempotent."""
    row = await session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.prefix == prefix.strip())
    )
    if row is None:
        raise ApiKeyNotFound(prefix)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.flush()
    return row


async def authenticate(session: AsyncSession, key: str, *, now: datetime | None = None) -> Caller | None:
    """The caller a presented key stands for, or None (unknown, wrong or revoked alike).
    Records the last use (at most once a minute per key)."""
    prefix = _prefix_of(key)
    if prefix is None:
        return None
    row = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    # Compared even when nothing was found, so timing says nothing about which prefixes exist.
    expected = row.key_hash if row is not None else "0" * 64
    if not hmac.compare_digest(expected, _hash(key)) or row is None or row.revoked_at is not None:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return Caller(key_id=row.id, tenant_id=row.tenant_id, prefix=row.prefix, scopes=frozenset(row.scopes))
