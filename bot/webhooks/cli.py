"""`python -m bot webhooks add|list|events|rotate-secret|enable|disable|remove|deliveries|redeliver|work`.

The same use cases as the admin API (bot.webhooks.admin). Secrets are printed once, by add and rotate-secret, for the operator to pass on;
list never shows them.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.db.engine import Database, database_url, to_async_url
from bot.db.errors import DomainError
from bot.db.models import WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES
from bot.webhooks import admin as use_cases
from bot.webhooks.admin import Sessionmaker
from bot.webhooks.guard import DestinationRefused
from bot.webhooks.settings import WebhookSettings
from bot.webhooks.worker import DeliveryWorker


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot webhooks", description="manage a tenant's webhooks")
    parser.add_argument("--database-url", help="database to use (default: $DATABASE_URL, else var/bpo.sqlite3)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, tenant: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if tenant:
            p.add_argument("--tenant", required=True, help="tenant slug")
        return p

    add = action("add", "register an endpoint (prints its secret once)")
    add.add_argument("url")
    add.add_argument(
        "--events", default="*",
        help=f"comma-separated, '*' = all but message.created; one of {', '.join(WEBHOOK_EVENT_TYPES)}",
    )
    add.add_argument("--allow-loopback-http", action="store_true", help=argparse.SUPPRESS)
    action("list", "list endpoints (without secrets)")
    events = action("events", "change the event types an endpoint receives")
    events.add_argument("endpoint", type=int)
    events.add_argument("--events", required=True, help="comma-separated, as for add")
    for name, text in (
        ("rotate-secret", "new secret (printed once); the old one stays valid for --overlap-hours"),
        ("enable", "enable an endpoint again"),
        ("disable", "stop delivering to an endpoint"),
        ("remove", "remove an endpoint and its deliveries"),
    ):
        p = action(name, text)
        p.add_argument("endpoint", type=int)
        if name == "rotate-secret":
            p.add_argument("--overlap-hours", type=float, default=24.0)
    deliveries = action("deliveries", "the delivery log, newest first")
    deliveries.add_argument("--endpoint", type=int)
    deliveries.add_argument("--status", choices=WEBHOOK_DELIVERY_STATUSES)
    deliveries.add_argument("--event", help="an event id")
    deliveries.add_argument("--limit", type=int, default=50)
    redeliver = action("redeliver", "queue a delivery again now")
    redeliver.add_argument("delivery", type=int)
    work = action("work", "run a delivery worker until interrupted", tenant=False)
    work.add_argument("--poll-interval", type=float, default=1.0)
    work.add_argument("--lease-seconds", type=float, default=60.0)
    work.add_argument("--timeout", type=float, default=10.0)
    work.add_argument("--backoff-base", type=float, default=10.0)
    work.add_argument("--allow-loopback-http", action="store_true", help=argparse.SUPPRESS)
    return parser


Action = Callable[[argparse.Namespace, Sessionmaker], Awaitable[int]]


async def _add(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    endpoint, secret = await use_cases.register_endpoint(
        sessionmaker, args.tenant, args.url, args.events.split(","),
        allow_loopback_http=args.allow_loopback_http,
    )
    print(f"endpoint {endpoint.id} -> {endpoint.url} ({', '.join(endpoint.events)})")
    print(f"secret (shown once): {secret}")
    return 0


async def _list(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    endpoints = await use_cases.list_endpoints(sessionmaker, args.tenant)
    if not endpoints:
        print("no webhook endpoints")
    for e in endpoints:
        state = "enabled" if e.enabled else f"DISABLED: {e.disabled_reason}"
        rotation = (
            f" (previous secret valid until {e.previous_secret_valid_until.isoformat()})"
            if e.previous_secret_valid_until else ""
        )
        print(f"{e.id:>4}  {e.url}  events={','.join(e.events)}  {state}{rotation}")
    return 0


async def _events(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    endpoint = await use_cases.update_endpoint(
        sessionmaker, args.tenant, args.endpoint, events=args.events.split(",")
    )
    print(f"endpoint {endpoint.id} events={','.join(endpoint.events)}")
    return 0


async def _rotate(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    _, secret = await use_cases.rotate_secret(
        sessionmaker, args.tenant, args.endpoint, overlap=timedelta(hours=args.overlap_hours)
    )
    print(f"new secret (shown once): {secret}")
    print(f"the previous secret keeps signing for {args.overlap_hours:g} h")
    return 0


async def _enable(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    await use_cases.update_endpoint(sessionmaker, args.tenant, args.endpoint, enabled=args.action == "enable")
    print(f"endpoint {args.endpoint} {args.action}d")
    return 0


async def _remove(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    await use_cases.remove_endpoint(sessionmaker, args.tenant, args.endpoint)
    print(f"endpoint {args.endpoint} removed")
    return 0


async def _deliveries(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    records = await use_cases.deliveries(
        sessionmaker, args.tenant, endpoint_id=args.endpoint, status=args.status, event_id=args.event,
        limit=args.limit,
    )
    if not records:
        print("no deliveries")
    for r in records:
        detail = f"HTTP {r.last_status_code}" if r.last_status_code else ""
        if r.last_error:
            detail = f"{detail} {r.last_error}".strip()
        print(
            f"{r.id:>6}  endpoint {r.endpoint_id}  {r.event_type:<22} {r.event_id}  {r.status:<9}"
            f" attempts={r.attempts}  {detail}"
        )
    return 0


async def _redeliver(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    await use_cases.redeliver(sessionmaker, args.tenant, args.delivery)
    print(f"delivery {args.delivery} queued again")
    return 0


ACTIONS: dict[str, Action] = {
    "add": _add, "list": _list, "events": _events, "rotate-secret": _rotate, "enable": _enable,
    "disable": _enable, "remove": _remove, "deliveries": _deliveries, "redeliver": _redeliver,
}


async def _run(args: argparse.Namespace) -> int:
    url = to_async_url(args.database_url) if args.database_url else database_url()
    database = Database(url)
    try:
        if args.action == "work":
            return await _work(args, database)
        return await ACTIONS[args.action](args, database.sessionmaker)
    finally:
        await database.dispose()


async def _work(args: argparse.Namespace, database: Database) -> int:
    settings = WebhookSettings(
        allow_loopback_http=args.allow_loopback_http,
        poll_interval=args.poll_interval,
        lease=timedelta(seconds=args.lease_seconds),
        timeout=args.timeout,
        backoff_base=args.backoff_base,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print("webhook delivery worker running", flush=True)
    async with DeliveryWorker(database.sessionmaker, settings) as worker:
        await worker.run(stop)
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (DomainError, DestinationRefused) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
