"""`python -m bot` migrates, seeds and lists tenants without revealing secrets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from bot import cli
from bot.db import Database, Tenant
from bot.db.engine import REPO_ROOT
from bot.db.migrate import head_revision


def _bot(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


async def test_seed_demo_on_an_empty_database_prints_the_demo_customers(empty_db_url: str) -> None:
    result = _bot("seed-demo", database_url=empty_db_url)

    assert result.returncode == 0, result.stderr
    for expected in ("10000001", "0150", "ola.nordmann@example.no", "20000001", "30000001"):
        assert expected in result.stdout


async def test_show_tenants_lists_origins_but_never_the_secret(db_url: str) -> None:
    database = Database(db_url)
    try:
        async with database.sessionmaker() as session:
            secrets = list(await session.scalars(select(Tenant.identity_secret)))
    finally:
        await database.dispose()

    result = _bot("show-tenants", database_url=db_url)

    assert result.returncode == 0, result.stderr
    assert "nordlys" in result.stdout and "http://localhost:8000" in result.stdout
    for secret in secrets:
        assert secret not in result.stdout + result.stderr


def test_migrate_reports_the_head_revision(empty_db_url: str) -> None:
    result = _bot("migrate", database_url=empty_db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(f"is at revision {head_revision()}")


def test_unreachable_database_gives_one_clear_error_line() -> None:
    result = _bot("migrate", database_url="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


received: list[list[str]] = []


def _record_argv(argv: list[str]) -> int:
    received.append(argv)
    return 7


def test_delegated_command_gets_its_arguments_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "echo", cli.Command("test", delegate=f"{__name__}:_record_argv"))

    assert cli.main(["echo", "--tenant", "nordlys", "-h"]) == 7
    assert received[-1] == ["--tenant", "nordlys", "-h"]


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["no-such-command"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
