"""Searching everything we store for personal data: every table of every database, log files."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True)
class Hit:
    where: str  # "table messages", "tracker table events", "log rasa.log"
    needle: str
    excerpt: str


def hits_in(text: str, needles: Iterable[str], where: str) -> list[Hit]:
    """Needles found in text as written, or (numbers) with spaces and punctuation dropped."""
    found = []
    lowered = text.lower()
    digits = _NOT_DIGIT.sub("", text)
    for needle in needles:
        position = lowered.find(needle.lower())
        if position >= 0:
            found.append(Hit(where, needle, text[max(0, position - 40) : position + len(needle) + 40]))
        elif needle.isdigit() and needle in digits:
            found.append(Hit(where, needle, "(digits of) " + text[:120]))
    return found


async def database_hits(url: str, needles: list[str], *, skip_tables: frozenset[str] = frozenset()) -> list[Hit]:
    """Every row of every table of the database at an async SQLAlchemy URL, as text."""
    engine = create_async_engine(url)
    found: list[Hit] = []
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                if table.name in skip_tables:
                    continue
                for row in (await connection.execute(select(table))).all():
                    found += hits_in(" | ".join(map(str, row)), needles, f"table {table.name}")
    finally:
        await engine.dispose()
    return found


def sqlite_file_hits(path: Path, needles: list[str]) -> list[Hit]:
    """Every row of every table of a SQLite file (Rasa's tracker store on the embedded default)."""
    found: list[Hit] = []
    with closing(sqlite3.connect(path)) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                found += hits_in(" | ".join(map(str, row)), needles, f"{path.name} table {table}")
    return found


def log_hits(log_dir: Path, needles: list[str]) -> list[Hit]:
    found: list[Hit] = []
    for path in sorted(log_dir.rglob("*")):
        if path.is_file():
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                found += hits_in(line, needles, f"log {path.name}:{number}")
    return found


def sqlite_tracker_path(db_url: str) -> Path | None:
    """Rasa's own SQLite file beside ours (bot/stack/services.py), None on PostgreSQL."""
    from bot.stack.services import tracker_store_env

    tracker_url = make_url(tracker_store_env(db_url)["TRACKER_URL"])
    return Path(tracker_url.database) if tracker_url.get_backend_name() == "sqlite" else None
