"""The settings pages through the real gateway: forms, field errors with nothing lost, roles, CSRF, isolation.

Fixtures (tests/portal/conftest.py): firm_admin / firm_viewer of nordlys, other_firm_admin of
fjordnett, supervisor (the BPO's), each a signed-in PortalBrowser; browser() signed out.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.db import Database, Tenant, faq_answer, tenant_ref
from bot.firm_settings import use_cases
from tests.portal.support import PortalBrowser

BASE = "/portal/t/nordlys/settings"
PREVIEW = re.compile(r'<script type="application/json" id="widget-preview-config">(.*?)</script>', re.S)
GOOD_BRANDING = {"color": "#1a4d2e", "title": "Nordlys hjelp", "greeting": "Hei!", "avatar_url": ""}
GOOD_HOURS = {"time_zone": "Europe/Oslo", "mon": "08:00-16:00", "tue": "08:00-16:00", "wed": "08:00-16:00",
              "thu": "08:00-16:00", "fri": "08:00-15:00", "sat": "", "sun": "", "closed": "2026-12-24\n2026-12-25"}

# Every settings endpoint: (method, path under /portal/t/{slug}/settings, a valid form for writes).
READS = ["", "/faq", "/faq/opening_hours/en", "/faq/opening_hours/nb", "/branding", "/origins", "/hours", "/changes"]
WRITES: list[tuple[str, dict[str, str]]] = [
    ("/faq/opening_hours/en", {"answer": "Open 07-17."}),
    ("/faq/opening_hours/en/preview", {"answer": "Open 07-17."}),
    ("/branding", GOOD_BRANDING),
    ("/branding/preview", GOOD_BRANDING),
    ("/origins", {"allowed_origins": "https://www.nordlys.no"}),
    ("/hours", GOOD_HOURS),
    ("/identity-secret", {"confirm": "yes"}),
]


def preview_of(page: str) -> dict:
    """The configuration the page's widget preview shows (the JSON data block)."""
    match = PREVIEW.search(page)
    assert match is not None, "the page has no widget preview"
    return json.loads(match.group(1))


async def page_text(person: PortalBrowser, path: str, status: int = 200) -> str:
    response = await person.get(path)
    assert response.status == status, f"GET {path}: {response.status}"
    return await response.text()


async def nordlys_row(database: Database) -> Tenant:
    async with database.sessionmaker() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == "nordlys"))
    assert tenant is not None
    return tenant


# --- every endpoint: who may read, who may write ----------------------------------------------

@pytest.mark.parametrize("path", READS)
async def test_every_settings_page_is_readable_by_the_firm_and_supervisors(
    path: str, firm_admin: PortalBrowser, firm_viewer: PortalBrowser, supervisor: PortalBrowser
) -> None:
    for person in (firm_admin, firm_viewer, supervisor):
        await page_text(person, BASE + path)


@pytest.mark.parametrize("path", READS)
async def test_another_firms_user_gets_404_on_every_settings_page(path: str, other_firm_admin: PortalBrowser) -> None:
    assert (await other_firm_admin.get(BASE + path)).status == 404


@pytest.mark.parametrize(("path", "form"), WRITES)
async def test_another_firms_admin_cannot_write_and_nothing_changes(
    path: str, form: dict[str, str], other_firm_admin: PortalBrowser, portal_db: Database
) -> None:
    before = await nordlys_row(portal_db)

    assert (await other_firm_admin.post(BASE + path, form)).status == 404

    after = await nordlys_row(portal_db)
    assert (after.branding, after.allowed_origins, after.business_hours, after.identity_secret) == (
        before.branding, before.allowed_origins, before.business_hours, before.identity_secret)
    assert await use_cases.change_record(portal_db.sessionmaker, "nordlys") == []


@pytest.mark.parametrize(("path", "form"), WRITES)
async def test_a_viewer_sees_but_cannot_change(
    path: str, form: dict[str, str], firm_viewer: PortalBrowser, portal_db: Database
) -> None:
    assert (await firm_viewer.post(BASE + path, form)).status == 403
    assert await use_cases.change_record(portal_db.sessionmaker, "nordlys") == []


@pytest.mark.parametrize(("path", "form"), WRITES)
async def test_a_write_without_the_csrf_token_is_refused(
    path: str, form: dict[str, str], firm_admin: PortalBrowser, portal_db: Database
) -> None:
    assert (await firm_admin.post(BASE + path, form, csrf="")).status == 403
    assert (await firm_admin.post(BASE + path, form, csrf="forged")).status == 403
    assert await use_cases.change_record(portal_db.sessionmaker, "nordlys") == []


@pytest.mark.parametrize(("path", "form"), WRITES)
async def test_signed_out_writes_are_refused(
    path: str, form: dict[str, str], browser: Callable[[], PortalBrowser], portal_db: Database
) -> None:
    response = await browser().post(BASE + path, form, html=False)
    assert response.status == 401
    assert await use_cases.change_record(portal_db.sessionmaker, "nordlys") == []


async def test_viewer_pages_have_no_save_buttons_and_read_only_fields(firm_viewer: PortalBrowser) -> None:
    for path in ("/branding", "/faq/opening_hours/en", "/origins", "/hours"):
        page = await page_text(firm_viewer, BASE + path)
        assert "cannot change them" in page
        assert 'class="primary"' not in page
        assert " readonly" in page
    assert "Make a new secret" not in await page_text(firm_viewer, BASE)


async def test_a_supervisor_may_change_any_firms_settings_and_is_recorded_as_the_bpo(
    supervisor: PortalBrowser, portal_db: Database
) -> None:
    response = await supervisor.post("/portal/t/fjordnett/settings/origins", {"allowed_origins": "https://fjordnett.no"})

    assert response.status == 303
    [change] = await use_cases.change_record(portal_db.sessionmaker, "fjordnett")
    assert (change.actor_kind, change.actor_role) == ("agent", "supervisor")
    assert "BPO supervisor" in await page_text(supervisor, "/portal/t/fjordnett/settings/changes")


async def test_an_unknown_topic_or_language_is_404(firm_admin: PortalBrowser) -> None:
    assert (await firm_admin.get(f"{BASE}/faq/free_pizza/en")).status == 404
    assert (await firm_admin.get(f"{BASE}/faq/opening_hours/de")).status == 404
    assert (await firm_admin.post(f"{BASE}/faq/free_pizza/en", {"answer": "Yes"})).status == 404


# --- FAQ answers --------------------------------------------------------------------------------

async def test_the_faq_page_lists_every_topic_in_both_languages(firm_viewer: PortalBrowser, portal_db: Database) -> None:
    page = await page_text(firm_viewer, f"{BASE}/faq")
    topics = await use_cases.faq_topics(portal_db.sessionmaker, "nordlys")
    for topic in topics:
        assert f"{BASE}/faq/{topic.key}/en" in page and f"{BASE}/faq/{topic.key}/nb" in page


async def test_preview_shows_the_typed_answer_in_the_widget_and_publishes_nothing(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    nordlys = await _ref(portal_db)
    before = await _answer(portal_db, nordlys, "opening_hours", "nb")

    response = await firm_admin.post(f"{BASE}/faq/opening_hours/nb/preview", {"answer": "Åpent 07–17 <i>alle</i> dager."})

    assert response.status == 200
    page = await response.text()
    config = preview_of(page)
    assert config["messages"][-1] == {"role": "bot", "text": "Åpent 07–17 <i>alle</i> dager."}
    assert config["language"] == "nb"
    assert "<i>alle</i>" not in page  # escaped in the textarea, \u003c in the JSON block
    assert "Not published yet" in page
    assert await _answer(portal_db, nordlys, "opening_hours", "nb") == before


async def test_publishing_an_answer_is_what_the_assistant_reads_next_and_is_recorded(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    response = await firm_admin.post(f"{BASE}/faq/opening_hours/en", {"answer": "We are open 07-17, Monday to Friday."})

    assert response.status == 303
    assert response.headers["Location"] == f"{BASE}/faq/opening_hours/en?published=1"
    assert await _answer(portal_db, await _ref(portal_db), "opening_hours", "en") == "We are open 07-17, Monday to Friday."
    page = await page_text(firm_admin, response.headers["Location"])
    assert "Published." in page
    assert preview_of(page)["messages"][-1]["text"] == "We are open 07-17, Monday to Friday."
    changes = await page_text(firm_admin, f"{BASE}/changes")
    assert "FAQ answer published" in changes and "We are open 07-17, Monday to Friday." in changes
    assert "Nordlys Admin" in changes or "(admin)" in changes


@pytest.mark.parametrize("answer", ["", "   ", "x" * 2001])
async def test_a_bad_answer_comes_back_with_the_error_and_the_typed_text(
    answer: str, firm_admin: PortalBrowser, portal_db: Database
) -> None:
    nordlys = await _ref(portal_db)
    before = await _answer(portal_db, nordlys, "opening_hours", "en")

    response = await firm_admin.post(f"{BASE}/faq/opening_hours/en", {"answer": answer})

    assert response.status == 400
    page = await response.text()
    assert 'id="e-answer"' in page and 'aria-invalid="true"' in page
    assert "Nothing was saved" in page
    if answer.strip():
        assert answer in page  # nothing lost
    assert await _answer(portal_db, nordlys, "opening_hours", "en") == before


# --- branding ---------------------------------------------------------------------------------------

async def test_branding_preview_shows_the_typed_colour_and_saves_nothing(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    response = await firm_admin.post(f"{BASE}/branding/preview", GOOD_BRANDING)

    assert response.status == 200
    config = preview_of(await response.text())
    assert config["branding"]["color"] == "#1a4d2e"
    assert config["branding"]["title"] == "Nordlys hjelp"
    assert config["messages"][0] == {"role": "bot", "text": "Hei!"}
    assert (await nordlys_row(portal_db)).branding["color"] == "#0F5F63"


async def test_saving_branding_changes_the_widgets_configuration(firm_admin: PortalBrowser, portal_db: Database) -> None:
    response = await firm_admin.post(f"{BASE}/branding", {**GOOD_BRANDING, "avatar_url": "https://cdn.nordlys.no/a.png"})

    assert response.status == 303
    widget = await firm_admin.http.get(firm_admin.url("/api/v1/tenants/nordlys/widget"),
                                       headers={"Origin": "http://localhost:8000"})
    assert (await widget.json())["branding"] == {"color": "#1a4d2e", "title": "Nordlys hjelp", "greeting": "Hei!",
                                                 "avatar_url": "https://cdn.nordlys.no/a.png"}


async def test_bad_branding_shows_each_problem_by_its_field_and_keeps_the_form(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    typed = {"color": "#777777", "title": "Still here", "greeting": "Hei igjen", "avatar_url": "http://cdn.nordlys.no/a.png"}

    response = await firm_admin.post(f"{BASE}/branding", typed)

    assert response.status == 400
    page = await response.text()
    assert 'id="e-color"' in page and "hard to read" in page
    assert 'id="e-avatar_url"' in page and "https://" in page
    assert 'id="e-title"' not in page
    for value in typed.values():
        assert f'value="{html.escape(value)}"' in page
    assert (await nordlys_row(portal_db)).branding["color"] == "#0F5F63"


# --- origins, hours -----------------------------------------------------------------------------------

async def test_origins_are_saved_and_a_bad_one_comes_back_with_the_lines_typed(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    typed = "https://www.nordlys.no\nhttp://evil.example/path"
    refused = await firm_admin.post(f"{BASE}/origins", {"allowed_origins": typed})
    assert refused.status == 400
    page = await refused.text()
    assert "http://evil.example/path" in page and 'id="e-allowed_origins"' in page
    assert html.escape(typed) in page.replace("\r\n", "\n")

    async def widget_status(origin: str) -> int:
        response = await firm_admin.http.get(firm_admin.url("/api/v1/tenants/nordlys/widget"), headers={"Origin": origin})
        return response.status

    assert await widget_status("https://min.nordlys.no") == 403
    saved = await firm_admin.post(f"{BASE}/origins", {"allowed_origins": "https://www.nordlys.no/\r\nhttps://min.nordlys.no"})
    assert saved.status == 303
    assert (await nordlys_row(portal_db)).allowed_origins == ["https://www.nordlys.no", "https://min.nordlys.no"]
    assert await widget_status("https://min.nordlys.no") == 200  # from the next request on
    assert await widget_status("http://127.0.0.1:8000") == 403  # an origin taken off the list


async def test_hours_and_closures_are_saved_in_the_firms_zone(firm_admin: PortalBrowser, portal_db: Database) -> None:
    response = await firm_admin.post(f"{BASE}/hours", GOOD_HOURS)

    assert response.status == 303
    tenant = await nordlys_row(portal_db)
    assert tenant.business_hours["fri"] == [["08:00", "15:00"]]
    assert tenant.business_hours["closed"] == ["2026-12-24", "2026-12-25"]
    page = await page_text(firm_admin, f"{BASE}/hours?saved=1")
    assert 'value="08:00-15:00"' in page and "2026-12-24\n2026-12-25" in page


async def test_bad_hours_name_their_fields_and_keep_every_value(firm_admin: PortalBrowser, portal_db: Database) -> None:
    typed = {**GOOD_HOURS, "time_zone": "Oslo", "tue": "8 to 4", "closed": "24/12/2026"}

    response = await firm_admin.post(f"{BASE}/hours", typed)

    assert response.status == 400
    page = await response.text()
    for field in ("time_zone", "tue", "closed"):
        assert f'id="e-{field}"' in page
    assert 'value="Oslo"' in page and 'value="8 to 4"' in page and "24/12/2026" in page
    assert (await nordlys_row(portal_db)).time_zone == "Europe/Oslo"


# --- embed snippet, identity secret ----------------------------------------------------------------

async def test_the_overview_offers_the_one_line_embed_snippet(firm_viewer: PortalBrowser) -> None:
    page = await page_text(firm_viewer, BASE)
    match = re.search(r'id="embed-snippet" type="text" readonly value="([^"]*)"', page)
    assert match is not None
    assert html.unescape(match.group(1)) == '<script src="http://localhost:8000/widget.js" data-tenant="nordlys" async></script>'


async def test_a_new_identity_secret_is_shown_once_and_recorded_as_rotated_only(
    firm_admin: PortalBrowser, portal_db: Database
) -> None:
    old = (await nordlys_row(portal_db)).identity_secret
    unconfirmed = await firm_admin.post(f"{BASE}/identity-secret", {})
    assert unconfirmed.status == 400
    assert (await nordlys_row(portal_db)).identity_secret == old

    response = await firm_admin.post(f"{BASE}/identity-secret", {"confirm": "yes"})

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = (await nordlys_row(portal_db)).identity_secret
    assert secret != old
    assert secret in await response.text()
    for path in READS:  # never again, on any page
        assert secret not in await page_text(firm_admin, BASE + path)
    changes = await page_text(firm_admin, f"{BASE}/changes")
    assert "New identity secret made" in changes and old not in changes


async def _ref(database: Database):  # type: ignore[no-untyped-def]
    async with database.sessionmaker() as session:
        return await tenant_ref(session, "nordlys")


async def _answer(database: Database, tenant, key: str, language: str) -> str | None:  # type: ignore[no-untyped-def]
    async with database.sessionmaker() as session:
        return await faq_answer(session, tenant, key, language)
