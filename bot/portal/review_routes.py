"""Conversation review pages: the tenant's transcripts, searched and filtered, and marks on
customer messages (bot/review does the work; this module is HTTP only).

    GET  /t/{tenant_slug}/review                          the list (filters in the query string)
    GET  /t/{tenant_slug}/review/messages/{id}            the conversation of that message, at it
    POST /t/{tenant_slug}/review/messages/{id}/mark       mark a customer message (admin, supervisor)
    POST /t/{tenant_slug}/review/annotations/{id}/remove  remove a mark (admin, supervisor)

A conversation is addressed by one of its messages, never by its id: that id is the
customer's browser's key to the chat and must stay out of URLs, histories and logs.
Everything of another tenant answers 404, like something that does not exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import audit
from bot.db.conversations import ConversationNotFound
from bot.db.models import Tenant
from bot.portal.access import PortalAccess, require_portal_access
from bot.portal.errors import InvalidInput, PageNotFound
from bot.portal.keys import DATABASE, INTENT_CATALOG, REDACTOR
from bot.portal.middlewares import wants_html
from bot.portal.pages import render_page
from bot.review.annotations import (
    NEW_ANSWER_CHOICE,
    Annotator,
    choice_of,
    mark_message,
    parse_mark,
    remove_annotation,
)
from bot.review.catalog import assistant_intent_catalog
from bot.review.errors import AnnotationNotFound, InvalidAnnotation, InvalidFilter, MessageNotFound
from bot.review.filters import LOW_RATING_AT_MOST, parse_filter
from bot.review.search import search_conversations
from bot.review.transcript import conversation_of_message, read_transcript

REVIEW = "/t/{tenant_slug}/review"
_MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database: anything larger cannot exist

HANDOFF_REASONS = {
    "customer_request": "asked for a person",
    "complaint": "complaint",
    "nlu_fallback": "not understood",
    "repeated_misses": "not understood twice",
    "verification_failed": "verification failed",
    "unanswered_question": "question not answered",
}
FALLBACKS = {"nlu": "not understood", "dialogue": "could not follow"}
STATES = {
    "bot": "with the assistant", "queued": "waiting for a person", "assigned": "with a person",
    "resolved": "resolved",
}
SPEAKERS = {"customer": "Customer", "bot": "Assistant", "agent": "Agent", "system": "Notice"}
FLAGS = ("handed_off", "not_understood", "low_rating", "annotated")


def add_review_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(_intent_catalog_ctx)
    app.router.add_get(REVIEW, review_list)
    app.router.add_get(REVIEW + "/messages/{message_id:\\d+}", review_conversation)
    app.router.add_post(REVIEW + "/messages/{message_id:\\d+}/mark", mark)
    app.router.add_post(REVIEW + "/annotations/{annotation_id:\\d+}/remove", remove_mark)


async def _intent_catalog_ctx(app: web.Application) -> AsyncIterator[None]:
    # The assistant's intents and FAQ topics, from domain.yml and data/ (file I/O: in a thread).
    app[INTENT_CATALOG] = await asyncio.to_thread(assistant_intent_catalog)
    yield


# --- the list -------------------------------------------------------------------------------

async def review_list(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    try:
        review_filter = parse_filter(request.query)
        after = request.query.get("after") or None
        async with request.app[DATABASE].sessionmaker() as session:
            page = await search_conversations(session, access.tenant_id, review_filter, after=after)
            zone = await _time_zone(session, access.tenant_id)
    except InvalidFilter as error:
        if not wants_html(request):
            raise InvalidInput(f"{_field_label(error.field)}: {error.problem}") from None
        return await _list_error(request, access, error)
    back = urlencode(review_filter.as_query())
    next_link = None
    if page.next_cursor:
        next_link = access.path("review") + "?" + urlencode({**review_filter.as_query(), "after": page.next_cursor})
    return _render_list(
        request, access, review_filter.as_query(), conversations=page.conversations, next_link=next_link,
        back=back, when=_formatter(zone), paged=after is not None,
    )


async def _list_error(request: web.Request, access: PortalAccess, error: InvalidFilter) -> web.Response:
    # The form shows again what was typed (autoescaped), with what was wrong.
    typed = {key: request.query.get(key, "")[:200] for key in ("from", "to", "q", "language", *FLAGS)}
    return _render_list(
        request, access, typed, conversations=[], next_link=None, back="", when=str, paged=False,
        status=400, error=f"{_field_label(error.field)}: {error.problem}",
    )


def _render_list(
    request: web.Request, access: PortalAccess, values: dict[str, str], *, status: int = 200,
    error: str = "", **context: object,
) -> web.Response:
    return render_page(
        request, "review_list.html", access=access, title="Conversations", nav_key="review", status=status,
        values=values, error=error, reasons=HANDOFF_REASONS, low_rating=LOW_RATING_AT_MOST,
        filtered=any(values.values()), **context,
    )


# --- one conversation -----------------------------------------------------------------------

async def review_conversation(request: web.Request) -> web.Response:
    access = await require_portal_access(request)
    return await _conversation_page(request, access, _id(request, "message_id"))


async def _conversation_page(
    request: web.Request, access: PortalAccess, message_id: int, *, status: int = 200,
    error: str = "", error_message_id: int | None = None, back: str | None = None,
) -> web.Response:
    try:
        async with request.app[DATABASE].sessionmaker.begin() as session:
            conversation_id = await conversation_of_message(session, access.tenant_id, message_id)
            transcript = await read_transcript(session, access.tenant_id, conversation_id)
            zone = await _time_zone(session, access.tenant_id)
            # Reading a transcript is reading personal data: on the record, like the console's.
            await audit.record(session, access.actor, audit.TRANSCRIPT_READ, tenant_id=access.tenant_id,
                               target_kind="conversation", target_id=conversation_id,
                               details={"via": "portal_review"})
    except (MessageNotFound, ConversationNotFound):
        raise PageNotFound() from None
    back_query = _safe_back(request.query.get("back", "") if back is None else back)
    return render_page(
        request, "review_conversation.html", access=access, title="Conversation", nav_key="review",
        status=status, transcript=transcript, focus=message_id, catalog=request.app[INTENT_CATALOG],
        choice_of=choice_of, new_answer=NEW_ANSWER_CHOICE, when=_formatter(zone), reasons=HANDOFF_REASONS,
        fallbacks=FALLBACKS, speakers=SPEAKERS, states=STATES, error=error, error_message_id=error_message_id, back=back_query,
        list_link=access.path("review") + ("?" + back_query if back_query else ""),
    )


# --- marking --------------------------------------------------------------------------------

async def mark(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    message_id = _id(request, "message_id")
    form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    back = _safe_back(form.get("back", ""))
    redactor = request.app[REDACTOR]
    try:
        the_mark = parse_mark(form, request.app[INTENT_CATALOG])
        async with request.app[DATABASE].sessionmaker.begin() as session:
            await mark_message(session, access.tenant_id, message_id, the_mark, _annotator(access),
                               redact=lambda text: redactor.redact(text).text)
    except MessageNotFound:
        raise PageNotFound() from None
    except InvalidAnnotation as error:
        if not wants_html(request):
            raise InvalidInput(f"{_field_label(error.field)}: {error.problem}") from None
        return await _conversation_page(
            request, access, message_id, status=400, error=f"{_field_label(error.field)}: {error.problem}",
            error_message_id=message_id, back=back,
        )
    raise web.HTTPSeeOther(_message_link(access, message_id, back))


async def remove_mark(request: web.Request) -> web.Response:
    access = await require_portal_access(request, write=True)
    form = await request.post()
    back = _safe_back(str(form.get("back", "")))
    try:
        async with request.app[DATABASE].sessionmaker.begin() as session:
            message_id = await remove_annotation(session, access.tenant_id, _id(request, "annotation_id"),
                                                 _annotator(access))
    except AnnotationNotFound:
        raise PageNotFound() from None
    raise web.HTTPSeeOther(_message_link(access, message_id, back))


# --- helpers ----------------------------------------------------------------------------------

def _annotator(access: PortalAccess) -> Annotator:
    if access.user_id is not None:
        return Annotator("portal_user", access.user_id, access.display_name, access.role)
    return Annotator("agent", access.agent_id, access.display_name, access.role)


def _id(request: web.Request, name: str) -> int:
    value = int(request.match_info[name])  # the route allows digits only
    if value > _MAX_ID:
        raise PageNotFound()
    return value


def _message_link(access: PortalAccess, message_id: int, back: str) -> str:
    query = "?" + urlencode({"back": back}) if back else ""
    return access.path(f"review/messages/{message_id}") + query + f"#m{message_id}"


def _safe_back(raw: str) -> str:
    """The list's filters to return to, re-encoded from a valid filter (never echoed raw)."""
    try:
        return urlencode(parse_filter(dict(parse_qsl(raw))).as_query())
    except InvalidFilter:
        return ""


async def _time_zone(session: AsyncSession, tenant_id: int) -> ZoneInfo:
    name = await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id))
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _formatter(zone: ZoneInfo) -> Callable[[datetime | None], str]:
    """Times as the firm reads them: its own time zone."""
    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    return when


def _field_label(field: str) -> str:
    return {"q": "Search", "from": "From", "to": "To", "after": "Page", "choice": "Mark", "note": "Note"}.get(
        field, field.replace("_", " ").capitalize()
    )
