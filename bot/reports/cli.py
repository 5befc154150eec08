"""`python -m bot generate-history`: bulk history for one tenant (reports, benchmarks)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot generate-history",
        description="write N conversations with exactly M messages over the last D days for a tenant",
    )
    parser.add_argument("--tenant", required=True, help="the tenant's slug")
    parser.add_argument("--conversations", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=13, help="same seed, same history")
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else var/bpo.sqlite3")
    args = parser.parse_args(argv)
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.db.engine import Database, database_url, to_async_url
    from bot.db.models import Tenant
    from bot.reports.history import generate_history

    url = to_async_url(args.database_url) if args.database_url else database_url()
    database = Database(url)
    started = time.perf_counter()
    try:
        async with database.sessionmaker.begin() as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == args.tenant))
            if tenant_id is None:
                print(f"no tenant {args.tenant!r}", file=sys.stderr)
                return 2
            try:
                summary = await generate_history(
                    session, tenant_id, conversations=args.conversations,
                    messages=args.messages, days=args.days, seed=args.seed,
                )
            except ValueError as error:
                print(f"cannot generate: {error}", file=sys.stderr)
                return 2
    finally:
        await database.dispose()
    print(
        f"{args.tenant}: {summary.conversations} conversations, {summary.messages} messages,"
        f" {summary.tickets} tickets, {summary.first_day}..{summary.last_day}"
        f" in {time.perf_counter() - started:.1f} s"
    )
    return 0
