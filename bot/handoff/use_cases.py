"""Human handoff use cases: who owns a chat, and every move of it (one transaction each).

Customer/bot side (by TenantRef): start_handoff, queue_status, leave_message,
customer_returned, rate. Agent side (by AgentScope): claim, transfer, resolve,
hand_back_to_bot, set_presence, heartbeat. System: agent_disconnected,
requeue_silent_agents.

Every ownership move is checked by bot.handoff.ownership and written with a
compare-and-set, so of two concurrent moves exactly one wins; the other gets
IllegalTransition (OwnershipChanged if it lost the race after reading).
Moves that free an agent's capacity (resolve, transfer, hand back, requeue,
coming online) hand waiting chats on to eligible agents ("dispatched").

Permissions: the owner acts on their chat; supervisors and admins may also
act on other agents' chats of the tenants they serve, and only they may take
a waiting chat out of the queue (hand it back to the bot).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.agents import (
    AgentNotFound,
    AgentScope,
    agent_tenant_ids,
    get_agent,
    mark_offline,
    record_heartbeat,
    silent_agents_with_chats,
)
from bot.db.agents import set_presence as store_presence
from bot.db.assignments import (
    assigned_conversations,
    compare_and_set_ownership,
    conversation_for_agent,
    conversation_of_tenant,
    queue_position,
    recent_handling_times,
    record_handoff,
    record_rating,
    tenant_refs,
    tenant_routing,
)
from bot.db.conversations import HANDOFF_REASON_MAX_CHARS
from bot.db.errors import DomainError
from bot.db.models import Conversation
from bot.db.tenants import TenantRef
from bot.db.types import utcnow
from bot.db.webhook_feed import conversation_escalated, conversation_rated, conversation_resolved
from bot.handoff.assigning import auto_assign, dispatch, try_assign
from bot.handoff.business_hours import parse_business_hours
from bot.handoff.errors import (
    AgentAtCapacity,
    AgentNotEligible,
    InvalidHandoffInput,
    NotPermitted,
    OwnershipChanged,
    RatingNotAccepted,
)
from bot.handoff.message_ticket import open_message_ticket
from bot.handoff.ownership import (
    BOT,
    QUEUED,
    Assign,
    Command,
    CustomerReturned,
    HandBack,
    LeaveMessage,
    Ownership,
    OwnershipEvent,
    RequestHandoff,
    Requeue,
    Resolve,
    Transfer,
    transition,
)
from bot.handoff.results import (
    HandoffOutcome,
    Outcome,
    OwnershipChange,
    QueueStatus,
    TextRedactor,
)
from bot.handoff.routing import (
    DEFAULT_HANDLING_TIME,
    DEFAULT_HEARTBEAT_TIMEOUT,
    available_agents,
    estimate_wait,
    is_available,
    tenant_agents,
)

RATING_COMMENT_MAX_CHARS = 1000


class ConversationEnded(DomainError):
    def __init__(self) -> None:
        super().__init__("the conversation has ended")


@dataclass(frozen=True)
class HandoffSettings:
    # An 'online' agent silent for longer is treated as gone (routing ignores them).
    heartbeat_timeout: timedelta = DEFAULT_HEARTBEAT_TIMEOUT
    default_handling_time: timedelta = DEFAULT_HANDLING_TIME
    # Which resolved chats feed the wait estimate: the newest N within the window.
    handling_time_window: timedelta = timedelta(days=7)
    handling_time_samples: int = 50


def ownership_of(conversation: Conversation) -> Ownership:
    state = conversation.state
    agent = conversation.assigned_agent_id if state in ("assigned", "resolved") else None
    return Ownership(state, agent)  # type: ignore[arg-type]


class HandoffService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redactor: TextRedactor,
        *,
        settings: HandoffSettings = HandoffSettings(),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._redactor = redactor
        self._settings = settings
        self._clock = clock

    # --- customer / bot side -------------------------------------------------------

    async def start_handoff(
        self,
        tenant: TenantRef,
        conversation_id: str,
        *,
        reason: str,
        summary: dict[str, Any] | None,
    ) -> HandoffOutcome:
        """The assistant escalated: queue the chat (and assign it if the tenant auto-assigns),
        or, outside business hours or with nobody available, turn it into a ticket.

        reason and summary are stored as given (the gateway redacts them first).
        """
        reason = _validated_reason(reason)
        if summary is not None and not isinstance(summary, dict):
            raise InvalidHandoffInput("summary", "must be an object")
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            conversation = await conversation_of_tenant(session, tenant, conversation_id)
            if conversation.ended_at is not None:
                raise ConversationEnded()
            before = ownership_of(conversation)
            queued = transition(before, RequestHandoff())
            routing = await tenant_routing(session, tenant.id)
            hours = parse_business_hours(routing.business_hours, routing.time_zone)
            agents = await tenant_agents(session, tenant.id)
            available = available_agents(
                agents,
                language=conversation.language,
                now=now,
                heartbeat_timeout=self._settings.heartbeat_timeout,
            )
            closed = not hours.is_open(now)
            if closed or not available:
                # Nobody can come: the bot carries on and the back office gets the chat as a ticket.
                closed_reason = "outside_hours" if closed else "no_agent_available"
                ticket = await open_message_ticket(
                    session, tenant, conversation, reason=reason, summary=summary, closed_reason=closed_reason
                )
                await record_handoff(session, tenant.id, conversation.id, reason=reason, summary=summary)
                await conversation_escalated(
                    session, tenant.id, conversation.id, reason=reason, summary=summary,
                    outcome="message_left", ticket_reference=ticket.reference,
                )
                return HandoffOutcome(
                    OwnershipChange(
                        tenant,
                        conversation.id,
                        before,
                        BOT,
                        (OwnershipEvent("message_left"), OwnershipEvent("bot_resumed")),
                    ),
                    ticket_reference=ticket.reference,
                    closed_reason=closed_reason,
                    next_opening=hours.next_opening(now) if closed else None,
                )

            await record_handoff(session, tenant.id, conversation.id, reason=reason, summary=summary)
            await self._move(
                session, tenant, conversation.id, before, queued.after, RequestHandoff(),
                queued_at=now, assigned_at=None, resolved_at=None,
            )
            await conversation_escalated(
                session, tenant.id, conversation.id, reason=reason, summary=summary, outcome="queued"
            )
            change = OwnershipChange(tenant, conversation.id, before, QUEUED, queued.events)
            if routing.auto_assign:
                assigned = await auto_assign(
                    session,
                    tenant,
                    conversation.id,
                    conversation.language,
                    agents,
                    now=now,
                    heartbeat_timeout=self._settings.heartbeat_timeout,
                )
                if assigned is not None:
                    return HandoffOutcome(
                        OwnershipChange(
                            tenant,
                            conversation.id,
                            before,
                            assigned.after,
                            queued.events + assigned.events,
                            assigned.agent_name,
                        )
                    )
            conversation = await conversation_of_tenant(session, tenant, conversation.id)
            return HandoffOutcome(change, queue=await self._queue_status(session, conversation, now))

    async def queue_status(self, tenant: TenantRef, conversation_id: str) -> QueueStatus | None:
        """Where the customer stands in the queue; None when the chat is not waiting."""
        async with self._sessionmaker() as session:
            conversation = await conversation_of_tenant(session, tenant, conversation_id)
            return await self._queue_status(session, conversation, self._clock())

    async def leave_message(self, tenant: TenantRef, conversation_id: str) -> HandoffOutcome:
        """The customer stops waiting: the chat becomes a ticket and goes back to the bot."""
        async with self._sessionmaker.begin() as session:
            conversation = await conversation_of_tenant(session, tenant, conversation_id)
            before = ownership_of(conversation)
            step = transition(before, LeaveMessage())
            ticket = await open_message_ticket(
                session,
                tenant,
                conversation,
                reason=conversation.handoff_reason,
                summary=conversation.handoff_summary,
            )
            await self._move(session, tenant, conversation.id, before, step.after, LeaveMessage())
        return HandoffOutcome(
            OwnershipChange(tenant, conversation.id, before, step.after, step.events),
            ticket_reference=ticket.reference,
        )

    async def customer_returned(self, tenant: TenantRef, conversation_id: str) -> OwnershipChange:
        """The customer wrote after the chat was resolved: the bot takes it again."""
        async with self._sessionmaker.begin() as session:
            conversation = await conversation_of_tenant(session, tenant, conversation_id)
            before = ownership_of(conversation)
            step = transition(before, CustomerReturned())
            await self._move(session, tenant, conversation.id, before, step.after, CustomerReturned())
        return OwnershipChange(tenant, conversation.id, before, step.after, step.events)

    async def rate(
        self, tenant: TenantRef, conversation_id: str, rating: int, comment: str | None = None
    ) -> None:
        """The customer's 1–5 rating of a resolved chat (a later rating replaces an earlier one)."""
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise RatingNotAccepted("the rating must be a whole number from 1 to 5")
        if comment is not None:
            if not isinstance(comment, str) or len(comment) > RATING_COMMENT_MAX_CHARS:
                raise RatingNotAccepted(
                    f"the comment must be text of at most {RATING_COMMENT_MAX_CHARS} characters"
                )
            comment = self._redactor.redact(comment.strip()).text or None
        async with self._sessionmaker.begin() as session:
            if await record_rating(session, tenant, conversation_id, rating=rating, comment=comment):
                await conversation_rated(session, tenant.id, conversation_id, rating=rating, comment=comment)
                return
            await conversation_of_tenant(session, tenant, conversation_id)  # not found?
        raise RatingNotAccepted("only a resolved chat can be rated")

    # --- agent side ------------------------------------------------------------------

    async def claim(self, scope: AgentScope, conversation_id: str) -> OwnershipChange:
        """The agent takes a waiting chat; of two claims at once exactly one succeeds."""
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            conversation = scoped.conversation
            before = ownership_of(conversation)
            command = Assign(scope.agent_id)
            step = transition(before, command)
            if conversation.language not in scope.languages:
                raise AgentNotEligible("you do not speak the chat's language")
            result = await try_assign(
                session, scoped.tenant.id, conversation.id, scope.agent_id, expected=before, now=now,
                how="claimed",
            )
            _raise_unless_assigned(result, before, command)
        return OwnershipChange(
            scoped.tenant, conversation.id, before, step.after, step.events, scope.display_name
        )

    async def transfer(self, scope: AgentScope, conversation_id: str, to_agent_id: int) -> Outcome:
        """Give an assigned chat to another online agent of the tenant who speaks its language."""
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            conversation = scoped.conversation
            before = ownership_of(conversation)
            _require_owner_or_supervisor(scope, before, "transfer another agent's chat")
            command = Transfer(to_agent_id)
            step = transition(before, command)
            target = next(
                (a for a in await tenant_agents(session, scoped.tenant.id) if a.agent_id == to_agent_id),
                None,
            )
            if target is None:
                raise AgentNotEligible("that agent does not serve this tenant")
            if not is_available(
                target,
                language=conversation.language,
                now=now,
                heartbeat_timeout=self._settings.heartbeat_timeout,
            ):
                raise AgentNotEligible("that agent is not online or does not speak the chat's language")
            result = await try_assign(
                session, scoped.tenant.id, conversation.id, to_agent_id, expected=before, now=now,
                how="transferred",
            )
            _raise_unless_assigned(result, before, command)
            change = OwnershipChange(
                scoped.tenant, conversation.id, before, step.after, step.events, target.display_name
            )
            dispatched = await self._dispatch_for_agent(session, before.agent_id, now)
        return Outcome(change, dispatched)

    async def resolve(self, scope: AgentScope, conversation_id: str) -> Outcome:
        """Close the human part; the customer is asked for a rating (event rating_requested)."""
        return await self._release(scope, conversation_id, Resolve(), "resolve another agent's chat")

    async def hand_back_to_bot(self, scope: AgentScope, conversation_id: str) -> Outcome:
        """Return the chat to the assistant (event bot_resumed: resume its tracker)."""
        return await self._release(
            scope, conversation_id, HandBack(), "hand another agent's chat back"
        )

    async def _release(
        self, scope: AgentScope, conversation_id: str, command: Resolve | HandBack, refused: str
    ) -> Outcome:
        """The agent lets go of the chat (resolve, hand back); their next waiting chat may come."""
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            scoped = await conversation_for_agent(session, scope, conversation_id)
            before = ownership_of(scoped.conversation)
            if isinstance(command, HandBack) and before.state == "queued" and not scope.supervises:
                raise NotPermitted("take a waiting chat out of the queue (supervisors only)")
            _require_owner_or_supervisor(scope, before, refused)
            step = transition(before, command)
            stamps = {"resolved_at": now} if isinstance(command, Resolve) else {}
            await self._move(
                session, scoped.tenant, scoped.conversation.id, before, step.after, command, **stamps
            )
            if isinstance(command, Resolve):
                await conversation_resolved(
                    session, scoped.tenant.id, scoped.conversation.id, agent_id=before.agent_id, at=now
                )
            change = OwnershipChange(scoped.tenant, scoped.conversation.id, before, step.after, step.events)
            dispatched = await self._dispatch_for_agent(session, before.agent_id, now)
        return Outcome(change, dispatched)

    async def set_presence(self, scope: AgentScope, presence: str) -> tuple[OwnershipChange, ...]:
        """online: waiting chats may come to the agent; away: keeps their chats, gets no new
        ones; offline: signing off, so their open chats go back to the queue at once."""
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            await store_presence(session, scope.agent_id, presence, at=now)
            if presence == "online":
                return await self._dispatch(session, scope.tenant_ids, now)
            if presence == "offline":
                return await self._requeue_chats_of(session, scope.agent_id, now)
        return ()

    async def heartbeat(self, scope: AgentScope) -> None:
        async with self._sessionmaker.begin() as session:
            await record_heartbeat(session, scope.agent_id, at=self._clock())

    # --- system ----------------------------------------------------------------------

    async def agent_disconnected(
        self, agent_id: int, *, grace: timedelta
    ) -> tuple[OwnershipChange, ...]:
        """Call `grace` after the agent's console lost its connection: unless the agent
        showed a sign of life within the grace period (reconnected), they go offline
        and their chats go back to the queue, keeping their place in it."""
        now = self._clock()
        async with self._sessionmaker.begin() as session:
            agent = await get_agent(session, agent_id)
            if agent is None:
                raise AgentNotFound(agent_id)
            if agent.last_heartbeat_at is not None and agent.last_heartbeat_at > now - grace:
                return ()
            await mark_offline(session, agent_id)
            return await self._requeue_chats_of(session, agent_id, now)

    async def requeue_silent_agents(self, *, grace: timedelta) -> tuple[OwnershipChange, ...]:
        """Sweep (e.g. at start-up and every minute): agent_disconnected for every agent
        who owns chats but has been silent for longer than `grace`."""
        async with self._sessionmaker() as session:
            silent = await silent_agents_with_chats(session, silent_since=self._clock() - grace)
        changes: list[OwnershipChange] = []
        for agent_id in silent:
            changes += await self.agent_disconnected(agent_id, grace=grace)
        return tuple(changes)

    # --- helpers -------------------------------------------------------------------

    async def _move(
        self,
        session: AsyncSession,
        tenant: TenantRef,
        conversation_id: str,
        before: Ownership,
        after: Ownership,
        command: Command,
        **stamps: datetime | None,
    ) -> None:
        moved = await compare_and_set_ownership(
            session,
            tenant.id,
            conversation_id,
            expected_state=before.state,
            expected_agent_id=before.agent_id,
            state=after.state,
            agent_id=after.agent_id,
            **stamps,
        )
        if not moved:
            raise OwnershipChanged(before, command)

    async def _requeue_chats_of(
        self, session: AsyncSession, agent_id: int, now: datetime
    ) -> tuple[OwnershipChange, ...]:
        chats = await assigned_conversations(session, agent_id)
        refs = await tenant_refs(session, {chat.tenant_id for chat in chats})
        changes: list[OwnershipChange] = []
        for chat in chats:
            before = Ownership("assigned", agent_id)
            step = transition(before, Requeue())
            # queued_at stays: the customer keeps their place in the queue.
            if await compare_and_set_ownership(
                session, chat.tenant_id, chat.id,
                expected_state="assigned", expected_agent_id=agent_id,
                state="queued", agent_id=None, assigned_at=None,
            ):
                changes.append(
                    OwnershipChange(refs[chat.tenant_id], chat.id, before, step.after, step.events)
                )
        dispatched = await self._dispatch(session, {c.tenant.id for c in changes}, now)
        return tuple(changes) + dispatched

    async def _dispatch_for_agent(
        self, session: AsyncSession, agent_id: int | None, now: datetime
    ) -> tuple[OwnershipChange, ...]:
        """After `agent_id` got room: hand waiting chats of their tenants on."""
        if agent_id is None:
            return ()
        return await self._dispatch(session, await agent_tenant_ids(session, agent_id), now)

    async def _dispatch(
        self, session: AsyncSession, tenant_ids: Iterable[int], now: datetime
    ) -> tuple[OwnershipChange, ...]:
        refs = await tenant_refs(session, set(tenant_ids))
        changes: list[OwnershipChange] = []
        for tenant_id in sorted(refs):
            changes += await dispatch(
                session, refs[tenant_id], now=now, heartbeat_timeout=self._settings.heartbeat_timeout
            )
        return tuple(changes)

    async def _queue_status(
        self, session: AsyncSession, conversation: Conversation, now: datetime
    ) -> QueueStatus | None:
        position = await queue_position(session, conversation)
        if position is None:
            return None
        available = available_agents(
            await tenant_agents(session, conversation.tenant_id),
            language=conversation.language,
            now=now,
            heartbeat_timeout=self._settings.heartbeat_timeout,
        )
        samples = await recent_handling_times(
            session,
            conversation.tenant_id,
            since=now - self._settings.handling_time_window,
            limit=self._settings.handling_time_samples,
        )
        wait = estimate_wait(
            position, available, samples, default=self._settings.default_handling_time
        )
        return QueueStatus(position, wait, len(available))


def _validated_reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidHandoffInput("reason", "must be a non-empty text")
    return reason.strip()[:HANDOFF_REASON_MAX_CHARS]


def _require_owner_or_supervisor(scope: AgentScope, current: Ownership, action: str) -> None:
    if current.state == "assigned" and current.agent_id != scope.agent_id and not scope.supervises:
        raise NotPermitted(action)


def _raise_unless_assigned(result: str, before: Ownership, command: Command) -> None:
    if result == "at_capacity":
        raise AgentAtCapacity()
    if result == "no_agent":
        raise AgentNotEligible("no such agent")
    if result == "changed":
        raise OwnershipChanged(before, command)
