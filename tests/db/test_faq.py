"""Tenant FAQ answers: own language first, English as fallback."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import TenantRef, faq_answer


async def test_norwegian_answer_is_given_in_norwegian(session: AsyncSession, nordlys: TenantRef) -> None:
    answer = await faq_answer(session, nordlys, "opening_hours", "nb")
    assert answer is not None and "mandag til fredag" in answer


async def test_missing_language_falls_back_to_english(session: AsyncSession, fjordnett: TenantRef) -> None:
    english = await faq_answer(session, fjordnett, "opening_hours", "en")
    assert english is not None
    assert await faq_answer(session, fjordnett, "opening_hours", "sv") == english


async def test_an_english_firm_answers_a_norwegian_customer_in_norwegian(
    session: AsyncSession, lighthouse: TenantRef
) -> None:
    answer = await faq_answer(session, lighthouse, "opening_hours", "nb")
    assert answer is not None and "mandag til fredag" in answer
    assert answer != await faq_answer(session, lighthouse, "opening_hours", "en")


async def test_answers_are_the_tenants_own(
    session: AsyncSession, nordlys: TenantRef, fjordnett: TenantRef, lighthouse: TenantRef
) -> None:
    answers = {
        ref.slug: await faq_answer(session, ref, "contact_details", "en")
        for ref in (nordlys, fjordnett, lighthouse)
    }
    assert len(set(answers.values())) == 3
    assert "nordlys" in answers["nordlys"].lower()
    assert "fjordnett" in answers["fjordnett"].lower()
    assert "lighthouse" in answers["lighthouse"].lower()


async def test_unknown_key_has_no_answer(session: AsyncSession, nordlys: TenantRef) -> None:
    assert await faq_answer(session, nordlys, "no_such_key", "nb") is None
