"""API keys: shown once, stored as a hash, told apart by their prefix, revocable, last use kept."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.admin import use_cases as admin
from bot.db import Database
from bot.db.api_keys import authenticate
from bot.db.models import ApiKey
from bot.db.types import utcnow

from .conftest import KeyMaker, bearer

ROOT = Path(__file__).resolve().parents[2]


async def test_only_a_hash_of_the_key_is_stored(issue_key: KeyMaker, database: Database) -> None:
    key = await issue_key("nordlys", "tickets:read")

    async with database.sessionmaker() as session:
        [row] = (await session.scalars(select(ApiKey))).all()

    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix + "_") and len(key) > 50
    assert key not in repr(row)


async def test_the_last_use_is_recorded_at_most_once_a_minute(
    api: TestClient, issue_key: KeyMaker, database: Database
) -> None:
    key = await issue_key("nordlys", "tickets:read")

    await api.get("/api/v1/firm/tickets", headers=bearer(key))
    async with database.sessionmaker() as session:
        first = (await session.scalars(select(ApiKey.last_used_at))).one()
    await api.get("/api/v1/firm/tickets", headers=bearer(key))
    async with database.sessionmaker() as session:
        second = (await session.scalars(select(ApiKey.last_used_at))).one()
    async with database.sessionmaker.begin() as session:
        later = await authenticate(session, key, now=utcnow() + timedelta(minutes=2))
    async with database.sessionmaker() as session:
        third = (await session.scalars(select(ApiKey.last_used_at))).one()

    assert first is not None and second == first
    assert later is not None and third > first


async def test_revoking_stops_the_key_at_once_and_is_listed(
    api: TestClient, issue_key: KeyMaker, database: Database
) -> None:
    key = await issue_key("nordlys", "tickets:read")
    prefix = key[: key.index("_", 4)]

    before = await api.get("/api/v1/firm/tickets", headers=bearer(key))
    await admin.revoke_api_key(database.sessionmaker, "nordlys", prefix)
    after = await api.get("/api/v1/firm/tickets", headers=bearer(key))
    [listed] = await admin.list_api_keys(database.sessionmaker, "nordlys")

    assert (before.status, after.status) == (200, 401)
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    assert listed.revoked_at is not None


def cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "api-keys", *args, "--database-url", db_url],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_the_cli_creates_lists_and_revokes_keys_printing_the_key_once(db_url: str) -> None:
    created = cli(db_url, "create", "nordlys", "--name", "CRM sync", "--scopes", "tickets:read,accounts:write")
    key = created.stdout.strip()
    prefix = key[: key.index("_", 4)]
    listed = cli(db_url, "list", "nordlys")
    revoked = cli(db_url, "revoke", "nordlys", prefix)
    listed_after = cli(db_url, "list", "nordlys")
    wrong_scope = cli(db_url, "create", "nordlys", "--name", "x", "--scopes", "everything")

    assert created.returncode == 0, created.stderr
    assert key.startswith("bpo_") and "\n" not in key
    assert prefix in listed.stdout and "tickets:read,accounts:write" in listed.stdout and "never used" in listed.stdout
    assert key not in listed.stdout
    assert revoked.returncode == 0 and "revoked" in listed_after.stdout
    assert wrong_scope.returncode == 1 and "unknown scopes everything" in wrong_scope.stderr
