"""Admin commands of `python -m bot`: tenants, agents, passwords, canned responses, FAQ answers.

Commands run in-process through bot.cli.main (in a worker thread, as they start
their own event loop), except one real `python -m bot` run proving the wiring.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import select

from bot import cli
from bot.db import Database, Tenant
from bot.db.engine import REPO_ROOT
from bot.db.models import Agent
from bot.handoff.login import AgentLogin

PASSWORD = "a long enough passphrase"
FROM_ENV = ("--password-env", "NEW_AGENT_PASSWORD")


@pytest.fixture
def bot_cli(db_url: str, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `python -m bot ARGS --database-url <test db>` in-process; returns (exit code, stdout, stderr)."""

    async def run(*args: str, url: str = db_url) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(cli.main, [*args, "--database-url", url])
        out, err = capsys.readouterr()
        return code, out, err

    return run


async def _agent(db_url: str, email: str) -> Agent | None:
    database = Database(db_url)
    try:
        async with database.sessionmaker() as session:
            return await session.scalar(select(Agent).where(Agent.email == email))
    finally:
        await database.dispose()


async def _can_log_in(db_url: str, email: str, password: str) -> bool:
    database = Database(db_url)
    try:
        await AgentLogin(database.sessionmaker).login(email, password)
        return True
    except Exception:  # noqa: BLE001 - any refusal counts as "cannot"
        return False
    finally:
        await database.dispose()


class _Terminal:
    """A stdin that claims to be a terminal (getpass itself is replaced)."""

    def isatty(self) -> bool:
        return True


# --- agents --------------------------------------------------------------------------


async def test_create_agent_reads_the_password_from_the_environment_and_never_prints_it(
    bot_cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEW_AGENT_PASSWORD", PASSWORD)

    code, out, err = await bot_cli(
        "create-agent", "Ana@BPO.example", "--name", "Ana", "--tenant", "nordlys",
        "--language", "nb", "--language", "en", "--max-chats", "4", "--password-env", "NEW_AGENT_PASSWORD",
    )

    assert code == 0, err
    assert "ana@bpo.example" in out and PASSWORD not in out + err
    agent = await _agent(db_url, "ana@bpo.example")
    assert agent is not None
    assert (agent.display_name, agent.role, agent.languages, agent.max_concurrent_chats) == ("Ana", "agent", ["nb", "en"], 4)
    assert PASSWORD not in agent.password_hash
    assert await _can_log_in(db_url, "ana@bpo.example", PASSWORD)


async def test_create_agent_asks_twice_without_echo_on_a_terminal(
    bot_cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setattr(sys, "stdin", _Terminal())

    code, out, err = await bot_cli("create-agent", "ben@bpo.example", "--name", "Ben", "--tenant", "lighthouse")

    assert code == 0, err
    assert len(prompts) == 2
    assert PASSWORD not in out + err
    assert await _can_log_in(db_url, "ben@bpo.example", PASSWORD)


async def test_differing_passwords_create_nobody(bot_cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys, "stdin", _Terminal())

    code, _, err = await bot_cli("create-agent", "ben@bpo.example", "--name", "Ben")

    assert code == 1 and err == "error: the two passwords differ\n"
    assert await _agent(db_url, "ben@bpo.example") is None


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["ben@bpo.example", "--name", "Ben"], None, "no terminal"),
        (["ben@bpo.example", "--name", "Ben"], "short", "at least 12 characters"),
        (["ben@bpo.example", "--name", "Ben", "--tenant", "acme"], PASSWORD, "no tenant 'acme'"),
        (["not-an-email", "--name", "Ben"], PASSWORD, "email: is not an e-mail address"),
        (["ben@bpo.example", "--name", "Ben", "--max-chats", "0"], PASSWORD, "max_concurrent_chats"),
        (["ben@bpo.example", "--name", "  "], PASSWORD, "display_name"),
    ],
)
async def test_create_agent_with_bad_input_explains_and_creates_nobody(
    bot_cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, args: list[str], password: str | None, message: str
) -> None:
    if password is not None:
        monkeypatch.setenv("NEW_AGENT_PASSWORD", password)
        args = [*args, "--password-env", "NEW_AGENT_PASSWORD"]

    code, _, err = await bot_cli("create-agent", *args)

    assert code == 1
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert await _agent(db_url, "ben@bpo.example") is None


async def test_an_e_mail_can_belong_to_one_agent_only(
    bot_cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEW_AGENT_PASSWORD", PASSWORD)
    assert (await bot_cli("create-agent", "ana@bpo.example", "--name", "Ana", *FROM_ENV))[0] == 0

    code, _, err = await bot_cli("create-agent", "ANA@bpo.example", "--name", "Ana Two", *FROM_ENV)

    assert code == 1 and "already exists" in err
    agent = await _agent(db_url, "ana@bpo.example")
    assert agent is not None and agent.display_name == "Ana"


async def test_set_agent_tenants_and_languages(bot_cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEW_AGENT_PASSWORD", PASSWORD)
    await bot_cli("create-agent", "ana@bpo.example", "--name", "Ana", "--tenant", "nordlys", *FROM_ENV)

    assert (await bot_cli("set-agent-tenants", "ana@bpo.example", "fjordnett", "lighthouse"))[0] == 0
    assert (await bot_cli("set-agent-languages", "ana@bpo.example", "nb"))[0] == 0

    database = Database(db_url)
    try:
        login = await AgentLogin(database.sessionmaker).login("ana@bpo.example", PASSWORD)
        async with database.sessionmaker() as session:
            slugs = set(await session.scalars(select(Tenant.slug).where(Tenant.id.in_(login.scope.tenant_ids))))
    finally:
        await database.dispose()
    assert slugs == {"fjordnett", "lighthouse"}
    assert login.scope.languages == ("nb",)


async def test_set_agent_tenants_of_an_unknown_agent_or_tenant_fails_clearly(bot_cli: Any) -> None:
    code, _, err = await bot_cli("set-agent-tenants", "nobody@bpo.example", "nordlys")
    assert code == 1 and "no agent 'nobody@bpo.example'" in err


async def test_reset_password_replaces_it_and_never_prints_it(
    bot_cli: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEW_AGENT_PASSWORD", PASSWORD)
    await bot_cli("create-agent", "ana@bpo.example", "--name", "Ana", *FROM_ENV)
    monkeypatch.setenv("NEW_AGENT_PASSWORD", "another long passphrase")

    code, out, err = await bot_cli("reset-password", "ana@bpo.example", "--password-env", "NEW_AGENT_PASSWORD")

    assert code == 0, err
    assert "another long passphrase" not in out + err
    assert not await _can_log_in(db_url, "ana@bpo.example", PASSWORD)
    assert await _can_log_in(db_url, "ana@bpo.example", "another long passphrase")


# --- tenants ---------------------------------------------------------------------------


async def _identity_secret(db_url: str, slug: str) -> str | None:
    database = Database(db_url)
    try:
        async with database.sessionmaker() as session:
            return await session.scalar(select(Tenant.identity_secret).where(Tenant.slug == slug))
    finally:
        await database.dispose()


async def test_create_tenant_prints_its_identity_secret_once(bot_cli: Any, db_url: str) -> None:
    code, out, err = await bot_cli(
        "create-tenant", "acme", "--name", "Acme Water", "--trade", "water", "--language", "en",
        "--time-zone", "Europe/London", "--currency", "GBP", "--ticket-prefix", "acw",
        "--origin", "https://www.acme.example/", "--no-auto-assign",
    )

    assert code == 0, err
    secret = await _identity_secret(db_url, "acme")
    assert secret is not None and out.count(secret) == 1
    database = Database(db_url)
    try:
        async with database.sessionmaker() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == "acme"))
    finally:
        await database.dispose()
    assert tenant is not None
    assert (tenant.ticket_prefix, tenant.allowed_origins, tenant.auto_assign) == ("ACW", ["https://www.acme.example"], False)
    assert tenant.business_hours["mon"] == [["08:00", "16:00"]] and tenant.business_hours["sun"] == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--business-hours": "{mon: 8-16}"}, "not valid JSON"),
        ({"--business-hours": '{"mon": [["8", "16"]]}'}, "is not a time"),
        ({"--time-zone": "Europe/Atlantis"}, "unknown time zone"),
        ({"--ticket-prefix": "NRD"}, "ticket prefix already exists"),
        ({"--ticket-prefix": "AC1"}, "three letters"),
        ({"--origin": "acme.example"}, "not origins"),
    ],
)
async def test_create_tenant_with_bad_input_explains_and_creates_nothing(
    bot_cli: Any, db_url: str, overrides: dict[str, str], message: str
) -> None:
    options = {
        "--name": "Acme Water", "--trade": "water", "--language": "en", "--time-zone": "Europe/London",
        "--currency": "GBP", "--ticket-prefix": "ACW", **overrides,
    }
    args = [part for option, value in options.items() for part in (option, value)]

    code, _, err = await bot_cli("create-tenant", "acme", *args)

    assert code == 1 and message in err, err
    assert await _identity_secret(db_url, "acme") is None


async def test_rotate_identity_secret_prints_the_new_secret_once(bot_cli: Any, db_url: str) -> None:
    old = await _identity_secret(db_url, "nordlys")

    code, out, err = await bot_cli("rotate-identity-secret", "nordlys")

    new = await _identity_secret(db_url, "nordlys")
    assert code == 0, err
    assert new is not None and new != old
    assert out.count(new) == 1 and str(old) not in out + err


# --- canned responses and FAQ answers -------------------------------------------------------


async def test_canned_responses_are_added_listed_replaced_and_removed(bot_cli: Any) -> None:
    assert (await bot_cli("canned", "add", "lighthouse", "/Policy", "Your policy number is on page 1."))[0] == 0
    code, out, _ = await bot_cli("canned", "add", "lighthouse", "policy", "See page 1 of your policy.")
    assert code == 0 and "replaced /policy" in out

    code, out, _ = await bot_cli("canned", "list", "lighthouse")
    assert code == 0 and "/policy" in out and "See page 1 of your policy." in out
    assert "Your policy number" not in out

    assert (await bot_cli("canned", "remove", "lighthouse", "policy"))[0] == 0
    code, _, err = await bot_cli("canned", "remove", "lighthouse", "policy")
    assert code == 1 and "no canned response /policy" in err
    assert "/policy" not in (await bot_cli("canned", "list", "lighthouse"))[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "lighthouse", "two words", "text"], "shortcut"),
        (["add", "lighthouse", "ok", "   "], "text"),
        (["add", "acme", "ok", "text"], "no tenant 'acme'"),
    ],
)
async def test_bad_canned_responses_are_refused(bot_cli: Any, args: list[str], message: str) -> None:
    code, _, err = await bot_cli("canned", *args)
    assert code == 1 and message in err


async def test_faq_answers_are_set_and_listed(bot_cli: Any) -> None:
    code, out, err = await bot_cli("faq", "set", "fjordnett", "opening_hours", "en", "Open 24/7 online.")
    assert code == 0 and "replaced opening_hours [en]" in out, err

    code, out, _ = await bot_cli("faq", "list", "fjordnett", "--language", "en")
    assert code == 0 and "opening_hours [en] Open 24/7 online." in out

    code, _, err = await bot_cli("faq", "set", "fjordnett", "Opening Hours!", "en", "x")
    assert code == 1 and "key" in err


async def test_admin_commands_on_an_unmigrated_database_say_what_to_do(bot_cli: Any, empty_db_url: str) -> None:
    code, _, err = await bot_cli("canned", "list", "nordlys", url=empty_db_url)
    assert code == 1 and "run `python -m bot migrate` first" in err


# --- the real command line ---------------------------------------------------------------


def test_python_m_bot_offers_the_admin_commands_and_creates_an_agent(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "SAM_PASSWORD": PASSWORD}

    def bot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
        )

    listed = bot("--help")
    created = bot("create-agent", "sam.b@bpo.example", "--name", "Sam B", "--password-env", "SAM_PASSWORD")

    for command in ("create-tenant", "create-agent", "set-agent-tenants", "set-agent-languages",
                    "reset-password", "rotate-identity-secret", "canned", "faq"):
        assert command in listed.stdout
    assert created.returncode == 0, created.stderr
    assert PASSWORD not in created.stdout + created.stderr
    assert asyncio.run(_can_log_in(db_url, "sam.b@bpo.example", PASSWORD))
