"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.text_input import storable

CENT = Decimal("0.01")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type and returns naive values; normalising here keeps
    comparisons and ISO output identical on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StorableText(TypeDecorator[str]):
    """Text without what PostgreSQL refuses (NUL, lone surrogates), on every backend alike:
    whatever path a value takes (widget, console, admin, CLI), it is stored or compared the
    same way on SQLite and PostgreSQL instead of failing on one of them."""

    impl = String
    cache_ok = True

    def __init__(self, inner: String) -> None:
        super().__init__()
        self.inner = inner  # also what the statement cache keys on
        self.impl = inner

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return storable(value) if isinstance(value, str) else value


def make_text_storable(table: Table) -> None:
    """Wrap every string column of the table in StorableText (the column's own type, e.g.
    String(64) or Text, stays what the schema and migrations say)."""
    for column in table.columns:
        if isinstance(column.type, String) and not isinstance(column.type, StorableText):
            column.type = StorableText(column.type)


class Money(TypeDecorator[Decimal]):
    """Exact amounts with two decimals on both backends.

    PostgreSQL has NUMERIC. SQLite has no decimal type: a NUMERIC column stores REAL, a binary
    float (1249.45 is 1249.4500000000000455…, and sums drift), so there an amount is stored
    as a whole number of cents. Rounding is half away from zero, as PostgreSQL's numeric does.
    """

    impl = Numeric(12, 2)
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, int or str, not a float")
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
        return int(amount * 100) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(CENT)
        return Decimal(value).quantize(CENT)
