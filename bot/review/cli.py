"""`python -m bot export-annotations [--tenant T] [--since DATE] --out FILE.yml`.

Writes the reviewers' marks as Rasa NLU data (bot/review/export.py explains the file).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import select

from bot.db.engine import Database, database_url, to_async_url
from bot.db.models import Tenant
from bot.db.types import utcnow
from bot.review.catalog import DEFAULT_DATA
from bot.review.export import build_export, marks_for_export, render_nlu_yaml
from bot.review.training_data import load_training_examples


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot export-annotations",
        description="write conversation-review marks as Rasa NLU YAML for the model maintainers",
    )
    parser.add_argument("--tenant", help="only this tenant's marks (slug); default: every tenant")
    parser.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="only marks set or changed on or after this day (UTC)")
    parser.add_argument("--out", required=True, type=Path, help="the YAML file to write")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the assistant's training data, to leave out what it already has (default: data/)")
    parser.add_argument("--database-url", help="database to use (default: $DATABASE_URL, else var/bpo.sqlite3)")
    return parser


async def _export(args: argparse.Namespace) -> int:
    training = await asyncio.to_thread(load_training_examples, args.data)
    database = Database(to_async_url(args.database_url) if args.database_url else database_url())
    since = datetime.combine(args.since, time.min, tzinfo=UTC) if args.since else None
    try:
        async with database.sessionmaker() as session:
            tenant_id = None
            if args.tenant:
                tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == args.tenant))
                if tenant_id is None:
                    print(f"error: no tenant {args.tenant!r}", file=sys.stderr)
                    return 2
            marks = await marks_for_export(session, tenant_id=tenant_id, since=since)
    finally:
        await database.dispose()
    export = build_export(marks, training)
    header = [
        f"Conversation review marks, exported {utcnow():%Y-%m-%d %H:%M} UTC by `python -m bot export-annotations`",
        f"tenant: {args.tenant or 'all'}; marked since: {args.since or 'ever'}.",
        "Customer messages as stored: personal data is replaced by placeholders such as [email].",
        "Review each example, then copy the ones you agree with into data/ and retrain.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_nlu_yaml(export, header=header), encoding="utf-8")
    print(
        f"wrote {export.example_count} examples of {len(export.examples)} intents to {args.out}"
        f" ({len(export.new_answers)} need a new answer, {len(export.conflicts)} conflicting,"
        f" {len(export.already_trained)} already trained; listed as comments)"
    )
    return 0


def main(argv: list[str]) -> int:
    return asyncio.run(_export(_parser().parse_args(argv)))
