"""Database URL resolution and per-backend engine settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Account, Database, TenantRef, database_url
from bot.db.engine import DEFAULT_SQLITE_PATH, REPO_ROOT


def test_without_database_url_the_repo_sqlite_file_is_used() -> None:
    assert database_url({}) == f"sqlite+aiosqlite:///{REPO_ROOT / 'var' / 'bpo.sqlite3'}"
    assert DEFAULT_SQLITE_PATH.is_absolute()


def test_plain_postgresql_url_is_rewritten_to_asyncpg() -> None:
    env = {"DATABASE_URL": "postgresql://bot:pw@db.internal:5432/bpo"}
    assert database_url(env) == "postgresql+asyncpg://bot:pw@db.internal:5432/bpo"
    assert database_url({"DATABASE_URL": "postgres://h/db"}) == "postgresql+asyncpg://h/db"


def test_plain_sqlite_url_is_rewritten_to_aiosqlite() -> None:
    assert database_url({"DATABASE_URL": "sqlite:////srv/bpo.db"}) == "sqlite+aiosqlite:////srv/bpo.db"


def test_async_urls_are_kept_as_given() -> None:
    url = "postgresql+asyncpg://u@h/db"
    assert database_url({"DATABASE_URL": url}) == url


def test_database_repr_hides_the_password() -> None:
    database = Database("postgresql+asyncpg://bot:s3cret-pw@localhost/bpo")
    assert "s3cret-pw" not in repr(database)


async def test_sqlite_directory_is_created_with_the_engine_and_pragmas_apply(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "var" / "bpo.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        assert path.parent.is_dir()
        async with database.engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(text("PRAGMA busy_timeout")) == 5000
            assert await connection.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
    finally:
        await database.dispose()


async def test_every_backend_answers(database: Database, backend: str) -> None:
    assert database.backend == backend
    async with database.engine.connect() as connection:
        assert await connection.scalar(text("SELECT 1")) == 1


async def test_database_errors_never_contain_the_bound_values(
    session: AsyncSession, nordlys: TenantRef
) -> None:
    secret = "zz-not-to-leak"  # fits every column, so only the duplicate number fails
    personal = dict.fromkeys(("name", "email", "phone", "postcode", "plan"), secret)
    session.add(Account(tenant_id=nordlys.id, account_number="10000001", **personal))
    with pytest.raises(IntegrityError) as raised:
        await session.flush()  # duplicate account number
    assert secret not in str(raised.value)


async def test_a_write_refused_by_a_busy_sqlite_is_transient_and_succeeds_when_run_again(tmp_path: Path) -> None:
    """Another connection holds SQLite's write lock longer than busy_timeout (a burst of new
    conversations on a loaded gateway): the write is refused as busy, and the gateway runs
    such a frame once more."""
    from sqlalchemy.exc import OperationalError

    from bot.db.engine import is_lost_connection, is_sqlite_busy, is_transient

    path = tmp_path / "busy.sqlite3"
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE counter (n INTEGER)"))
            await connection.execute(text("INSERT INTO counter VALUES (0)"))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held
        try:
            with pytest.raises(OperationalError) as refused:
                async with database.engine.begin() as connection:
                    await connection.execute(text("PRAGMA busy_timeout=0"))  # no 5 s wait in a test
                    await connection.execute(text("UPDATE counter SET n = n + 1"))
        finally:
            holder.rollback()
            holder.close()
        assert is_sqlite_busy(refused.value) and is_transient(refused.value)
        assert not is_lost_connection(refused.value)
        async with database.engine.begin() as again:  # the same work, run once more
            await again.execute(text("UPDATE counter SET n = n + 1"))
            assert (await again.execute(text("SELECT n FROM counter"))).scalar_one() == 1
    finally:
        await database.dispose()


async def test_other_database_errors_are_not_retried(database: Database) -> None:
    from sqlalchemy.exc import DBAPIError

    from bot.db.engine import is_transient

    with pytest.raises(DBAPIError) as failed:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))
    assert not is_transient(failed.value)
