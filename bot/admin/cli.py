"""Admin commands of `python -m bot` (registered in bot.cli.COMMANDS as delegates).

Each `<command>(argv) -> int` parses its own arguments; bot.cli imports this
module only when one of them runs. Passwords are read from
an environment variable named with --password-env, or asked for twice without
echo; they are never printed. Identity secrets are printed once, to stdout, for
the operator to pass on.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.agents import MAX_CONCURRENT_CHATS_LIMIT
from bot.db.audit import Actor
from bot.db.canned import normalize_shortcut
from bot.db.engine import Database, database_url, to_async_url
from bot.db.errors import DomainError
from bot.db.migrate import current_revision, head_revision
from bot.db.models import API_KEY_SCOPES, AGENT_ROLES, CURRENCIES, DEFAULT_MAX_CONCURRENT_CHATS, LANGUAGES
from bot.db.tenant_admin import NewTenant
from bot.admin import use_cases as admin
from bot.handoff.business_hours import InvalidBusinessHours

# Monday to Friday 08:00-16:00, closed at weekends.
DEFAULT_BUSINESS_HOURS = (
    '{"mon": [["08:00", "16:00"]], "tue": [["08:00", "16:00"]], "wed": [["08:00", "16:00"]],'
    ' "thu": [["08:00", "16:00"]], "fri": [["08:00", "16:00"]], "sat": [], "sun": []}'
)

Sessionmaker = async_sessionmaker[AsyncSession]
Run = Callable[[argparse.Namespace, Sessionmaker], Awaitable[int]]


class UsageProblem(Exception):
    """Input the command cannot use (no password given, passwords differ, bad JSON)."""


# --- plumbing ----------------------------------------------------------------------


def _parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m bot {command}", description=description)
    _database_option(parser)
    return parser


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", help="database to use (default: $DATABASE_URL, else var/bpo.sqlite3)"
    )


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from environment variable VAR (default: ask without echo)",
    )


def _execute(args: argparse.Namespace, run: Run) -> int:
    try:
        return asyncio.run(_with_database(args, run))
    except KeyboardInterrupt:
        return 130
    except (DomainError, InvalidBusinessHours, UsageProblem) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the CLI edge: one clear line instead of a traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


async def _with_database(args: argparse.Namespace, run: Run) -> int:
    url = to_async_url(args.database_url) if args.database_url else database_url()
    if await current_revision(url) != head_revision():
        raise UsageProblem("the database schema is not up to date; run `python -m bot migrate` first")
    database = Database(url)
    try:
        return await run(args, database.sessionmaker)
    finally:
        await database.dispose()


def read_password(env_var: str | None) -> str:
    """From $env_var, or asked twice on the terminal without echo."""
    if env_var:
        value = os.environ.get(env_var)
        if not value:
            raise UsageProblem(f"environment variable {env_var} is not set or empty")
        return value
    if not sys.stdin.isatty():
        raise UsageProblem("no terminal to ask for the password on; use --password-env VAR")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise UsageProblem("the two passwords differ")
    return first


# --- tenants -----------------------------------------------------------------------


def create_tenant(argv: list[str]) -> int:
    parser = _parser("create-tenant", "Add a client firm; prints its identity secret once.")
    parser.add_argument("slug", help="short name used in URLs, e.g. nordlys")
    parser.add_argument("--name", required=True, help="display name, e.g. 'Nordlys Energi'")
    parser.add_argument("--trade", required=True, help="line of business, e.g. electricity")
    parser.add_argument("--language", required=True, choices=LANGUAGES)
    parser.add_argument("--time-zone", required=True, help="IANA zone, e.g. Europe/Oslo")
    parser.add_argument("--currency", required=True, choices=CURRENCIES)
    parser.add_argument("--ticket-prefix", required=True, help="three letters, e.g. NRD")
    parser.add_argument(
        "--origin", action="append", default=[], help="website origin allowed to embed the widget (repeatable)"
    )
    parser.add_argument(
        "--business-hours",
        default=DEFAULT_BUSINESS_HOURS,
        help='JSON like {"mon": [["08:00", "16:00"]], ..., "sun": []} (default: Mon-Fri 08-16)',
    )
    parser.add_argument("--no-auto-assign", action="store_true", help="agents claim chats themselves")
    return _execute(parser.parse_args(argv), _create_tenant)


async def _create_tenant(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    try:
        hours = json.loads(args.business_hours)
    except json.JSONDecodeError as error:
        raise UsageProblem(f"--business-hours is not valid JSON ({error.msg})") from error
    tenant, secret = await admin.create_tenant(
        sessionmaker,
        NewTenant(
            slug=args.slug,
            name=args.name,
            trade=args.trade,
            language=args.language,
            time_zone=args.time_zone,
            currency=args.currency,
            ticket_prefix=args.ticket_prefix,
            business_hours=hours,
            allowed_origins=tuple(args.origin),
            auto_assign=not args.no_auto_assign,
        ),
        actor=Actor.cli(),
    )
    print(f"tenant {tenant.slug} created (tickets {tenant.ticket_prefix}-1001 onwards)")
    _print_secret(secret)
    return 0


def rotate_identity_secret(argv: list[str]) -> int:
    parser = _parser(
        "rotate-identity-secret",
        "Give a tenant a new identity secret (prints it once); identities signed with the old one stop verifying.",
    )
    parser.add_argument("slug")
    return _execute(parser.parse_args(argv), _rotate_identity_secret)


async def _rotate_identity_secret(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    secret = await admin.rotate_identity_secret(sessionmaker, args.slug, actor=Actor.cli())
    print(f"tenant {args.slug} has a new identity secret")
    _print_secret(secret)
    return 0


def _print_secret(secret: str) -> None:
    print("identity secret (shown only now; give it to the firm's web team over a safe channel):")
    print(f"  {secret}")


# --- agents ------------------------------------------------------------------------


def create_agent(argv: list[str]) -> int:
    parser = _parser("create-agent", "Add a human agent (the password is asked for, or read from --password-env).")
    parser.add_argument("email")
    parser.add_argument("--name", required=True, help="name shown to customers, e.g. Kari")
    parser.add_argument("--role", choices=AGENT_ROLES, default="agent")
    parser.add_argument("--tenant", action="append", default=[], help="tenant slug the agent serves (repeatable)")
    parser.add_argument(
        "--language",
        action="append",
        choices=LANGUAGES,
        help="language the agent chats in (repeatable; default en)",
    )
    parser.add_argument(
        "--max-chats",
        type=int,
        default=DEFAULT_MAX_CONCURRENT_CHATS,
        help=f"concurrent chats, 1..{MAX_CONCURRENT_CHATS_LIMIT} (default {DEFAULT_MAX_CONCURRENT_CHATS})",
    )
    _password_option(parser)
    return _execute(parser.parse_args(argv), _create_agent)


async def _create_agent(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    agent = await admin.create_agent(
        sessionmaker,
        email=args.email,
        display_name=args.name,
        password=read_password(args.password_env),
        role=args.role,
        tenant_slugs=args.tenant,
        languages=args.language or ["en"],
        max_concurrent_chats=args.max_chats,
        actor=Actor.cli(),
    )
    tenants = ", ".join(args.tenant) or "no tenants yet (see set-agent-tenants)"
    print(f"agent {agent.email} ({agent.role}) created; serves {tenants}; speaks {', '.join(agent.languages)}")
    return 0


def set_agent_tenants(argv: list[str]) -> int:
    parser = _parser(
        "set-agent-tenants",
        "Replace the tenants an agent serves; their open chats of dropped tenants go back to the queue.",
    )
    parser.add_argument("email")
    parser.add_argument("slugs", nargs="*", metavar="SLUG", help="tenant slugs (none: serves nobody)")
    return _execute(parser.parse_args(argv), _set_agent_tenants)


async def _set_agent_tenants(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    requeued = await admin.set_agent_tenants(sessionmaker, args.email, args.slugs, actor=Actor.cli())
    await _tell_gateways(sessionmaker, args.email)
    print(f"{args.email} now serves {', '.join(args.slugs) or 'no tenants'}")
    if requeued:
        print(f"{requeued} open chat(s) of dropped tenants went back to the queue")
    return 0


def set_agent_languages(argv: list[str]) -> int:
    parser = _parser("set-agent-languages", "Replace the languages an agent chats in.")
    parser.add_argument("email")
    parser.add_argument("languages", nargs="+", metavar="LANGUAGE", choices=LANGUAGES)
    return _execute(parser.parse_args(argv), _set_agent_languages)


async def _set_agent_languages(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    await admin.set_agent_languages(sessionmaker, args.email, args.languages, actor=Actor.cli())
    print(f"{args.email} now chats in {', '.join(dict.fromkeys(args.languages))}")
    return 0


def reset_password(argv: list[str]) -> int:
    parser = _parser("reset-password", "Set an agent's password and log them out everywhere.")
    parser.add_argument("email")
    _password_option(parser)
    return _execute(parser.parse_args(argv), _reset_password)


async def _reset_password(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    ended = await admin.reset_password(
        sessionmaker, args.email, read_password(args.password_env), actor=Actor.cli()
    )
    await _tell_gateways(sessionmaker, args.email)
    print(f"password of {args.email} changed; {ended} session(s) ended")
    return 0


async def _tell_gateways(sessionmaker: Sessionmaker, email: str) -> None:
    """With REDIS_URL, the agent's open consoles on every gateway re-check at once; without
    it they do within AGENT_SESSION_RECHECK_SECONDS."""
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        return
    from redis.asyncio import Redis

    from bot.db.agents import find_agent_by_email
    from bot.events.agent_access import publish_access_changed
    from bot.events.redis_bus import RedisBus

    async with sessionmaker() as session:
        agent = await find_agent_by_email(session, email)
    if agent is None:
        return
    redis = Redis.from_url(url, socket_connect_timeout=2.0)
    bus = RedisBus(redis, prefix=os.environ.get("REDIS_PREFIX", "").strip() or "bpo:")
    try:
        await publish_access_changed(bus, agent.id)
    finally:
        await bus.close()
        await redis.aclose()


# --- canned responses and FAQ answers ------------------------------------------------


def canned(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot canned", description="Manage a tenant's canned responses for agents."
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a response, or replace the text of its shortcut")
    add.add_argument("slug")
    add.add_argument("shortcut", help="e.g. greeting (agents type /greeting)")
    add.add_argument("text")
    listing = actions.add_parser("list", help="show the tenant's canned responses")
    listing.add_argument("slug")
    remove = actions.add_parser("remove", help="delete a canned response")
    remove.add_argument("slug")
    remove.add_argument("shortcut")
    for sub in (add, listing, remove):
        _database_option(sub)
    return _execute(parser.parse_args(argv), _canned)


async def _canned(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    if args.action == "add":
        added = await admin.put_canned_response(
            sessionmaker, args.slug, args.shortcut, args.text, actor=Actor.cli()
        )
        print(f"{'added' if added else 'replaced'} /{normalize_shortcut(args.shortcut)} for {args.slug}")
        return 0
    if args.action == "remove":
        if not await admin.remove_canned_response(
            sessionmaker, args.slug, args.shortcut, actor=Actor.cli()
        ):
            print(f"error: {args.slug} has no canned response /{args.shortcut}", file=sys.stderr)
            return 1
        print(f"removed /{normalize_shortcut(args.shortcut)} from {args.slug}")
        return 0
    responses = await admin.canned_responses(sessionmaker, args.slug)
    if not responses:
        print(f"{args.slug} has no canned responses")
    for response in responses:
        print(f"/{response.shortcut:<20} {response.text}")
    return 0


def faq(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot faq",
        description="Manage a tenant's own FAQ answers (the assistant's retrieval answers).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    put = actions.add_parser("set", help="add or replace the answer for a response key and language")
    put.add_argument("slug")
    put.add_argument("key", help="response key of the faq intent, e.g. opening_hours")
    put.add_argument("language", choices=LANGUAGES)
    put.add_argument("answer")
    listing = actions.add_parser("list", help="show the tenant's FAQ answers")
    listing.add_argument("slug")
    listing.add_argument("--language", choices=LANGUAGES)
    for sub in (put, listing):
        _database_option(sub)
    return _execute(parser.parse_args(argv), _faq)


async def _faq(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    if args.action == "set":
        added = await admin.set_faq_answer(
            sessionmaker, args.slug, args.key, args.language, args.answer, actor=Actor.cli()
        )
        print(f"{'added' if added else 'replaced'} {args.key} [{args.language}] for {args.slug}")
        return 0
    answers = await admin.faq_answers(sessionmaker, args.slug, language=args.language)
    if not answers:
        print(f"{args.slug} has no FAQ answers")
    for answer in answers:
        print(f"{answer.key} [{answer.language}] {answer.answer}")
    return 0


# --- API keys of the public REST API --------------------------------------------------


def api_keys(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot api-keys",
        description="Manage a tenant's keys to the public REST API (/api/v1/firm; docs/api.md).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="issue a key (printed once; only its hash is stored)")
    create.add_argument("slug")
    create.add_argument("--name", required=True, help="what the key is for, e.g. 'CRM sync'")
    create.add_argument(
        "--scopes", required=True, help=f"comma-separated: {', '.join(API_KEY_SCOPES)}"
    )
    listing = actions.add_parser("list", help="the tenant's keys: prefix, name, scopes, last use (never the key)")
    listing.add_argument("slug")
    revoke = actions.add_parser("revoke", help="stop a key at once")
    revoke.add_argument("slug")
    revoke.add_argument("prefix", help="the key's prefix as `list` shows it, e.g. bpo_1a2b3c4d5e6f")
    for sub in (create, listing, revoke):
        _database_option(sub)
    return _execute(parser.parse_args(argv), _api_keys)


async def _api_keys(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    if args.action == "create":
        row, key = await admin.create_api_key(
            sessionmaker, args.slug, args.name, args.scopes.split(","), actor=Actor.cli()
        )
        print(f"API key {row.prefix} for {args.slug} ({', '.join(row.scopes)})", file=sys.stderr)
        print("the key (shown once, store it now):", file=sys.stderr)
        print(key)  # alone on stdout, so a script can capture it
        return 0
    if args.action == "revoke":
        row = await admin.revoke_api_key(sessionmaker, args.slug, args.prefix, actor=Actor.cli())
        print(f"revoked {row.prefix} of {args.slug}")
        return 0
    rows = await admin.list_api_keys(sessionmaker, args.slug)
    if not rows:
        print(f"{args.slug} has no API keys")
    for row in rows:
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never used"
        state = f"revoked {row.revoked_at.isoformat(timespec='seconds')}" if row.revoked_at else "active"
        print(f"{row.prefix}  {row.name:<24} {','.join(row.scopes):<40} {used:<26} {state}")
    return 0
