"""Database URL resolution, engine creation and the per-process `Database` handle."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "bpo.sqlite3"

# Synchronous driver names people put in DATABASE_URL, mapped to our async drivers.
_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers don't block the writer
    "PRAGMA busy_timeout=5000",  # wait for a lock instead of failing at once
    "PRAGMA foreign_keys=ON",  # SQLite ignores foreign keys unless told
    "PRAGMA synchronous=NORMAL",  # safe with WAL, much faster than FULL
)


def database_url(env: Mapping[str, str] = os.environ) -> str:
    """The async SQLAlchemy URL to use: DATABASE_URL if set, else the repo's SQLite file."""
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"
    return to_async_url(raw)


def to_async_url(raw: str) -> str:
    """Rewrite `postgresql://` / `sqlite:///` URLs to the async drivers; keep others as given."""
    scheme, sep, rest = raw.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like postgresql://... or sqlite:///...")
    return f"{_ASYNC_DRIVERS.get(scheme.lower(), scheme)}://{rest}"


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """An async engine tuned per backend (PRAGMAs on SQLite, pre-ping on PostgreSQL)."""
    parsed = make_url(url)
    # hide_parameters: bound values (identity secrets, personal data) never
    # appear in SQLAlchemy's log lines or exception messages.
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_directory(parsed)
        engine = _create_async_engine(parsed, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
        return engine
    return _create_async_engine(parsed, pool_pre_ping=True, hide_parameters=True)


def _ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _apply_sqlite_pragmas(dbapi_connection, _connection_record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
    # SQLite's lower() folds ASCII only; searches of Norwegian text ("Æ" = "æ") need more.
    dbapi_connection.create_function(SQLITE_UNICODE_LOWER, 1, _unicode_lower, deterministic=True)


SQLITE_UNICODE_LOWER = "unicode_lower"  # lower() for all of Unicode, on every SQLite connection


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class Database:
    """One per process: the engine and the session factory bound to it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_engine(url)
        # expire_on_commit=False: objects stay readable after the use case commits,
        # which async code needs because expired attributes would lazy-load.
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Database:
        return cls(database_url(env))

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()

    def __repr__(self) -> str:
        # Never show a password that may be part of the URL.
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"


def is_lost_connection(error: BaseException) -> bool:
    """The database connection died under a statement (a restart, a failover, a terminated
    backend). The pool has already dropped it; a transaction retried now gets a new one."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(error, DBAPIError) and error.connection_invalidated


_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def is_sqlite_busy(error: BaseException) -> bool:
    """SQLite refused a write because another connection holds the lock. busy_timeout waits
    for most of these, but not all: a transaction that read first and then wants to write
    after another writer committed (SQLITE_BUSY_SNAPSHOT) fails at once. The transaction was
    rolled back; running it again usually succeeds."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(error, OperationalError):
        return False
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)


def is_transient(error: BaseException) -> bool:
    """Worth running the same (idempotent) transaction once more."""
    return is_lost_connection(error) or is_sqlite_busy(error)
