"""Reading the outbox, and making exactly one kind of transaction fail at its commit."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.db import Database
from bot.db.models import WebhookDelivery, WebhookEvent


class CommitRefused(Exception):
    """Raised at the commit of a transaction that wrote what the test refuses."""


@contextlib.contextmanager
def commits_fail_when_they_write(refused: Callable[[Any], bool]) -> Iterator[list[int]]:
    """Every transaction that flushed an object matching `refused` fails at its commit, after
    the change and everything else in it were written: if an event lived in another
    transaction than its change, one of the two would survive. Yields the refusal count."""
    refusals: list[int] = []

    def note(session: Session, _context: Any, _instances: Any) -> None:
        if any(refused(obj) for obj in session.new):
            session.info["refuse_commit"] = True

    def refuse(session: Session) -> None:
        if session.info.pop("refuse_commit", False):
            refusals.append(1)
            raise CommitRefused()

    event.listen(Session, "before_flush", note)
    event.listen(Session, "before_commit", refuse)
    try:
        yield refusals
    finally:
        event.remove(Session, "before_flush", note)
        event.remove(Session, "before_commit", refuse)


def event_of_type(type_: str) -> Callable[[Any], bool]:
    return lambda obj: isinstance(obj, WebhookEvent) and obj.type == type_


async def events(database: Database, type_: str | None = None) -> list[WebhookEvent]:
    """Recorded events, oldest first."""
    async with database.sessionmaker() as session:
        query = select(WebhookEvent)
        if type_ is not None:
            query = query.where(WebhookEvent.type == type_)
        return list(await session.scalars(query.order_by(WebhookEvent.occurred_at, WebhookEvent.id)))


async def delivered_types(database: Database, endpoint_id: int) -> list[str]:
    """The event types queued for an endpoint, in recording order."""
    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(WebhookEvent.type)
            .join(WebhookDelivery, WebhookDelivery.event_id == WebhookEvent.id)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id)
        )
        return [type_ for (type_,) in rows]


def documented_examples() -> dict[str, dict[str, Any]]:
    """The `data` example docs/webhooks.md shows for each event type."""
    import json
    import re

    from tests.webhooks.conftest import DOCS

    found = re.findall(r"^`([a-z]+\.[a-z]+)`[^\n]*\n(?:[^\n]*\n)*?```json\n(.*?)```", DOCS.read_text(), re.M | re.S)
    return {type_: json.loads(block) for type_, block in found}


def keys_of(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON object ('ticket.reference', ...)."""
    if not isinstance(value, dict):
        return set()
    paths = set()
    for key, item in value.items():
        paths.add(f"{prefix}{key}")
        paths |= keys_of(item, f"{prefix}{key}.")
    return paths
