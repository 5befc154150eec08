"""The console's own settings, taken from the gateway's at composition."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.webhooks.settings import WebhookSettings


@dataclass(frozen=True)
class ConsoleSettings:
    public_origin: str  # the WebSocket handshake must come from a page of this origin
    secure_cookies: bool  # the session cookie only over HTTPS
    disconnect_grace_seconds: float  # an agent whose last console closed keeps their chats this long
    # An open console re-checks its session and tenants at least this often (changes made
    # where no signal reaches the gateways, e.g. the admin CLI without Redis).
    session_recheck_seconds: float
    database_url: str  # our database; Rasa's tracker store lies beside it (data-subject requests reach both)
    # Webhook endpoints registered through the admin API follow the worker's rules
    # (http:// to loopback only in tests) and rotate with its overlap.
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
