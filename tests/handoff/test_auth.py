"""Agent authentication: argon2 passwords, hashed session tokens, expiry, logout, CSRF."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from bot.db import TenantRef
from bot.db.models import Agent, AgentSession
from bot.admin import use_cases as admin
from bot.handoff.auth import (
    PASSWORD_MAX_CHARS,
    csrf_matches,
    hash_password,
    needs_rehash,
    new_csrf_token,
    new_session_token,
    session_token_hash,
    verify_password,
)
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from bot.handoff.errors import InvalidCredentials, SessionInvalid, WeakPassword
from bot.handoff.login import DEFAULT_SESSION_TTL

from .conftest import KARI, SAM, Desk

WEAK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

# --- pure building blocks --------------------------------------------------------------


def test_a_password_verifies_against_its_argon2_hash_and_nothing_else() -> None:
    stored = hash_password("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password(stored, "")
    assert not verify_password("not a hash", "correct horse battery")


def test_an_over_long_password_is_rejected_without_hashing_it() -> None:
    stored = hash_password("correct horse battery")
    assert not verify_password(stored, "x" * (PASSWORD_MAX_CHARS + 1))


@pytest.mark.parametrize("password", ["short", " " * 20, "x" * (PASSWORD_MAX_CHARS + 1)])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword):
        hash_password(password)


def test_hashes_made_with_weaker_parameters_need_a_rehash() -> None:
    assert needs_rehash(WEAK_HASHER.hash("correct horse battery"))
    assert not needs_rehash(hash_password("correct horse battery"))
    assert needs_rehash("garbage")


def test_session_tokens_are_random_and_stored_only_as_a_hash() -> None:
    first, second = new_session_token(), new_session_token()
    assert first != second and len(first) >= 43
    assert session_token_hash(first) == session_token_hash(first)
    assert first not in session_token_hash(first)


def test_csrf_tokens_match_only_themselves() -> None:
    token = new_csrf_token()
    assert csrf_matches(token, token)
    assert not csrf_matches(token, new_csrf_token())
    assert not csrf_matches(token, token[:-1])
    assert not csrf_matches(token, None)
    assert not csrf_matches(token, "")
    assert not csrf_matches("", "")
    assert not csrf_matches(token, "ø\udcff")  # odd input is a mismatch, not a crash


# --- login, sessions, logout -------------------------------------------------------------


async def test_login_gives_a_session_whose_token_the_database_never_sees(desk: Desk) -> None:
    login = await desk.login.login("Kari@BPO.example ", DEMO_AGENT_PASSWORD)

    assert login.scope.display_name == "Kari"
    assert login.expires_at == desk.clock.now + DEFAULT_SESSION_TTL
    assert login.token not in repr(login) and login.csrf_token not in repr(login)
    async with desk.database.sessionmaker() as session:
        rows = list(await session.scalars(select(AgentSession)))
    assert [row.token_hash for row in rows] == [session_token_hash(login.token)]
    assert all(login.token not in str(value) for row in rows for value in vars(row).values())


async def test_authenticate_returns_the_agents_scope_and_csrf_token(
    desk: Desk, nordlys: TenantRef, fjordnett: TenantRef
) -> None:
    login = await desk.login.login(KARI, DEMO_AGENT_PASSWORD)

    agent = await desk.login.authenticate(login.token)

    assert agent.scope.tenant_ids == {nordlys.id, fjordnett.id}
    assert csrf_matches(agent.csrf_token, login.csrf_token)


@pytest.mark.parametrize(
    ("email", "password"),
    [(KARI, "wrong password!"), ("nobody@bpo.example", DEMO_AGENT_PASSWORD), ("not an email", "x")],
)
async def test_wrong_credentials_get_one_and_the_same_error(desk: Desk, email: str, password: str) -> None:
    with pytest.raises(InvalidCredentials, match="e-mail or password is wrong"):
        await desk.login.login(email, password)
    async with desk.database.sessionmaker() as session:
        assert list(await session.scalars(select(AgentSession))) == []


async def test_a_session_expires_after_its_lifetime(desk: Desk) -> None:
    login = await desk.login.login(SAM, DEMO_AGENT_PASSWORD)
    desk.clock.advance(seconds=DEFAULT_SESSION_TTL.total_seconds() - 1)
    await desk.login.authenticate(login.token)  # still valid, and not extended by use

    desk.clock.advance(seconds=1)
    with pytest.raises(SessionInvalid):
        await desk.login.authenticate(login.token)


async def test_logout_ends_the_session_once(desk: Desk) -> None:
    login = await desk.login.login(SAM, DEMO_AGENT_PASSWORD)
    other_device = await desk.login.login(SAM, DEMO_AGENT_PASSWORD)

    assert await desk.login.logout(login.token) is True
    assert await desk.login.logout(login.token) is False

    with pytest.raises(SessionInvalid):
        await desk.login.authenticate(login.token)
    await desk.login.authenticate(other_device.token)  # only that session ended


@pytest.mark.parametrize("token", [None, "", "made-up-token", "x" * 500])
async def test_unknown_tokens_are_not_logged_in(desk: Desk, token: str | None) -> None:
    with pytest.raises(SessionInvalid):
        await desk.login.authenticate(token)


async def test_a_password_reset_ends_every_session_and_replaces_the_password(desk: Desk) -> None:
    login = await desk.login.login(SAM, DEMO_AGENT_PASSWORD)

    ended = await admin.reset_password(desk.database.sessionmaker, SAM, "a brand new passphrase")

    assert ended == 1
    with pytest.raises(SessionInvalid):
        await desk.login.authenticate(login.token)
    with pytest.raises(InvalidCredentials):
        await desk.login.login(SAM, DEMO_AGENT_PASSWORD)
    await desk.login.login(SAM, "a brand new passphrase")


async def test_login_upgrades_a_hash_made_with_weaker_parameters(desk: Desk) -> None:
    async with desk.database.sessionmaker.begin() as session:
        await session.execute(
            update(Agent).where(Agent.email == SAM).values(password_hash=WEAK_HASHER.hash("old but fine pass"))
        )

    await desk.login.login(SAM, "old but fine pass")

    async with desk.database.sessionmaker() as session:
        stored = await session.scalar(select(Agent.password_hash).where(Agent.email == SAM))
    assert stored is not None and not needs_rehash(stored)
    assert verify_password(stored, "old but fine pass")


async def test_the_scope_follows_changes_to_the_agents_tenants(desk: Desk, lighthouse: TenantRef) -> None:
    login = await desk.login.login(KARI, DEMO_AGENT_PASSWORD)

    await admin.set_agent_tenants(desk.database.sessionmaker, KARI, ["lighthouse"])

    assert (await desk.login.authenticate(login.token)).scope.tenant_ids == {lighthouse.id}
