"""What a client firm changes itself. Each change owns its transaction and records itself in it.

Nothing here is cached anywhere: the gateway loads a tenant per request or socket and the
assistant reads FAQ answers per question, so a change takes effect with the next one.
Previews validate exactly like the change and store nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import faq_admin
from bot.db.audit import Actor
from bot.db.models import LANGUAGES, Tenant
from bot.db.tenants import TenantRef
from bot.firm_settings import changes, store, validation
from bot.firm_settings.errors import UnknownFaqTopic
from bot.firm_settings.validation import Branding, Hours
from bot.handoff.business_hours import CLOSED, WEEKDAYS

Sessionmaker = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class FirmSettings:
    """Everything the settings pages show. Deliberately without the identity secret."""

    tenant: TenantRef
    name: str
    language: str
    branding: Branding
    allowed_origins: tuple[str, ...]
    hours: Hours


@dataclass(frozen=True)
class FaqTopic:
    key: str
    answers: dict[str, str | None]  # per language of LANGUAGES; None: not answered in it


async def firm_settings(sessionmaker: Sessionmaker, slug: str) -> FirmSettings:
    async with sessionmaker() as session:
        return _view(await store.tenant_row(session, slug))


async def faq_topics(sessionmaker: Sessionmaker, slug: str) -> list[FaqTopic]:
    async with sessionmaker() as session:
        tenant = TenantRef.of(await store.tenant_row(session, slug))
        rows = await faq_admin.list_faq_answers(session, tenant)
    by_key: dict[str, dict[str, str | None]] = {}
    for row in rows:
        by_key.setdefault(row.key, dict.fromkeys(LANGUAGES))[row.language] = row.answer
    return [FaqTopic(key, answers) for key, answers in sorted(by_key.items())]


async def faq_topic(sessionmaker: Sessionmaker, slug: str, key: str) -> FaqTopic:
    for topic in await faq_topics(sessionmaker, slug):
        if topic.key == key:
            return topic
    raise UnknownFaqTopic(key)


def preview_faq_answer(language: str, answer: str) -> str:
    """The answer as it would be published (InvalidSettings when it cannot be)."""
    return validation.faq_answer(language, answer)


async def publish_faq_answer(
    sessionmaker: Sessionmaker, slug: str, key: str, language: str, answer: str, *, actor: Actor
) -> bool:
    """The assistant gives this answer from its next question on. False: nothing changed."""
    text = validation.faq_answer(language, answer)
    async with sessionmaker.begin() as session:
        tenant = TenantRef.of(await store.tenant_row(session, slug, for_update=True))
        if key not in await store.faq_keys(session, tenant):
            raise UnknownFaqTopic(key)
        before = await store.stored_faq_answer(session, tenant, key, language)
        if before == text:
            return False
        await faq_admin.set_faq_answer(session, tenant, key, language, text)
        await changes.record(session, actor, tenant.id, "faq.published", target=f"faq:{key}:{language}",
                             before={"answer": before}, after={"answer": text}, key=key, language=language)
        return True


def preview_branding(raw: Mapping[str, str | None]) -> Branding:
    return validation.branding(raw)


async def update_branding(
    sessionmaker: Sessionmaker, slug: str, raw: Mapping[str, str | None], *, actor: Actor
) -> Branding:
    branding = validation.branding(raw)
    async with sessionmaker.begin() as session:
        tenant = await store.tenant_row(session, slug, for_update=True)
        before = _branding(tenant).as_dict()
        if before != branding.as_dict():
            await store.set_branding(session, tenant, branding.as_dict())
            await changes.record(session, actor, tenant.id, "branding.updated", target="branding",
                                 before=before, after=branding.as_dict())
        return branding


async def update_allowed_origins(
    sessionmaker: Sessionmaker, slug: str, lines: Iterable[str], *, actor: Actor
) -> tuple[str, ...]:
    """The widget answers pages of exactly these origins from the next request on."""
    origins = validation.origins(lines)
    async with sessionmaker.begin() as session:
        tenant = await store.tenant_row(session, slug, for_update=True)
        before = list(tenant.allowed_origins or [])
        if before != list(origins):
            await store.set_allowed_origins(session, tenant, list(origins))
            await changes.record(session, actor, tenant.id, "origins.updated", target="allowed_origins",
                                 before={"allowed_origins": before}, after={"allowed_origins": list(origins)})
        return origins


async def update_business_hours(
    sessionmaker: Sessionmaker,
    slug: str,
    time_zone: str,
    days: Mapping[str, str | None],
    closed: Iterable[str],
    *,
    actor: Actor,
) -> Hours:
    hours = validation.hours(time_zone, days, closed)
    async with sessionmaker.begin() as session:
        tenant = await store.tenant_row(session, slug, for_update=True)
        before = _hours(tenant)
        if before != hours:
            await store.set_business_hours(session, tenant, hours.time_zone, hours.stored())
            await changes.record(session, actor, tenant.id, "hours.updated", target="business_hours",
                                 before=_hours_record(before), after=_hours_record(hours))
        return hours


async def rotate_identity_secret(sessionmaker: Sessionmaker, slug: str, *, actor: Actor) -> str:
    """The new secret, for the caller to show once; identities signed with the old one stop verifying."""
    async with sessionmaker.begin() as session:
        tenant = await store.tenant_row(session, slug, for_update=True)
        secret = await store.replace_identity_secret(session, tenant)
        await changes.record(session, actor, tenant.id, "identity_secret.rotated", target="identity_secret")
        return secret


async def change_record(
    sessionmaker: Sessionmaker, slug: str, *, before_id: int | None = None, limit: int = changes.PAGE
) -> list[changes.Change]:
    async with sessionmaker() as session:
        tenant = await store.tenant_row(session, slug)
        return await changes.listing(session, tenant.id, before_id=before_id, limit=limit)


def embed_snippet(public_url: str, slug: str) -> str:
    """The one line a firm adds to its pages (README: Embedding the widget)."""
    return f'<script src="{public_url.rstrip("/")}/widget.js" data-tenant="{slug}" async></script>'


def _view(tenant: Tenant) -> FirmSettings:
    return FirmSettings(
        tenant=TenantRef.of(tenant),
        name=tenant.name,
        language=tenant.language,
        branding=_branding(tenant),
        allowed_origins=tuple(tenant.allowed_origins or ()),
        hours=_hours(tenant),
    )


def _branding(tenant: Tenant) -> Branding:
    raw: dict[str, Any] = dict(tenant.branding or {})
    return Branding(
        color=str(raw.get("color") or "").lower(),  # as validation.brand_colour writes it
        title=str(raw.get("title") or tenant.name),
        greeting=raw.get("greeting") or None,
        avatar_url=raw.get("avatar_url") or None,
    )


def _hours(tenant: Tenant) -> Hours:
    raw: dict[str, Any] = dict(tenant.business_hours or {})
    weekly = {day: [list(interval) for interval in raw.get(day) or []] for day in WEEKDAYS}
    return Hours(tenant.time_zone, weekly, tuple(raw.get(CLOSED) or ()))


def _hours_record(hours: Hours) -> dict[str, Any]:
    """Readable before/after: '08:00-16:00' per day rather than nested lists."""
    return {
        "time_zone": hours.time_zone,
        **{day: validation.format_day(hours.weekly.get(day) or []) for day in WEEKDAYS},
        "closed": list(hours.closed),
    }
