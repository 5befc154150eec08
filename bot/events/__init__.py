"""Publish/subscribe between the gateway's parts (and, later, between gateway instances)."""

from bot.events.bus import EventBus, InProcessBus, Subscription

__all__ = ["EventBus", "InProcessBus", "Subscription"]
