"""Maintaining tenants' FAQ answers (admin CLI); bot.db.faq reads them for the assistant."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.errors import DomainError
from bot.db.models import LANGUAGES, FaqAnswer
from bot.db.tenants import TenantRef

FAQ_ANSWER_MAX_CHARS = 2000
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


class InvalidFaqAnswer(DomainError, ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


async def set_faq_answer(
    session: AsyncSession, tenant: TenantRef, key: str, language: str, answer: str
) -> bool:
    """Add or replace the tenant's answer for a response key (e.g. 'opening_hours'); True when added."""
    key = (key or "").strip().lower()
    if not _KEY.fullmatch(key):
        raise InvalidFaqAnswer("key", "use a response key like 'opening_hours'")
    if language not in LANGUAGES:
        raise InvalidFaqAnswer("language", f"must be one of {', '.join(LANGUAGES)}")
    answer = (answer or "").strip()
    if not answer or len(answer) > FAQ_ANSWER_MAX_CHARS:
        raise InvalidFaqAnswer("answer", f"must be 1..{FAQ_ANSWER_MAX_CHARS} characters")
    existing = await session.scalar(
        select(FaqAnswer).where(
            FaqAnswer.tenant_id == tenant.id, FaqAnswer.key == key, FaqAnswer.language == language
        )
    )
    if existing is not None:
        existing.answer = answer
        await session.flush()
        return False
    session.add(FaqAnswer(tenant_id=tenant.id, key=key, language=language, answer=answer))
    await session.flush()
    return True


async def list_faq_answers(
    session: AsyncSession, tenant: TenantRef, *, language: str | None = None
) -> list[FaqAnswer]:
    query = select(FaqAnswer).where(FaqAnswer.tenant_id == tenant.id)
    if language is not None:
        query = query.where(FaqAnswer.language == language)
    return list(await session.scalars(query.order_by(FaqAnswer.key, FaqAnswer.language)))
