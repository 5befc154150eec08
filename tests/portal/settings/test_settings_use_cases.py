"""Self-service settings (bot.firm_settings): every change validated, stored, effective and recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import Database, Tenant, TenantRef
from bot.db.audit import Actor
from bot.firm_settings import use_cases
from bot.firm_settings.errors import InvalidSettings, UnknownFaqTopic
from bot.gateway.tenant_context import load_tenant
from bot.handoff.business_hours import parse_business_hours

FIRM_ADMIN = Actor("portal_user", 7, "admin")


async def tenant_row(database: Database, slug: str) -> Tenant:
    async with database.sessionmaker() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    assert tenant is not None
    return tenant


# --- FAQ answers ------------------------------------------------------------------------

async def test_faq_topics_list_every_topic_with_its_answer_per_language(database: Database) -> None:
    topics = await use_cases.faq_topics(database.sessionmaker, "nordlys")

    opening = next(topic for topic in topics if topic.key == "opening_hours")
    assert set(opening.answers) == {"en", "nb"}
    assert all(opening.answers.values())
    assert [topic.key for topic in topics] == sorted(topic.key for topic in topics)


async def test_a_published_answer_replaces_the_old_one_and_records_before_and_after(database: Database) -> None:
    before = (await use_cases.faq_topic(database.sessionmaker, "nordlys", "opening_hours")).answers["en"]

    changed = await use_cases.publish_faq_answer(
        database.sessionmaker, "nordlys", "opening_hours", "en", "  We are open 07-17 on weekdays.\r\n", actor=FIRM_ADMIN
    )

    assert changed is True
    topic = await use_cases.faq_topic(database.sessionmaker, "nordlys", "opening_hours")
    assert topic.answers["en"] == "We are open 07-17 on weekdays."
    assert topic.answers["nb"] is not None and topic.answers["nb"] != topic.answers["en"]  # other language untouched
    [change] = await use_cases.change_record(database.sessionmaker, "nordlys")
    assert (change.change, change.target, change.actor_kind, change.actor_id, change.actor_role) == (
        "faq.published", "faq:opening_hours:en", "portal_user", 7, "admin")
    assert change.before == {"answer": before}
    assert change.after == {"answer": "We are open 07-17 on weekdays."}


async def test_saving_unchanged_branding_records_nothing(database: Database) -> None:
    current = (await use_cases.firm_settings(database.sessionmaker, "nordlys")).branding
    await use_cases.update_branding(database.sessionmaker, "nordlys", {
        "color": current.color.upper(), "title": current.title, "greeting": current.greeting,
        "avatar_url": current.avatar_url}, actor=FIRM_ADMIN)
    assert await use_cases.change_record(database.sessionmaker, "nordlys") == []


async def test_publishing_the_same_answer_again_changes_and_records_nothing(database: Database) -> None:
    current = (await use_cases.faq_topic(database.sessionmaker, "nordlys", "opening_hours")).answers["nb"]
    assert current is not None

    assert await use_cases.publish_faq_answer(
        database.sessionmaker, "nordlys", "opening_hours", "nb", current, actor=FIRM_ADMIN) is False
    assert await use_cases.change_record(database.sessionmaker, "nordlys") == []


@pytest.mark.parametrize(
    ("language", "answer", "field"),
    [("en", "   ", "answer"), ("en", "x" * 2001, "answer"), ("de", "Hallo", "language")],
)
async def test_a_bad_answer_is_refused_naming_the_field(
    database: Database, language: str, answer: str, field: str
) -> None:
    with pytest.raises(InvalidSettings) as refused:
        await use_cases.publish_faq_answer(
            database.sessionmaker, "nordlys", "opening_hours", language, answer, actor=FIRM_ADMIN)
    assert set(refused.value.problems) == {field}
    assert await use_cases.change_record(database.sessionmaker, "nordlys") == []


async def test_a_topic_the_assistant_does_not_know_cannot_be_answered(database: Database) -> None:
    with pytest.raises(UnknownFaqTopic):
        await use_cases.publish_faq_answer(
            database.sessionmaker, "nordlys", "free_pizza", "en", "Yes, always.", actor=FIRM_ADMIN)


def test_a_preview_checks_like_publishing_and_stores_nothing() -> None:
    assert use_cases.preview_faq_answer("nb", " Åpent 8-16 \n") == "Åpent 8-16"
    with pytest.raises(InvalidSettings):
        use_cases.preview_faq_answer("nb", "")


# --- branding ---------------------------------------------------------------------------

async def test_branding_is_what_the_widget_is_configured_with_next(database: Database, nordlys: TenantRef) -> None:
    branding = await use_cases.update_branding(database.sessionmaker, "nordlys", {
        "color": "#1A4D2E", "title": "Nordlys hjelp", "greeting": "Hei der!",
        "avatar_url": "https://cdn.example.com/nordlys.png"}, actor=FIRM_ADMIN)

    assert branding.color == "#1a4d2e"
    async with database.sessionmaker() as session:
        config = (await load_tenant(session, "nordlys")).public_config(2000)
    assert config["branding"] == {"color": "#1a4d2e", "title": "Nordlys hjelp", "greeting": "Hei der!",
                                  "avatar_url": "https://cdn.example.com/nordlys.png"}
    [change] = await use_cases.change_record(database.sessionmaker, "nordlys")
    assert change.change == "branding.updated"
    assert change.before["color"] == "#0f5f63" and change.after["color"] == "#1a4d2e"
    assert change.before["avatar_url"] is None


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("color", "#777777", "hard to read"),  # white text 4.48:1, dark text less: just under AA
        ("color", "#808080", "hard to read"),  # dark text 4.49:1, white less
        ("color", "teal", "hex colour"),
        ("title", "   ", "cannot be empty"),
        ("title", "x" * 81, "at most 80"),
        ("greeting", "y" * 301, "at most 300"),
        ("avatar_url", "http://cdn.example.com/a.png", "https://"),
        ("avatar_url", "javascript:alert(1)", "https://"),
    ],
)
async def test_bad_branding_is_refused_per_field_and_nothing_changes(
    database: Database, field: str, value: str, says: str
) -> None:
    good = {"color": "#0f5f63", "title": "Nordlys", "greeting": "", "avatar_url": ""}

    with pytest.raises(InvalidSettings) as refused:
        await use_cases.update_branding(database.sessionmaker, "nordlys", {**good, field: value}, actor=FIRM_ADMIN)

    assert list(refused.value.problems) == [field]
    assert says in refused.value.problems[field]
    assert (await tenant_row(database, "nordlys")).branding["color"] == "#0F5F63"


def test_dark_and_light_colours_are_accepted_as_the_widget_makes_both_readable() -> None:
    assert use_cases.preview_branding({"color": "#767676", "title": "T"}).color == "#767676"  # white: 4.54:1
    assert use_cases.preview_branding({"color": "#F5C400", "title": "T"}).color == "#f5c400"  # dark text: 10.8:1


# --- allowed origins ---------------------------------------------------------------------

async def test_allowed_origins_are_normalised_and_effective_at_once(database: Database) -> None:
    origins = await use_cases.update_allowed_origins(
        database.sessionmaker, "nordlys",
        ["https://www.Nordlys.no/", "", "https://www.nordlys.no:443", "https://min.nordlys.no:8443"], actor=FIRM_ADMIN)

    assert origins == ("https://www.nordlys.no", "https://min.nordlys.no:8443")
    async with database.sessionmaker() as session:
        context = await load_tenant(session, "nordlys")
    assert context.allowed_origins == frozenset(origins)
    [change] = await use_cases.change_record(database.sessionmaker, "nordlys")
    assert change.before == {"allowed_origins": ["http://localhost:8000", "http://127.0.0.1:8000"]}
    assert change.after == {"allowed_origins": list(origins)}


@pytest.mark.parametrize(
    "line",
    ["http://www.nordlys.no", "https://www.nordlys.no/chat", "https://*.nordlys.no", "www.nordlys.no",
     "https://user@www.nordlys.no", "https://www.nordlys.no?x=1", "https://bad_host.no"],
)
async def test_an_origin_that_is_not_one_is_refused(database: Database, line: str) -> None:
    with pytest.raises(InvalidSettings) as refused:
        await use_cases.update_allowed_origins(database.sessionmaker, "nordlys", [line], actor=FIRM_ADMIN)
    assert line in refused.value.problems["allowed_origins"]


# --- business hours and closures --------------------------------------------------------------

async def test_hours_and_closures_are_stored_in_the_firms_zone_and_used_for_opening(database: Database) -> None:
    days = {"mon": "08:00-16:00", "tue": "8:00-12:00, 13:00-16:00", "wed": "", "thu": "08:00-16:00",
            "fri": "08:00-16:00", "sat": "closed", "sun": ""}

    await use_cases.update_business_hours(
        database.sessionmaker, "nordlys", "Europe/Oslo", days, ["2026-12-25", "2026-12-24", ""], actor=FIRM_ADMIN)

    tenant = await tenant_row(database, "nordlys")
    assert tenant.business_hours["tue"] == [["08:00", "12:00"], ["13:00", "16:00"]]
    assert tenant.business_hours["closed"] == ["2026-12-24", "2026-12-25"]
    opening = parse_business_hours(tenant.business_hours, tenant.time_zone)
    assert opening.is_open(datetime(2026, 12, 21, 9, 0, tzinfo=UTC))  # Monday 10:00 in Oslo
    assert not opening.is_open(datetime(2026, 12, 24, 9, 0, tzinfo=UTC))  # a Thursday, but closed
    assert opening.next_opening(datetime(2026, 12, 24, 9, 0, tzinfo=UTC)) == datetime(2026, 12, 28, 7, 0, tzinfo=UTC)
    [change] = await use_cases.change_record(database.sessionmaker, "nordlys")
    assert change.before["tue"] == "08:00-16:00" and change.after["tue"] == "08:00-12:00, 13:00-16:00"
    assert change.before["closed"] == [] and change.after["closed"] == ["2026-12-24", "2026-12-25"]
    assert "time_zone" not in change.after  # unchanged fields are left out


async def test_bad_hours_are_refused_per_field(database: Database) -> None:
    with pytest.raises(InvalidSettings) as refused:
        await use_cases.update_business_hours(
            database.sessionmaker, "nordlys", "Europe/Osloo", {"mon": "8-16", "tue": "25:00-26:00"},
            ["24.12.2026"], actor=FIRM_ADMIN)

    assert set(refused.value.problems) == {"time_zone", "mon", "closed"}
    with pytest.raises(InvalidSettings) as refused:
        await use_cases.update_business_hours(
            database.sessionmaker, "nordlys", "Europe/Oslo", {"tue": "25:00-26:00"}, [], actor=FIRM_ADMIN)
    assert set(refused.value.problems) == {"tue"}
    assert (await tenant_row(database, "nordlys")).business_hours["tue"] == [["08:00", "16:00"]]


async def test_a_zone_must_be_an_iana_name(database: Database) -> None:
    for zone in ("localtime", "../../etc/passwd", ""):
        with pytest.raises(InvalidSettings):
            await use_cases.update_business_hours(database.sessionmaker, "nordlys", zone, {}, [], actor=FIRM_ADMIN)


# --- identity secret, embed snippet, the change record ------------------------------------

async def test_a_rotated_secret_is_returned_once_stored_and_recorded_without_it(database: Database) -> None:
    old = (await tenant_row(database, "nordlys")).identity_secret

    secret = await use_cases.rotate_identity_secret(database.sessionmaker, "nordlys", actor=FIRM_ADMIN)

    assert secret != old and len(secret) >= 40
    assert (await tenant_row(database, "nordlys")).identity_secret == secret
    [change] = await use_cases.change_record(database.sessionmaker, "nordlys")
    assert change.change == "identity_secret.rotated"
    assert (change.before, change.after) == ({}, {})
    assert secret not in repr(change) and old not in repr(change)
    settings = await use_cases.firm_settings(database.sessionmaker, "nordlys")
    assert secret not in repr(settings)


def test_the_embed_snippet_is_the_one_line_of_the_readme() -> None:
    assert use_cases.embed_snippet("https://chat.bpo.example/", "nordlys") == (
        '<script src="https://chat.bpo.example/widget.js" data-tenant="nordlys" async></script>')


async def test_each_firm_sees_only_its_own_changes_newest_first(database: Database) -> None:
    await use_cases.update_allowed_origins(database.sessionmaker, "nordlys", ["https://a.no"], actor=FIRM_ADMIN)
    await use_cases.update_allowed_origins(database.sessionmaker, "fjordnett", ["https://b.no"], actor=FIRM_ADMIN)
    await use_cases.rotate_identity_secret(database.sessionmaker, "nordlys", actor=FIRM_ADMIN)

    mine = await use_cases.change_record(database.sessionmaker, "nordlys")
    assert [change.change for change in mine] == ["identity_secret.rotated", "origins.updated"]
    assert all("https://b.no" not in str(change) for change in mine)
    older = await use_cases.change_record(database.sessionmaker, "nordlys", before_id=mine[0].id)
    assert [change.id for change in older] == [mine[1].id]
