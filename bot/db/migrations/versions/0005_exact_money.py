"""Exact money on SQLite: amounts become whole numbers of cents (bot.db.types.Money).

SQLite stored NUMERIC(12, 2) as binary floating point; PostgreSQL's numeric is exact
already, so there is nothing to do on it.

Revision ID: 0005_exact_money
Revises: 0004_verification
Create Date: 2026-12-06

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_exact_money"
down_revision: str | Sequence[str] | None = "0004_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("amount_due", "last_payment_amount")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in _COLUMNS:
        # ROUND(x, 2) first: 1249.45 is stored as 1249.4500000000000455 (or just below).
        op.execute(f"UPDATE accounts SET {column} = CAST(ROUND(ROUND({column}, 2) * 100) AS INTEGER) "
                   f"WHERE {column} IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in _COLUMNS:
        op.execute(f"UPDATE accounts SET {column} = {column} / 100.0 WHERE {column} IS NOT NULL")
