"""Command line: `python -m bot <command>`.

To add a command, add one entry to COMMANDS; nothing else needs to change:
- `Command(help, run=async_fn, configure=fn)`: `configure(parser)` adds options and
  `async run(args) -> int` runs on a fresh event loop;
- `Command(help, delegate="package.module:main")`: a module with its own
  argparse; `main(argv) -> int` (or `main() -> int`) gets the remaining arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Command:
    help: str
    run: Callable[[argparse.Namespace], Awaitable[int]] | None = None
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    delegate: str | None = None  # "module:function", imported only when the command runs


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="database to use (default: $DATABASE_URL, else var/bpo.sqlite3)",
    )


def _resolve_url(args: argparse.Namespace) -> str:
    # Imported here so `python -m bot --help` stays fast and works without DB drivers.
    from bot.db.engine import database_url, to_async_url

    return to_async_url(args.database_url) if args.database_url else database_url()


def _printable(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _migrate(args: argparse.Namespace) -> int:
    from bot.db.migrate import current_revision, upgrade

    url = _resolve_url(args)
    await upgrade(url)
    print(f"database {_printable(url)} is at revision {await current_revision(url)}")
    return 0


async def _seed_demo(args: argparse.Namespace) -> int:
    from bot.db.engine import Database
    from bot.db.migrate import upgrade
    from bot.demo import seed_demo
    from bot.demo.firms import FIRMS
    from bot.handoff.demo_agents import seed_demo_agents
    from bot.portal.demo_users import DEMO_PORTAL_PASSWORD, seed_demo_portal_users
    from bot.reports.history import seed_demo_history

    url = _resolve_url(args)
    await upgrade(url)  # seeding needs the schema; upgrading an up-to-date database is a no-op
    database = Database(url)
    try:
        async with database.sessionmaker.begin() as session:
            summary = await seed_demo(session)
            agents = await seed_demo_agents(session)
            firm_users = await seed_demo_portal_users(session)
            # Reports need a few weeks of chats to show; only firms without history get it.
            history = await seed_demo_history(session, [firm.slug for firm in FIRMS])
    finally:
        await database.dispose()
    print(f"demo data is in {_printable(url)} ({summary.tenants_created} new tenants)")
    if history:
        print(f"three weeks of chat history for the reports: {', '.join(history)}")
    print("demo customers (verify with the postcode or the e-mail):")
    for customer in summary.demo_customers:
        print(
            f"  {customer.tenant_slug:<11} account {customer.account_number}  {customer.name:<15}"
            f" postcode {customer.postcode:<8} e-mail {customer.email}"
        )
    print(f"demo agents (console at /agent, password {agents.password!r}):")
    for agent in agents.agents:
        print(f"  {agent.email:<18} {agent.role:<10} serves {', '.join(agent.tenants)}")
    print(f"demo firm users (portal at /portal, password {DEMO_PORTAL_PASSWORD!r}; supervisors use theirs):")
    for user in firm_users:
        print(f"  {user.email:<26} {user.role:<7} {user.tenant}")
    return 0


async def _show_tenants(args: argparse.Namespace) -> int:
    from bot.db.engine import Database
    from bot.db.tenants import list_tenants

    database = Database(_resolve_url(args))
    try:
        async with database.sessionmaker() as session:
            tenants = await list_tenants(session)
    finally:
        await database.dispose()
    if not tenants:
        print("no tenants; run `python -m bot seed-demo`")
    for tenant in tenants:  # the identity secret is deliberately not shown
        print(f"{tenant.slug:<11} {tenant.name:<22} {' '.join(tenant.allowed_origins)}")
    return 0


COMMANDS: dict[str, Command] = {
    "migrate": Command("upgrade the database schema to the latest revision", _migrate, _database_option),
    "seed-demo": Command("migrate, then load the demo client firms (idempotent)", _seed_demo, _database_option),
    "show-tenants": Command("list tenants with their allowed origins", _show_tenants, _database_option),
    "run": Command("start Rasa, the action server and the gateway", delegate="bot.stack.run:main"),
    "chat": Command("chat with the running assistant from the terminal", delegate="bot.stack.chat:main"),
    "gateway": Command("serve the website chat gateway alone (settings from the environment)", delegate="bot.gateway.__main__:main"),
    # Human handoff administration (bot/admin/cli.py).
    "create-tenant": Command("add a client firm (prints its identity secret once)", delegate="bot.admin.cli:create_tenant"),
    "rotate-identity-secret": Command("give a tenant a new identity secret (printed once)", delegate="bot.admin.cli:rotate_identity_secret"),
    "create-agent": Command("add a human agent (password asked for or from --password-env)", delegate="bot.admin.cli:create_agent"),
    "set-agent-tenants": Command("replace the tenants an agent serves", delegate="bot.admin.cli:set_agent_tenants"),
    "set-agent-languages": Command("replace the languages an agent chats in", delegate="bot.admin.cli:set_agent_languages"),
    "reset-password": Command("set an agent's password and end their sessions", delegate="bot.admin.cli:reset_password"),
    "canned": Command("add, list or remove a tenant's canned responses", delegate="bot.admin.cli:canned"),
    "faq": Command("set or list a tenant's FAQ answers", delegate="bot.admin.cli:faq"),
    # The client firm's portal (bot/portal/cli.py).
    "portal-user": Command("create, invite, list firm users of the portal; reset a password", delegate="bot.portal.cli:main"),
    "api-keys": Command("create, list or revoke a tenant's keys to the public API (a key is printed once)", delegate="bot.admin.cli:api_keys"),
    # Personal data (bot/privacy/cli.py).
    "sweep": Command("delete conversations past their tenant's retention period", delegate="bot.privacy.cli:sweep"),
    "subject": Command("export or erase what is held about one person", delegate="bot.privacy.cli:subject"),
    "audit": Command("list a tenant's audit log", delegate="bot.privacy.cli:audit"),
    # Client-firm integration (issue #14).
    "webhooks": Command("manage a tenant's webhook endpoints and deliveries; run a worker", delegate="bot.webhooks.cli:main"),
    "import-accounts": Command("load a tenant's customer accounts from a CSV file", delegate="bot.account_import.cli:main"),
    # Conversation review (bot/review/cli.py).
    "export-annotations": Command("write conversation-review marks as Rasa NLU YAML (--out FILE.yml)", delegate="bot.review.cli:main"),
    # Reports (issue #13).
    "generate-history": Command("write plausible chat history for a tenant (reports, benchmarks)", delegate="bot.reports.cli:main"),
}


def build_parser(commands: dict[str, Command] = COMMANDS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="BPO support bot tools")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in commands.items():
        # Delegated commands parse their own arguments (and their own --help).
        sub = subparsers.add_parser(
            name, help=command.help, description=command.help, add_help=command.delegate is None
        )
        if command.configure:
            command.configure(sub)
        sub.set_defaults(run=command.run)
    return parser


def _run_delegate(target: str, argv: list[str]) -> int:
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    if inspect.signature(function).parameters:
        return int(function(argv) or 0)
    if argv:
        print(f"error: unexpected arguments {' '.join(argv)}", file=sys.stderr)
        return 2
    return int(function() or 0)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and (command := COMMANDS.get(arguments[0])) and command.delegate:
        return _run_delegate(command.delegate, arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        return asyncio.run(args.run(args))
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the CLI edge: one clear line instead of a traceback
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
