"""Tenant-specific answers for retrieval (FAQ) intents."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FaqAnswer
from bot.db.tenants import TenantRef

FALLBACK_LANGUAGE = "en"


async def faq_answer(
    session: AsyncSession, tenant: TenantRef, key: str, language: str
) -> str | None:
    """The tenant's answer for `key` in `language`, else in English, else None."""
    rows = (
        await session.execute(
            select(FaqAnswer.language, FaqAnswer.answer).where(
                FaqAnswer.tenant_id == tenant.id,
                FaqAnswer.key == key,
                FaqAnswer.language.in_({language, FALLBACK_LANGUAGE}),
            )
        )
    ).all()
    by_language = {row.language: row.answer for row in rows}
    return by_language.get(language) or by_language.get(FALLBACK_LANGUAGE)
