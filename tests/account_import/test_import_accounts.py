"""`python -m bot import-accounts`: check every row first, then load all or nothing."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from bot.account_import.csv_rows import check_rows
from bot.db import Database, TenantRef, find_account
from bot.db.accounts import ACCOUNT_FIELDS
from bot.db.engine import REPO_ROOT
from bot.db.models import Account


def _row(number: str, **overrides: str) -> dict[str, str]:
    row = {
        "account_number": number, "name": f"Customer {number}", "email": f"c{number}@example.no",
        "phone": "+47 22 33 44 55", "postcode": "0150", "plan": "Fiber 500", "amount_due": "100.00",
        "status": "active", "last_payment_amount": "", "last_payment_at": "",
    }
    return {**row, **overrides}


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = list(ACCOUNT_FIELDS)) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _import(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "import-accounts", "--database-url", db_url, *args],
        cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
    )


async def _count(database: Database, tenant: TenantRef) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Account).where(Account.tenant_id == tenant.id)) or 0


async def test_a_good_file_is_imported_and_existing_accounts_are_updated(
    db_url: str, database: Database, nordlys: TenantRef, tmp_path: Path
) -> None:
    before = await _count(database, nordlys)
    rows = [_row(f"5000{n:04d}") for n in range(1, 51)]
    rows.append(_row("10000001", amount_due="0.05", last_payment_amount="10.00", last_payment_at="2026-12-01"))
    result = _import(db_url, "--tenant", "nordlys", str(_write(tmp_path / "a.csv", rows)))

    assert result.returncode == 0, result.stderr
    assert "50 created, 1 updated, 0 bad rows skipped" in result.stdout
    assert await _count(database, nordlys) == before + 50
    async with database.sessionmaker() as session:
        demo = await find_account(session, nordlys, "10000001")
    assert demo is not None and demo.amount_due == Decimal("0.05") and demo.last_payment_amount == Decimal("10.00")


async def test_one_bad_row_imports_nothing_and_names_row_field_and_reason(
    db_url: str, database: Database, nordlys: TenantRef, tmp_path: Path
) -> None:
    before = await _count(database, nordlys)
    rows = [_row("50000001"), _row("50000002", email="not-an-email"), _row("5000003")]
    result = _import(db_url, "--tenant", "nordlys", str(_write(tmp_path / "b.csv", rows)))

    assert result.returncode == 1
    assert "row 3, email: not an e-mail address" in result.stderr
    assert "row 4, account_number: must be exactly 8 digits" in result.stderr
    assert "nothing imported: 2 of 3 rows are bad" in result.stderr
    assert "not-an-email" not in result.stderr  # values may be personal data
    assert await _count(database, nordlys) == before


async def test_skip_bad_rows_imports_the_good_ones_and_counts_the_rest(
    db_url: str, database: Database, nordlys: TenantRef, tmp_path: Path
) -> None:
    before = await _count(database, nordlys)
    rows = [_row("50000001"), _row("50000002", amount_due="12,50"), _row("50000003"), _row("50000001")]
    result = _import(db_url, "--tenant", "nordlys", "--skip-bad-rows", str(_write(tmp_path / "c.csv", rows)))

    assert result.returncode == 0, result.stderr
    assert "row 5, account_number: the same account as row 2" in result.stderr
    assert "2 created, 0 updated, 2 bad rows skipped" in result.stdout
    assert await _count(database, nordlys) == before + 2


async def test_a_bad_header_imports_nothing_even_when_skipping_bad_rows(
    db_url: str, database: Database, nordlys: TenantRef, tmp_path: Path
) -> None:
    header = [name for name in ACCOUNT_FIELDS if name != "email"] + ["colour"]
    path = _write(tmp_path / "d.csv", [_row("50000001")], header)
    result = _import(db_url, "--tenant", "nordlys", "--skip-bad-rows", str(path))

    assert result.returncode == 1
    assert "row 1, email: required column missing" in result.stderr
    assert "row 1, colour: unknown column" in result.stderr


def test_an_unknown_tenant_is_one_clear_error(db_url: str, tmp_path: Path) -> None:
    result = _import(db_url, "--tenant", "nobody", str(_write(tmp_path / "e.csv", [_row("50000001")])))
    assert result.returncode == 1 and "no tenant 'nobody'" in result.stderr
    assert "Traceback" not in result.stderr


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    lines = ["account_number,name,email,phone,postcode,plan,amount_due\n",
             "50000001,A,a@example.no,22334455,0150,Basic,1.00\n",
             "50000002,B,b@example.no,22334455,0150,Basic,1.00,extra\n"]
    checked = check_rows(lines)
    assert [str(p) for p in checked.problems] == ["row 3, (row): more cells than the header has columns"]
    assert checked.rows == 2 and len(checked.accounts) == 1
