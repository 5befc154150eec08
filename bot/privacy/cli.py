"""`python -m bot sweep | subject | audit`: personal-data commands (delegated from bot/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
        f" {result.annotations} annotations, {result.tracker_events} tracker events),"
        f" {result.webhook_events} webhook events ({result.webhook_deliveries} deliveries)"
        f", {result.orphan_trackers} orphaned Rasa trackers"
        f" and {result.sessions} ended sign-in sessions, {result.invites} used or expired invitations"
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


def subject(argv: list[str]) -> int:
    parser = _parser("subject", "export or erase what is held about one person (GDPR requests)")
    parser.add_argument("action", choices=("export", "erase"))
    parser.add_argument("--tenant", required=True, help="the client firm's slug")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--account", help="account number")
    who.add_argument("--email", help="the e-mail on the person's account")
    who.add_argument("--conversation", help="one conversation id")
    parser.add_argument("--by", default=os.environ.get("USER") or "", help="who carries out the request (recorded)")
    parser.add_argument("--with-account", action="store_true", help="erase: the account record too")
    parser.add_argument("--output", help="export: write the JSON here instead of to standard output")
    args = parser.parse_args(argv)
    if not args.by:
        return _fail("say who carries out the request with --by NAME")
    kind = "account" if args.account else "email" if args.email else "conversation"
    value = args.account or args.email or args.conversation
    return asyncio.run(_subject(_database_url(args), args, kind, value))


async def _subject(url: str, args: argparse.Namespace, kind: str, value: str) -> int:
    from bot.db.audit import Actor
    from bot.privacy.subjects import Subject, SubjectNotFound, erase_subject, export_subject
    from bot.privacy.tracker import TrackerStore

    person = Subject(args.tenant, kind, value)
    database, tracker = Database(url), TrackerStore.beside(url)
    try:
        if args.action == "export":
            data = await export_subject(database, tracker, person, Actor.cli(), by=args.by)
        else:
            erased = await erase_subject(database, tracker, person, Actor.cli(), by=args.by,
                                         with_account=args.with_account)
    except SubjectNotFound as error:
        return _fail(str(error))
    finally:
        await database.dispose()
        await tracker.dispose()
    if args.action == "erase":
        print("erased: " + ", ".join(f"{count} {name}" for name, count in erased.as_dict().items()))
        return 0
    if args.output:
        with open(args.output, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, ensure_ascii=False, default=str)
        print(f"exported to {args.output}")
    else:
        _print_json(data)
    return 0


def audit(argv: list[str]) -> int:
    parser = _parser("audit", "list a tenant's audit log, newest first")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--action", help="only this action, e.g. transcript.read")
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args(argv)
    return asyncio.run(_audit(_database_url(args), args))


async def _audit(url: str, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.db.models import Tenant
    from bot.db.audit import entries

    database = Database(url)
    try:
        async with database.sessionmaker() as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == args.tenant))
            if tenant_id is None:
                return _fail(f"no tenant {args.tenant!r}")
            found = await entries(session, [tenant_id], action=args.action, limit=args.limit)
    finally:
        await database.dispose()
    for entry in found:
        actor = f"{entry.actor_kind}:{entry.actor_id}" if entry.actor_id else entry.actor_kind
        target = f"{entry.target_kind}:{entry.target_id}" if entry.target_kind else ""
        print(f"{entry.at:%Y-%m-%d %H:%M:%S} {actor:<12} {entry.actor_role or '':<10} {entry.action:<20} "
              f"{target} {json.dumps(entry.details, ensure_ascii=False) if entry.details else ''}")
    return 0
