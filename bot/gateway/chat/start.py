"""The hello frame: start a conversation or resume one, then replay what the tab has not seen.

A new conversation costs one row and is limited per client address and per tenant
(NEW_CONVERSATIONS_PER_ADDRESS, NEW_CONVERSATIONS_PER_TENANT): its greeting is shown
as seq 1 but stored only with the customer's first message, and a conversation nobody
wrote in is deleted by the sweep (EMPTY_CONVERSATION_SECONDS). A resumed hello stores
nothing (unless the firm's site signs the customer in on it).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db import conversations as store
from bot.db.accounts import find_account
from bot.db.models import Conversation, Message
from bot.db.types import utcnow
from bot.gateway import protocol
from bot.gateway.errors import BadIdentity, GatewayError, NoSuchConversation, TooManyConversations
from bot.gateway.identity import user_hash_matches
from bot.gateway.protocol import Hello
from bot.gateway.chat.locks import TurnLocks
from bot.gateway.rate_limit import RateLimiter
from bot.gateway.sockets import ChatSocket, SocketRegistry
from bot.gateway.tenant_context import TenantContext

log = logging.getLogger(__name__)

# Conversations in these states end after IDLE_TIMEOUT_SECONDS without a message.
# (A customer waiting in a human agent's queue must not be ended; the handoff adds states.)
ENDABLE_WHEN_IDLE = ("bot",)


@dataclass(frozen=True)
class IdentityCheck:
    account_id: int | None = None
    account_number: str | None = None
    rejected: bool = False  # a user_hash was given and did not match


@dataclass
class Opening:
    conversation: Conversation
    resumed: bool
    last_seq: int
    replay: list[Message]
    notices: list[GatewayError] = field(default_factory=list)
    ended_previous: bool = False


@dataclass(frozen=True)
class NewConversationLimits:
    """New conversations per client address and per tenant (a flood of hellos costs us rows)."""

    per_address: RateLimiter
    per_tenant: RateLimiter

    async def allow(self, remote: str, tenant_slug: str) -> bool:
        return await self.per_address.allow(remote) and await self.per_tenant.allow(tenant_slug)


def unsaved_greeting(tenant: TenantContext, now: datetime) -> Message:
    """The greeting a new conversation shows as seq 1; stored with the first customer message."""
    return Message(seq=1, role="bot", text=tenant.greeting, buttons=[], created_at=now)


async def check_identity(
    session: AsyncSession, tenant: TenantContext, user_id: str | None, user_hash: str | None
) -> IdentityCheck:
    """Verified when the hash is the tenant's HMAC of user_id and that account exists."""
    if user_id is None and user_hash is None:
        return IdentityCheck()
    if (
        user_id is None
        or user_hash is None
        or not user_hash_matches(tenant.identity_secret, user_id, user_hash)
    ):
        # Neither the id, the hash nor the secret are logged.
        log.warning("bad identity hash for tenant %s; continuing anonymous", tenant.slug)
        return IdentityCheck(rejected=True)
    account = await find_account(session, tenant.ref, user_id)
    if account is None:
        log.info("signed identity of tenant %s names no known account; anonymous", tenant.slug)
        return IdentityCheck()
    return IdentityCheck(account_id=account.id, account_number=account.account_number)


class ConversationStart:
    def __init__(
        self,
        database: Database,
        sockets: SocketRegistry,
        locks: TurnLocks,
        idle_timeout_seconds: float,
        limits: NewConversationLimits,
    ) -> None:
        self._db = database
        self._sockets = sockets
        self._locks = locks
        self._idle = timedelta(seconds=idle_timeout_seconds)
        self._limits = limits

    async def handle_hello(self, socket: ChatSocket, hello: Hello) -> Opening:
        """Answer a hello: notices, conversation_ended (if so), welcome, then the replay.

        Runs under the requested conversation's transcript lock, so a message
        stored meanwhile reaches this tab exactly once: in the replay or live.
        """
        requested = hello.conversation_id
        lock = self._locks.transcript(requested) if requested else contextlib.nullcontext()
        async with lock:
            async with self._db.sessionmaker.begin() as session:
                opening = await self._open(session, socket, hello, utcnow())
            conversation = opening.conversation
            for notice in opening.notices:
                await socket.send(protocol.error(notice.code, notice.message))
            if opening.ended_previous:
                await socket.send(protocol.conversation_ended("idle"))
            # The tab has what it asked to resume from; a new conversation: nothing yet.
            has = min(hello.last_seq, opening.last_seq) if opening.resumed else 0
            await self._sockets.bind(socket, conversation.id, last_seq=has)
            socket.language = conversation.language
            await socket.send(
                protocol.welcome(
                    conversation.id,
                    resumed=opening.resumed,
                    verified=conversation.verified_by == "site",
                    last_seq=opening.last_seq,
                )
            )
            for message in opening.replay:
                await socket.send(protocol.message(message))
        return opening

    async def _open(
        self, session: AsyncSession, socket: ChatSocket, hello: Hello, now: datetime
    ) -> Opening:
        tenant = socket.tenant
        identity = await check_identity(session, tenant, hello.user_id, hello.user_hash)
        notices: list[GatewayError] = [BadIdentity()] if identity.rejected else []
        ended_previous = False
        conversation = None
        if hello.conversation_id is not None:
            conversation = await store.get_conversation(session, tenant.ref, hello.conversation_id)
            if conversation is None:
                notices.append(NoSuchConversation())
            elif self._is_over(conversation, now):
                if conversation.ended_at is None:
                    await store.end_conversation(session, tenant.ref, conversation.id, at=now)
                ended_previous = True
                conversation = None
            elif not _may_resume(conversation, identity.account_id):
                # Someone else's verified conversation (e.g. a shared computer): as if unknown.
                notices.append(NoSuchConversation())
                conversation = None

        if conversation is not None:
            if identity.account_id is not None and conversation.verified_by != "site":
                await store.set_verified_account(
                    session, tenant.ref, conversation.id, identity.account_id, by="site"
                )
                conversation.verified_account_id = identity.account_id
                conversation.verified_by, conversation.verified_with = "site", None
            if conversation.last_seq == 0:  # nobody wrote yet: only the unsaved greeting
                replay = [unsaved_greeting(tenant, now)] if hello.last_seq < 1 else []
                return Opening(conversation, True, 1, replay, notices, ended_previous)
            replay = await store.messages_after(
                session, tenant.ref, conversation.id, hello.last_seq
            )
            last_seq = max([conversation.last_seq, *(message.seq for message in replay)])
            return Opening(conversation, True, last_seq, replay, notices, ended_previous)

        if not await self._limits.allow(socket.remote, tenant.slug):
            raise TooManyConversations()
        conversation = await store.start_conversation(
            session,
            tenant.ref,
            language=tenant.conversation_language(hello.language),
            verified_account_id=identity.account_id,
        )
        greeting = unsaved_greeting(tenant, now)
        return Opening(conversation, False, greeting.seq, [greeting], notices, ended_previous)

    def _is_over(self, conversation: Conversation, now: datetime) -> bool:
        if conversation.ended_at is not None:
            return True
        idle = conversation.last_activity_at < now - self._idle
        return idle and conversation.state in ENDABLE_WHEN_IDLE


def _may_resume(conversation: Conversation, signed_in_account_id: int | None) -> bool:
    """Whether this browser may resume `conversation`.

    A conversation the firm's site signed in needs the same signed-in customer. One
    the assistant verified belongs to the browser that holds its id, unless the site
    now signs in a different customer.
    """
    if conversation.verified_account_id is None:
        return True
    if conversation.verified_by == "site" or signed_in_account_id is not None:
        return signed_in_account_id == conversation.verified_account_id
    return True
