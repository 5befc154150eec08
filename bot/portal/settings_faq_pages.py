"""FAQ answers per language: list, edit, preview in the widget, publish.

Publishing writes the answer the assistant reads for every FAQ question (bot.db.faq), so it
takes effect with the next question: no restart, no retraining.
"""

from __future__ import annotations

from aiohttp import web

from bot.db.faq_admin import FAQ_ANSWER_MAX_CHARS
from bot.db.models import LANGUAGES
from bot.firm_settings import use_cases
from bot.firm_settings.errors import InvalidSettings, UnknownFaqTopic
from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.errors import PageNotFound
from bot.portal.pages import render_page
from bot.portal.settings_forms import COMMON, SETTINGS, saved, sessionmaker, text
from bot.portal.settings_preview import PREVIEW_ELEMENT, widget_preview

ANSWER = SETTINGS + "/faq/{key}/{language}"


def add_faq_routes(app: web.Application) -> None:
    app.router.add_get(f"{SETTINGS}/faq", faq_page)
    app.router.add_get(ANSWER, answer_page)
    app.router.add_post(f"{ANSWER}/preview", preview_answer)
    app.router.add_post(ANSWER, publish_answer)


async def faq_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    topics = await use_cases.faq_topics(sessionmaker(request), access.tenant_slug)
    return render_page(request, "settings_faq.html", access=access, title="FAQ answers", nav_key="faq",
                       topics=topics, languages=LANGUAGES, **COMMON)


async def answer_page(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    key, language = _topic_in_url(request)
    current = await _current(request, access, key, language)
    return await _edit(request, access, key, language, current or "", shown=current,
                       published="published" in request.query)


async def preview_answer(request: web.Request) -> web.Response:
    """The typed answer in the widget, nothing published (or the form's problem)."""
    access = await require_portal_access(request, write=True)
    key, language = _topic_in_url(request)
    typed = text(await request.post(), "answer")
    current = await _current(request, access, key, language)
    try:
        draft = use_cases.preview_faq_answer(language, typed)
    except InvalidSettings as error:
        return await _edit(request, access, key, language, typed, shown=current, errors=error.problems, status=400)
    return await _edit(request, access, key, language, typed, shown=draft, previewing=True)


async def publish_answer(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    key, language = _topic_in_url(request)
    typed = text(await request.post(), "answer")
    try:
        await use_cases.publish_faq_answer(
            sessionmaker(request), access.tenant_slug, key, language, typed, actor=access.actor)
    except UnknownFaqTopic:
        raise PageNotFound() from None
    except InvalidSettings as error:
        current = await _current(request, access, key, language)
        return await _edit(request, access, key, language, typed, shown=current, errors=error.problems, status=400)
    raise saved(access, f"settings/faq/{key}/{language}", "published")


def _topic_in_url(request: web.Request) -> tuple[str, str]:
    key, language = request.match_info["key"], request.match_info["language"]
    if language not in LANGUAGES:
        raise PageNotFound()
    return key, language


async def _current(request: web.Request, access: PortalAccess, key: str, language: str) -> str | None:
    try:
        topic = await use_cases.faq_topic(sessionmaker(request), access.tenant_slug, key)
    except UnknownFaqTopic:
        raise PageNotFound() from None
    return topic.answers.get(language)


async def _edit(
    request: web.Request,
    access: PortalAccess,
    key: str,
    language: str,
    answer: str,
    *,
    shown: str | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    published: bool = False,
    previewing: bool = False,
) -> web.Response:
    settings = await use_cases.firm_settings(sessionmaker(request), access.tenant_slug)
    exchange = (key, shown) if shown else None
    note = ("Your answer as a customer would see it. Not published yet." if previewing
            else "The published answer, as a customer sees it now." if shown
            else "Not answered in this language yet: the assistant gives the English answer.")
    return render_page(
        request, "settings_faq_edit.html", access=access, title="FAQ answer", nav_key="faq", status=status,
        key=key, language=language, answer=answer, errors=errors or {}, published=published,
        previewing=previewing, max_chars=FAQ_ANSWER_MAX_CHARS,
        other_language=next((other for other in LANGUAGES if other != language), None),
        preview=widget_preview(settings, settings.branding, language=language, exchange=exchange),
        preview_element=PREVIEW_ELEMENT, preview_note=note, **COMMON,
    )
