"""The same Alembic migrations build and remove the schema on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import Base, Database
from bot.db.migrate import current_revision, downgrade, head_revision, upgrade

TABLES = {"tenants", "accounts", "tickets", "faq_answers"}


async def _tables(url: str) -> set[str]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await database.dispose()


async def test_upgrade_creates_every_table_and_records_the_revision(empty_db_url: str) -> None:
    assert await current_revision(empty_db_url) is None

    await upgrade(empty_db_url)

    assert TABLES <= await _tables(empty_db_url)
    assert await current_revision(empty_db_url) == head_revision()


async def test_first_revision_is_0001_initial(empty_db_url: str) -> None:
    await upgrade(empty_db_url, "0001_initial")
    assert await current_revision(empty_db_url) == "0001_initial"


async def test_downgrade_removes_every_table_and_upgrade_works_again(empty_db_url: str) -> None:
    await upgrade(empty_db_url)

    await downgrade(empty_db_url, "base")
    assert not (TABLES & await _tables(empty_db_url))
    assert await current_revision(empty_db_url) is None

    await upgrade(empty_db_url)
    assert TABLES <= await _tables(empty_db_url)


async def test_upgrade_of_an_up_to_date_database_changes_nothing(db_url: str) -> None:
    before = await current_revision(db_url)
    await upgrade(db_url)
    assert await current_revision(db_url) == before


async def test_migrated_schema_matches_the_models(empty_db_url: str) -> None:
    await upgrade(empty_db_url)
    database = Database(empty_db_url)
    try:
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await database.dispose()
    assert differences == []
