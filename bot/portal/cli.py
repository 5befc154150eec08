"""`python -m bot portal-user ...`: the BPO operator manages client firms' portal users.

  create EMAIL --tenant T --name N [--role admin|viewer] [--password-env VAR]
  invite EMAIL --tenant T [--role viewer|admin]   prints a single-use link (shown once)
  list --tenant T
  reset-password EMAIL [--password-env VAR]        also ends the user's sessions

Passwords come from --password-env or a prompt without echo (bot.admin.cli), never printed.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta

from bot.admin.cli import Sessionmaker, _database_option, _execute, read_password
from bot.db.audit import Actor
from bot.db.errors import TenantNotFound
from bot.db.models import PORTAL_ROLES
from bot.db.portal_users import list_portal_users
from bot.db.tenants import tenant_ref
from bot.portal import users

DEFAULT_PUBLIC_URL = "http://localhost:8000"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot portal-user", description="Manage the client firms' portal users (/portal)."
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="add a firm user with a password")
    create.add_argument("email")
    create.add_argument("--tenant", required=True, help="the firm's tenant slug")
    create.add_argument("--name", required=True, help="the person's name")
    create.add_argument("--role", choices=PORTAL_ROLES, default="admin")
    create.add_argument("--password-env", metavar="VAR", help="read the password from $VAR (default: ask)")
    invite = actions.add_parser("invite", help="print a single-use invitation link (the invitee sets a password)")
    invite.add_argument("email")
    invite.add_argument("--tenant", required=True)
    invite.add_argument("--role", choices=PORTAL_ROLES, default="viewer")
    invite.add_argument("--days", type=float, default=7.0, help="the link works this many days (default 7)")
    invite.add_argument("--public-url", help="the gateway's public URL (default $PUBLIC_URL)")
    listing = actions.add_parser("list", help="show a firm's portal users")
    listing.add_argument("--tenant", required=True)
    reset = actions.add_parser("reset-password", help="set a firm user's password and end their sessions")
    reset.add_argument("email")
    reset.add_argument("--password-env", metavar="VAR")
    for sub in (create, invite, listing, reset):
        _database_option(sub)
    return _execute(parser.parse_args(argv), _run)


async def _run(args: argparse.Namespace, sessionmaker: Sessionmaker) -> int:
    if args.action == "create":
        user = await users.create_firm_user(
            sessionmaker, tenant_slug=args.tenant, email=args.email, display_name=args.name,
            role=args.role, password=read_password(args.password_env), actor=Actor.cli(),
        )
        print(f"portal user {user.email} ({user.role}) created for {args.tenant}")
        return 0
    if args.action == "invite":
        new = await users.invite_by_slug(
            sessionmaker, tenant_slug=args.tenant, email=args.email, role=args.role,
            actor=Actor.cli(), ttl=timedelta(days=args.days),
        )
        public_url = args.public_url or os.environ.get("PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL
        print(f"invitation for {new.email} ({new.role}) to {args.tenant}, valid until "
              f"{new.expires_at:%Y-%m-%d %H:%M} UTC, usable once (shown only now):")
        print(f"  {new.link(public_url)}")
        return 0
    if args.action == "list":
        async with sessionmaker() as session:
            tenant = await tenant_ref(session, args.tenant)
            if tenant is None:
                raise TenantNotFound(args.tenant)
            people = await list_portal_users(session, tenant.id)
        if not people:
            print(f"{args.tenant} has no portal users")
        for person in people:
            print(f"{person.email:<30} {person.role:<7} {person.display_name}")
        return 0
    ended = await users.reset_firm_password(
        sessionmaker, args.email, read_password(args.password_env), actor=Actor.cli()
    )
    print(f"password of {args.email} changed; {ended} session(s) ended")
    return 0
