"""Actions run against the real, seeded database of tests/conftest.py (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from actions.database import use_database
from bot.db import Database

# Nothing listens on port 1: connecting fails at once with "connection refused".
UNREACHABLE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:1/bpo"


@pytest.fixture(autouse=True)
def _forget_action_database() -> Iterator[None]:
    yield
    use_database(None)


@pytest.fixture
def records(database: Database) -> Database:
    """The seeded test database, used by the actions as their process-wide Database."""
    use_database(database)
    return database


@pytest.fixture
async def unreachable_records() -> AsyncIterator[Database]:
    """A Database whose PostgreSQL server cannot be reached."""
    database = Database(UNREACHABLE_POSTGRES)
    use_database(database)
    yield database
    await database.dispose()
