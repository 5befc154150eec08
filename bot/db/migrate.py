"""Programmatic schema migrations (tests, CLI, deployment)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.db.engine import create_engine, database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic config without an ini file, so logging set up by the caller stays untouched."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision in bot/db/migrations (what `upgrade()` goes to)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Upgrade the database at `url` (default: database_url()) to `revision`."""
    await _run(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Downgrade the database at `url` to `revision` (default: an empty schema)."""
    await _run(url, lambda config: command.downgrade(config, revision))


async def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    engine = create_engine(url or database_url())
    try:
        async with engine.connect() as connection:
            has_table = await connection.run_sync(
                lambda sync: sync.dialect.has_table(sync, "alembic_version")
            )
            if not has_table:
                return None
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()


async def _run(url: str | None, action: Callable[[Config], None]) -> None:
    engine = create_engine(url or database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(lambda sync: action(alembic_config(sync)))
            await connection.commit()
    finally:
        await engine.dispose()
