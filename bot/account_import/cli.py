"""`python -m bot import-accounts --tenant T FILE.csv [--skip-bad-rows]`.

Every row is checked before anything is written; with any bad row nothing is
imported unless --skip-bad-rows. The good rows go in one transaction (all or
nothing), through one multi-row upsert per batch.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from bot.account_import.csv_rows import CheckedFile, check_rows
from bot.db.accounts import ACCOUNT_FIELDS, bulk_upsert_accounts, existing_account_numbers
from bot.db.engine import Database, database_url, to_async_url
from bot.db.tenants import tenant_ref

MAX_PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot import-accounts",
        description=f"load a tenant's customer accounts from a CSV file with the columns {', '.join(ACCOUNT_FIELDS)}",
    )
    parser.add_argument("--database-url", help="database to use (default: $DATABASE_URL, else var/bpo.sqlite3)")
    parser.add_argument("--tenant", required=True, help="tenant slug")
    parser.add_argument("--skip-bad-rows", action="store_true", help="import the good rows even if some are bad")
    parser.add_argument("file", type=Path)
    return parser


async def import_accounts(database: Database, tenant_slug: str, checked: CheckedFile) -> ImportResult:
    async with database.sessionmaker.begin() as session:
        tenant = await tenant_ref(session, tenant_slug)
        if tenant is None:
            raise LookupError(f"no tenant {tenant_slug!r}")
        existing = await existing_account_numbers(session, tenant.id)
        await bulk_upsert_accounts(session, tenant.id, checked.accounts)
    updated = sum(1 for account in checked.accounts if account.account_number in existing)
    return ImportResult(created=len(checked.accounts) - updated, updated=updated, skipped=checked.bad_rows)


def _report_problems(checked: CheckedFile) -> None:
    for problem in checked.problems[:MAX_PROBLEMS_SHOWN]:
        print(problem, file=sys.stderr)
    if len(checked.problems) > MAX_PROBLEMS_SHOWN:
        print(f"... and {len(checked.problems) - MAX_PROBLEMS_SHOWN} more problems", file=sys.stderr)


async def _run(args: argparse.Namespace) -> int:
    with args.file.open(newline="", encoding="utf-8-sig") as lines:  # -sig: Excel's BOM
        checked = check_rows(lines)
    _report_problems(checked)
    if checked.header_is_bad:
        print("nothing imported: fix the header row", file=sys.stderr)
        return 1
    if checked.problems and not args.skip_bad_rows:
        print(
            f"nothing imported: {checked.bad_rows} of {checked.rows} rows are bad"
            " (fix them, or use --skip-bad-rows to import the others)",
            file=sys.stderr,
        )
        return 1
    database = Database(to_async_url(args.database_url) if args.database_url else database_url())
    try:
        result = await import_accounts(database, args.tenant, checked)
    finally:
        await database.dispose()
    print(
        f"imported {result.created + result.updated} accounts for {args.tenant}:"
        f" {result.created} created, {result.updated} updated, {result.skipped} bad rows skipped"
    )
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (OSError, UnicodeDecodeError, LookupError, csv.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
