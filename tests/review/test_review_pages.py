"""The review pages of the portal (bot/portal/review_routes.py) through the real gateway:
who may read and write, tenant isolation by id, the forms, and what the pages show."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.db import Database, TenantRef, tenant_ref
from bot.db.models import Annotation, AuditEntry
from tests.portal.support import PortalBrowser

from .support import Turn, message_id, seed_conversation, seed_marked_message

NORDLYS = "/portal/t/nordlys/review"
FJORDNETT = "/portal/t/fjordnett/review"


async def tenant(database: Database, slug: str) -> TenantRef:
    async with database.sessionmaker() as session:
        found = await tenant_ref(session, slug)
    assert found is not None
    return found


async def annotations(database: Database) -> list[Annotation]:
    async with database.sessionmaker() as session:
        return list(await session.scalars(select(Annotation).order_by(Annotation.id)))


def shown_excerpts(html: str) -> list[str]:
    return re.findall(r'class="review-excerpt" href="[^"]*">([^<]*)</a>', html)


async def test_the_list_shows_the_firms_conversations_and_filters_them(
    firm_viewer: PortalBrowser, portal_db: Database
) -> None:
    nordlys = await tenant(portal_db, "nordlys")
    await seed_conversation(portal_db, nordlys, "what do I owe")
    await seed_conversation(portal_db, nordlys, Turn("flibber the wotsit", fallback="nlu"), handoff_reason="nlu_fallback")
    await seed_conversation(portal_db, await tenant(portal_db, "fjordnett"), "fjordnett's customer")

    everything = await firm_viewer.get(NORDLYS)
    not_understood = await firm_viewer.get(NORDLYS + "?not_understood=1")

    assert everything.status == 200
    assert shown_excerpts(await everything.text()) == ["flibber the wotsit", "what do I owe"]
    page = await not_understood.text()
    assert shown_excerpts(page) == ["flibber the wotsit"]
    assert "1 not understood" in page and "to a person: not understood" in page
    assert 'name="not_understood" value="1" checked' in page


async def test_older_conversations_are_one_link_away_with_the_filters_kept(
    firm_viewer: PortalBrowser, portal_db: Database
) -> None:
    nordlys = await tenant(portal_db, "nordlys")
    for n in range(27):
        await seed_conversation(portal_db, nordlys, f"nb message {n}", language="nb")
    await seed_conversation(portal_db, nordlys, "an English one", language="en")

    first = await (await firm_viewer.get(NORDLYS + "?language=nb")).text()
    [next_link] = re.findall(r'class="review-next" href="([^"]*)"', first)
    second = await (await firm_viewer.get(next_link.replace("&amp;", "&"))).text()

    assert len(shown_excerpts(first)) == 25 and len(shown_excerpts(second)) == 2
    assert "language=nb" in next_link
    assert set(shown_excerpts(first)) | set(shown_excerpts(second)) == {f"nb message {n}" for n in range(27)}
    assert 'class="review-next"' not in second


async def test_a_bad_filter_is_a_clear_error_for_people_and_scripts(firm_viewer: PortalBrowser) -> None:
    page = await firm_viewer.get(NORDLYS + "?from=last+week")
    script = await firm_viewer.get(NORDLYS + "?after=not-a-cursor", html=False)

    assert page.status == 400
    text = await page.text()
    assert "From: must be a date like 2026-12-06" in text and 'value="last week"' in text
    assert script.status == 400
    assert (await script.json())["error"]["code"] == "bad_request"


async def test_the_conversation_page_shows_the_redacted_transcript_and_records_the_reading(
    firm_viewer: PortalBrowser, portal_db: Database
) -> None:
    nordlys = await tenant(portal_db, "nordlys")
    conversation_id = await seed_conversation(
        portal_db, nordlys, Turn("min e-post er [email]", bot="Takk"), Turn("flibber", bot="Kan du si det på en annen måte?",
                                                                              fallback="nlu"), language="nb",
    )
    flibber = await message_id(portal_db, conversation_id, 4)

    response = await firm_viewer.get(f"{NORDLYS}/messages/{flibber}")

    assert response.status == 200
    html = await response.text()
    assert "min e-post er [email]" in html and "Kan du si det på en annen måte?" in html
    assert f'id="m{flibber}" class="line line-customer line-focus"' in html
    assert "not understood" in html
    assert "Mark this message" not in html  # a viewer reads, and does not mark
    assert conversation_id not in html  # the customer's key to the chat stays out of the page
    assert "<script>" not in html and "style=" not in html  # the strict CSP allows neither
    async with portal_db.sessionmaker() as session:
        read = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "transcript.read"))).one()
    assert (read.actor_kind, read.target_id, read.details) == ("portal_user", conversation_id, {"via": "portal_review"})


async def test_an_admin_marks_a_message_edits_the_mark_and_removes_it(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    nordlys = await tenant(portal_db, "nordlys")
    conversation_id = await seed_conversation(portal_db, nordlys, Turn("kor mykje skuldar eg", fallback="nlu"))
    customer = await message_id(portal_db, conversation_id, 2)
    page = await (await firm_admin.get(f"{NORDLYS}/messages/{customer}")).text()
    assert "Mark this message" in page and '<option value="intent:faq/opening_hours">FAQ: opening hours</option>' in page

    marked = await firm_admin.post(f"{NORDLYS}/messages/{customer}/mark",
                                   {"choice": "intent:check_balance", "back": "not_understood=1"})

    assert marked.status == 303
    assert marked.headers["Location"] == f"{NORDLYS}/messages/{customer}?back=not_understood%3D1#m{customer}"
    [row] = await annotations(portal_db)
    assert (row.kind, row.intent, row.marked_by_kind, row.marked_by_name) == (
        "intent", "check_balance", "portal_user", "Ingrid (Nordlys)")
    shown = await (await firm_admin.get(f"{NORDLYS}/messages/{customer}")).text()
    assert "Should have been understood as: check balance" in shown and "marked by Ingrid (Nordlys)" in shown
    assert '<option value="intent:check_balance" selected>' in shown

    await firm_admin.post(f"{NORDLYS}/messages/{customer}/mark",
                          {"choice": "new_answer", "note": "they ask about instalments: ring 912 34 567"})
    [row] = await annotations(portal_db)
    assert (row.kind, row.intent) == ("new_answer", None) and "912 34 567" not in (row.note or "")

    removed = await firm_admin.post(f"{NORDLYS}/annotations/{row.id}/remove")
    assert removed.status == 303 and await annotations(portal_db) == []


async def test_a_bad_mark_is_explained_on_the_page_and_nothing_is_stored(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    nordlys = await tenant(portal_db, "nordlys")
    conversation_id = await seed_conversation(portal_db, nordlys, "hello")
    customer = await message_id(portal_db, conversation_id, 2)

    page = await firm_admin.post(f"{NORDLYS}/messages/{customer}/mark", {"choice": "intent:order_pizza"})
    script = await firm_admin.post(f"{NORDLYS}/messages/{customer}/mark", {"choice": ""}, html=False)
    bot_line = await firm_admin.post(f"{NORDLYS}/messages/{await message_id(portal_db, conversation_id, 1)}/mark",
                                     {"choice": "intent:greet"})

    assert page.status == 400
    assert "Mark: is not an intent or FAQ topic of the assistant" in await page.text()
    assert script.status == 400 and (await script.json())["error"]["code"] == "bad_request"
    assert bot_line.status == 404  # only customer messages are marked
    assert await annotations(portal_db) == []


async def test_a_viewer_may_not_mark_or_remove(firm_viewer: PortalBrowser, portal_db: Database) -> None:
    ids = await seed_marked_message(portal_db, "nordlys")

    mark = await firm_viewer.post(f"{NORDLYS}/messages/{ids['message_id']}/mark", {"choice": "intent:greet"})
    remove = await firm_viewer.post(f"{NORDLYS}/annotations/{ids['annotation_id']}/remove")

    assert (mark.status, remove.status) == (403, 403)
    [row] = await annotations(portal_db)
    assert row.marked_by_name == "seed"


async def test_another_tenants_message_or_annotation_id_is_404_even_in_the_own_portal(
    other_firm_admin: PortalBrowser, portal_db: Database
) -> None:
    """fjordnett's admin, in fjordnett's own portal, naming nordlys's rows by id."""
    nordlys_rows = await seed_marked_message(portal_db, "nordlys")
    message, annotation = nordlys_rows["message_id"], nordlys_rows["annotation_id"]

    responses = [
        await other_firm_admin.get(f"{FJORDNETT}/messages/{message}", html=False),
        await other_firm_admin.post(f"{FJORDNETT}/messages/{message}/mark", {"choice": "intent:greet"}, html=False),
        await other_firm_admin.post(f"{FJORDNETT}/annotations/{annotation}/remove", html=False),
        await other_firm_admin.get(f"{FJORDNETT}/messages/99999999999", html=False),  # beyond any id
    ]

    assert [response.status for response in responses] == [404, 404, 404, 404]
    assert [(await response.json())["error"]["code"] for response in responses] == ["not_found"] * 4
    [row] = await annotations(portal_db)
    assert (row.intent, row.marked_by_name) == ("greet", "seed")
    listing = await (await other_firm_admin.get(FJORDNETT)).text()
    assert "flibber the wotsit" not in listing


async def test_a_supervisor_marks_in_any_firms_portal_as_themselves(supervisor: PortalBrowser, portal_db: Database) -> None:
    lighthouse = await tenant(portal_db, "lighthouse")
    conversation_id = await seed_conversation(portal_db, lighthouse, "when are you open on bank holidays")
    customer = await message_id(portal_db, conversation_id, 2)

    response = await supervisor.post(f"/portal/t/lighthouse/review/messages/{customer}/mark",
                                     {"choice": "intent:faq/opening_hours"})

    assert response.status == 303
    [row] = await annotations(portal_db)
    assert (row.tenant_id, row.marked_by_kind, row.intent) == (lighthouse.id, "agent", "faq/opening_hours")
