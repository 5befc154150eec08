"""Publish/subscribe between the gateway's parts and between gateway instances.

InProcessBus within one process; bot.events.redis_bus.RedisBus across processes.
"""

from bot.events.bus import EventBus, InProcessBus, Subscription, SubscriptionClosed

__all__ = ["EventBus", "InProcessBus", "Subscription", "SubscriptionClosed"]
