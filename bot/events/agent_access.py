"""Signals about an agent's access, published on the agent's topic for every gateway instance.

Whoever ends an agent's sessions or changes their tenants publishes one of these;
each instance's AgentHub receives it through the consoles' own subscriptions (the
agent topic) and acts on that agent's open sockets at once. They are never shown
to the console.
"""

from __future__ import annotations

from bot.events.bus import Event, EventBus, agent_topic

SIGNED_OUT = "agent.signed_out"  # close every console of the agent
ACCESS_CHANGED = "agent.access_changed"  # re-check each console's session and tenants now
SIGNALS = frozenset({SIGNED_OUT, ACCESS_CHANGED})


def is_signal(event: Event) -> bool:
    return event.get("type") in SIGNALS


async def publish_signed_out(bus: EventBus, agent_id: int) -> None:
    await bus.publish(agent_topic(agent_id), {"type": SIGNED_OUT, "agent_id": agent_id})


async def publish_access_changed(bus: EventBus, agent_id: int) -> None:
    """After a password reset (sessions revoked) or a change of the agent's tenants."""
    await bus.publish(agent_topic(agent_id), {"type": ACCESS_CHANGED, "agent_id": agent_id})
