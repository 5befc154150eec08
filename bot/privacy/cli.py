"""`python -m bot sweep | subject | audit`: personal-data commands (delegated from bot/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.db.engine import Database, database_url, to_async_url


def _database_url(args: argparse.Namespace) -> str:
    return to_async_url(args.database_url) if args.database_url else database_url()


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m bot {prog}", description=description)
    parser.add_argument("--database-url", help="database to use (default: $DATABASE_URL, else var/bpo.sqlite3)")
    return parser


def sweep(argv: list[str]) -> int:
    args = _parser("sweep", "delete conversations past their tenant's retention period").parse_args(argv)
    return asyncio.run(_sweep(_database_url(args)))


async def _sweep(url: str) -> int:
    from bot.privacy.retention import sweep as run_sweep
    from bot.privacy.tracker import TrackerStore

    database, tracker = Database(url), TrackerStore.beside(url)
    try:
        result = await run_sweep(database, tracker)
    finally:
        await database.dispose()
        await tracker.dispose()
    print(
        f"deleted {result.conversations} conversations ({result.messages} messages, {result.notes} notes,"
        f" {result.tracker_events} tracker events) and {result.orphan_trackers} orphaned Rasa trackers"
    )
    for slug, count in sorted(result.per_tenant.items()):
        print(f"  {slug:<11} {count}")
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _print_json(value: object) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
