"""The two expressions SQLite and PostgreSQL spell differently, compiled per dialect.

Everything else in the report queries is portable SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import Float

# Reports group instants into quarter hours (UTC) in the database and map each quarter to the
# tenant's local day or hour afterwards: every time zone's offset is a multiple of 15 minutes,
# so the mapping is exact, and at most 96 groups a day leave the database.
QUARTER_SECONDS = 900


class quarter_of(FunctionElement[int]):
    """The UTC quarter hour an instant falls in: floor(epoch seconds / 900)."""

    type = Integer()
    inherit_cache = True
    name = "quarter_of"


@compiles(quarter_of, "postgresql")
def _quarter_pg(element: quarter_of, compiler: Any, **kw: Any) -> str:
    (instant,) = element.clauses
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(instant, **kw)}) / {QUARTER_SECONDS}) AS INTEGER)"


@compiles(quarter_of, "sqlite")
def _quarter_sqlite(element: quarter_of, compiler: Any, **kw: Any) -> str:
    (instant,) = element.clauses  # stored as naive UTC text ('YYYY-MM-DD HH:MM:SS.ffffff')
    return f"(CAST(strftime('%s', {compiler.process(instant, **kw)}) AS INTEGER) / {QUARTER_SECONDS})"


class seconds_between(FunctionElement[float]):
    """seconds_between(earlier, later): how many seconds later is after earlier."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: Any, **kw: Any) -> str:
    earlier, later = element.clauses
    return (
        f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
    )


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    earlier, later = element.clauses
    return (
        f"((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"
        " * 86400.0)"
    )


def quarter(instant: ColumnElement[Any]) -> quarter_of:
    return quarter_of(instant)
