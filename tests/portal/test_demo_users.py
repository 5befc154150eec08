"""`seed-demo` gives each demo firm an admin and a viewer who can sign in (idempotent)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from bot.db import Database
from bot.db.engine import REPO_ROOT
from bot.db.models import PortalUser
from bot.portal.demo_users import DEMO_PORTAL_PASSWORD, DEMO_PORTAL_USERS, seed_demo_portal_users
from bot.portal.login import PortalLogin


async def test_seeding_twice_keeps_one_user_each_and_they_sign_in_to_their_firm(portal_db: Database):
    async with portal_db.sessionmaker.begin() as session:
        await seed_demo_portal_users(session)
        assert await session.scalar(select(func.count()).select_from(PortalUser)) == len(DEMO_PORTAL_USERS)
    login = PortalLogin(portal_db.sessionmaker)
    for spec in DEMO_PORTAL_USERS:
        signed_in = await login.login(spec.email, DEMO_PORTAL_PASSWORD)
        assert signed_in.principal.role == spec.role


def test_seed_demo_prints_the_demo_firm_users(empty_db_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "seed-demo"],
        cwd=REPO_ROOT, env={**os.environ, "DATABASE_URL": empty_db_url},
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "admin@nordlys.example" in result.stdout and "viewer@lighthouse.example" in result.stdout
    assert DEMO_PORTAL_PASSWORD in result.stdout
