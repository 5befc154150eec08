"""Gateway settings, read and validated once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from yarl import URL

from bot.db.engine import database_url
from bot.webhooks.settings import WebhookSettings


class SettingsError(ValueError):
    """An environment variable is missing or malformed (raised at startup, never later)."""


@dataclass(frozen=True)
class RateLimit:
    """At most `count` events per `seconds` sliding window."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, name: str, raw: str) -> RateLimit:
        """'20/60' -> 20 per 60 s."""
        count, sep, seconds = raw.partition("/")
        try:
            limit = cls(int(count), float(seconds.rstrip("s")))
        except ValueError:
            raise SettingsError(f"{name} must look like COUNT/SECONDS, e.g. 20/60") from None
        if not sep or limit.count < 1 or limit.seconds <= 0:
            raise SettingsError(f"{name} must look like COUNT/SECONDS with positive numbers")
        return limit


@dataclass(frozen=True)
class Settings:
    rasa_token: str = field(repr=False)  # secrets never reach logs via repr
    database_url: str = field(repr=False)  # may carry a password
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://localhost:8000"
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    # Scale-out: several Rasa servers (RASA_URLS) and action servers (ACTION_SERVER_URLS);
    # empty means just the one above.
    rasa_urls: tuple[str, ...] = ()
    action_server_urls: tuple[str, ...] = ()
    # Redis for events between gateway instances, shared rate limits and turn locks;
    # empty: everything in this process (one gateway instance).
    redis_url: str = field(default="", repr=False)  # may carry a password
    # Every Redis key and channel starts with it: deployments may share one Redis.
    redis_prefix: str = "bpo:"
    # A conversation's turn lock in Redis is renewed while held; when its instance dies,
    # another may take the conversation over after at most this long.
    turn_lock_lease_seconds: float = 10.0
    # The customer hears from us within this long, answered or not (3 s promise).
    rasa_timeout_seconds: float = 2.5
    # How long one Rasa call may take before it is abandoned and retried later.
    rasa_request_timeout_seconds: float = 30.0
    idle_timeout_seconds: float = 1800.0
    max_message_chars: int = 2000
    rate_limit_per_conversation: RateLimit = RateLimit(20, 60.0)
    rate_limit_per_ip: RateLimit = RateLimit(60, 60.0)
    # New conversations (a hello that starts one) per client address and per tenant.
    new_conversations_per_address: RateLimit = RateLimit(20, 60.0)
    new_conversations_per_tenant: RateLimit = RateLimit(600, 60.0)
    # A conversation nobody wrote in (a hello and nothing more) is deleted after this long.
    empty_conversation_seconds: float = 900.0
    # How often ended-by-idle conversations are looked for.
    idle_sweep_seconds: float = 60.0
    # Redelivery to Rasa after a failure: first wait, doubling up to the max.
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 30.0
    # Agent console: how long a login lasts, and how long an agent's chats wait for them
    # after their console lost its connection before going back to the queue.
    agent_session_hours: float = 12.0
    portal_session_hours: float = 12.0  # a portal sign-in lasts this long
    portal_invite_days: float = 7.0  # a portal invitation link works this long, once
    agent_disconnect_grace_seconds: float = 60.0
    # An open console re-checks its session and tenants at least this often (a logout,
    # password reset or tenant change through the gateway acts at once, on every instance).
    agent_session_recheck_seconds: float = 15.0
    # Login attempts per client address (argon2 makes each one cost CPU).
    login_rate_limit: RateLimit = RateLimit(10, 60.0)
    # Calls to the public API (/api/v1/firm) per API key.
    firm_api_rate_limit: RateLimit = RateLimit(600, 60.0)
    # The delivery worker each gateway runs, and the admin API's endpoint rules (WEBHOOKS_*).
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        token = env.get("RASA_TOKEN", "").strip()
        if not token:
            raise SettingsError("RASA_TOKEN is required (Rasa's HTTP API is protected by it)")
        rasa_urls = _urls(env, "RASA_URLS") or (_url(env, "RASA_URL", cls.rasa_url),)
        action_urls = _urls(env, "ACTION_SERVER_URLS") or (
            _url(env, "ACTION_SERVER_URL", cls.action_server_url),
        )
        settings = cls(
            rasa_token=token,
            database_url=database_url(env),
            host=env.get("GATEWAY_HOST", cls.host),
            port=_int(env, "GATEWAY_PORT", cls.port),
            public_url=_url(env, "PUBLIC_URL", cls.public_url),
            rasa_url=rasa_urls[0],
            action_server_url=action_urls[0],
            rasa_urls=rasa_urls,
            action_server_urls=action_urls,
            redis_url=_redis_url(env),
            redis_prefix=env.get("REDIS_PREFIX", "").strip() or cls.redis_prefix,
            turn_lock_lease_seconds=_positive(
                env, "TURN_LOCK_LEASE_SECONDS", cls.turn_lock_lease_seconds
            ),
            rasa_timeout_seconds=_positive(env, "RASA_TIMEOUT_SECONDS", cls.rasa_timeout_seconds),
            rasa_request_timeout_seconds=_positive(
                env, "RASA_REQUEST_TIMEOUT_SECONDS", cls.rasa_request_timeout_seconds
            ),
            idle_timeout_seconds=_positive(env, "IDLE_TIMEOUT_SECONDS", cls.idle_timeout_seconds),
            max_message_chars=_int(env, "MAX_MESSAGE_CHARS", cls.max_message_chars),
            rate_limit_per_conversation=_rate(
                env, "RATE_LIMIT_PER_CONVERSATION", cls.rate_limit_per_conversation
            ),
            rate_limit_per_ip=_rate(env, "RATE_LIMIT_PER_IP", cls.rate_limit_per_ip),
            new_conversations_per_address=_rate(
                env, "NEW_CONVERSATIONS_PER_ADDRESS", cls.new_conversations_per_address
            ),
            new_conversations_per_tenant=_rate(
                env, "NEW_CONVERSATIONS_PER_TENANT", cls.new_conversations_per_tenant
            ),
            empty_conversation_seconds=_positive(
                env, "EMPTY_CONVERSATION_SECONDS", cls.empty_conversation_seconds
            ),
            agent_session_hours=_positive(env, "AGENT_SESSION_HOURS", cls.agent_session_hours),
            portal_session_hours=_positive(env, "PORTAL_SESSION_HOURS", cls.portal_session_hours),
            portal_invite_days=_positive(env, "PORTAL_INVITE_DAYS", cls.portal_invite_days),
            agent_disconnect_grace_seconds=_positive(
                env, "AGENT_DISCONNECT_GRACE_SECONDS", cls.agent_disconnect_grace_seconds
            ),
            agent_session_recheck_seconds=_positive(
                env, "AGENT_SESSION_RECHECK_SECONDS", cls.agent_session_recheck_seconds
            ),
            login_rate_limit=_rate(env, "LOGIN_RATE_LIMIT", cls.login_rate_limit),
            firm_api_rate_limit=_rate(env, "FIRM_API_RATE_LIMIT", cls.firm_api_rate_limit),
            webhooks=_webhooks(env),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError("GATEWAY_PORT must be 1..65535")
        if self.max_message_chars < 1:
            raise SettingsError("MAX_MESSAGE_CHARS must be positive")
        if self.rasa_timeout_seconds > self.rasa_request_timeout_seconds:
            raise SettingsError(
                "RASA_REQUEST_TIMEOUT_SECONDS must not be below RASA_TIMEOUT_SECONDS"
            )

    @property
    def rasa_servers(self) -> tuple[str, ...]:
        return self.rasa_urls or (self.rasa_url,)

    @property
    def action_servers(self) -> tuple[str, ...]:
        return self.action_server_urls or (self.action_server_url,)

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS when the gateway is served over HTTPS."""
        return URL(self.public_url).scheme == "https"

    @property
    def public_origin(self) -> str:
        """'http://localhost:8000': the gateway's own pages (the demos) embed the widget."""
        return origin_of(self.public_url)


def origin_of(url: str) -> str:
    parsed = URL(url)
    return str(parsed.origin()).rstrip("/")


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    parsed = URL(raw)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SettingsError(f"{name} must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _urls(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of http(s) URLs; () when unset."""
    parts = [part.strip() for part in env.get(name, "").split(",") if part.strip()]
    return tuple(_url({name: part}, name, "") for part in parts)


def _webhooks(env: Mapping[str, str]) -> WebhookSettings:
    try:
        return WebhookSettings.from_env(env)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _redis_url(env: Mapping[str, str]) -> str:
    raw = env.get("REDIS_URL", "").strip()
    if raw and URL(raw).scheme not in ("redis", "rediss", "unix"):
        # Only the scheme is named: the URL may hold a password.
        raise SettingsError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return raw


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


def _rate(env: Mapping[str, str], name: str, default: RateLimit) -> RateLimit:
    raw = env.get(name, "").strip()
    return RateLimit.parse(name, raw) if raw else default
