"""The action server's one Database: created on first use, never at import.

rasa_sdk imports every module of this package before its event loop runs, so
the engine is made lazily inside the loop. Tests inject their own Database.
"""

from __future__ import annotations

from bot.db import Database

_database: Database | None = None


def get_database() -> Database:
    """This process's Database, built from DATABASE_URL the first time it is needed."""
    global _database
    if _database is None:
        _database = Database.from_env()
    return _database


def use_database(database: Database | None) -> None:
    """Make `database` the process's Database (tests); None forgets it."""
    global _database
    _database = database
