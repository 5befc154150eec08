"""Conversation endpoints: list, the stored (redacted) transcript, ratings."""

from __future__ import annotations

from typing import Any

from bot.db import audit
from bot.db.firm_listings import ConversationKey, conversation_by_public_id, conversation_page, transcript_page
from bot.db.models import CONVERSATION_STATES
from bot.firm_api import cursor
from bot.firm_api import schema as s
from bot.firm_api.common import DEFAULT_LIMIT, PAGE_PARAMS, errors
from bot.firm_api.errors import InvalidRequest, ResourceNotFound
from bot.firm_api.operations import Call, Operation, Param, Reply, Response
from bot.firm_api.views import (
    CONVERSATION_ID_MEANING,
    conversation_id,
    conversation_view,
    message_view,
    rating_view,
)

TAG = "Conversations"
SINCE = Param("since", s.string(fmt="date-time"), "Only conversations started at or after this time (RFC 3339)")


def _conversation_key(kind: str, query: dict[str, Any]) -> ConversationKey | None:
    if "cursor" not in query:
        return None
    position = cursor.decode(kind, query["cursor"])
    created = s.parse_datetime(position[0]) if len(position) == 2 and isinstance(position[0], str) else None
    if created is None or not isinstance(position[1], str):
        raise InvalidRequest("query.cursor: not a cursor of this list")
    return created, position[1]


async def _page(call: Call, kind: str, *, rated_only: bool) -> tuple[list[Any], str | None]:
    query = call.query
    limit = query.get("limit", DEFAULT_LIMIT)
    since = s.parse_datetime(query["since"]) if "since" in query else None
    async with call.deps.database.sessionmaker() as session:
        rows = await conversation_page(
            session, call.tenant.id, limit=limit + 1, before=_conversation_key(kind, query),
            state=query.get("state"), since=since, rated_only=rated_only,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].conversation if rows else None
    # The public id, not the raw one: a cursor is only base64, and the raw id resumes the chat.
    next_cursor = cursor.encode(kind, [last.created_at.isoformat(), last.public_id]) if more and last else None
    return rows, next_cursor


async def list_conversations(call: Call) -> Reply:
    rows, next_cursor = await _page(call, "conversations", rated_only=False)
    return Reply(200, {"data": [conversation_view(row) for row in rows], "next_cursor": next_cursor})


async def list_ratings(call: Call) -> Reply:
    rows, next_cursor = await _page(call, "ratings", rated_only=True)
    return Reply(200, {"data": [rating_view(row) for row in rows], "next_cursor": next_cursor})


async def get_transcript(call: Call) -> Reply:
    public_id = call.path["conversation_id"]
    limit = call.query.get("limit", 100)
    after = 0
    if "cursor" in call.query:
        position = cursor.decode("messages", call.query["cursor"])
        if len(position) != 1 or not isinstance(position[0], int):
            raise InvalidRequest("query.cursor: not a cursor of this list")
        after = position[0]
    async with call.deps.database.sessionmaker.begin() as session:  # begin: the read is audited
        conversation = await conversation_by_public_id(session, call.tenant.id, public_id)
        if conversation is None:
            raise ResourceNotFound("No such conversation.")
        await audit.record(  # the raw id, as every other audit entry of a conversation names it
            session, audit.Actor.api_key(call.caller.key_id), audit.TRANSCRIPT_READ,
            tenant_id=call.tenant.id, target_kind="conversation", target_id=conversation.id,
        )
        messages = await transcript_page(session, call.tenant.id, conversation.id, after_seq=after, limit=limit + 1)
    more = len(messages) > limit
    messages = messages[:limit]
    next_cursor = cursor.encode("messages", [messages[-1].seq]) if more else None
    return Reply(
        200,
        {"conversation_id": public_id, "data": [message_view(m) for m in messages], "next_cursor": next_cursor},
    )


OPERATIONS = (
    Operation(
        "GET", "/v1/firm/conversations", "listConversations", "List conversations", TAG,
        "conversations:read", list_conversations,
        description="Newest first.",
        query=(
            Param("state", s.string(enum=CONVERSATION_STATES), "Only conversations in this state"),
            SINCE,
            *PAGE_PARAMS,
        ),
        responses=(Response(200, "A page of conversations", s.ref("ConversationPage")), *errors()),
    ),
    Operation(
        "GET", "/v1/firm/conversations/{conversation_id}/messages", "getTranscript",
        "A conversation's transcript", TAG, "conversations:read", get_transcript,
        description=(
            "The stored copy, oldest first: card numbers, national identity numbers, e-mails, "
            "phones and bank accounts were replaced by placeholders before it was stored."
        ),
        path_params=(Param("conversation_id", conversation_id(), CONVERSATION_ID_MEANING, required=True),),
        query=(
            Param("limit", s.integer(minimum=1, maximum=500), "Messages per page, 1-500 (default 100)"),
            PAGE_PARAMS[1],
        ),
        responses=(Response(200, "A page of the transcript", s.ref("Transcript")), *errors()),
    ),
    Operation(
        "GET", "/v1/firm/ratings", "listRatings", "List customer ratings", "Ratings",
        "conversations:read", list_ratings,
        description="The 1-5 ratings customers gave after a chat with an agent, newest conversation first.",
        query=(SINCE, *PAGE_PARAMS),
        responses=(Response(200, "A page of ratings", s.ref("RatingPage")), *errors()),
    ),
)
