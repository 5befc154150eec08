"""Gateway settings come from the environment once, validated, with secrets kept out of repr."""

from __future__ import annotations

import pytest

from bot.gateway.settings import RateLimit, Settings, SettingsError


def test_defaults_apply_when_only_the_rasa_token_is_set() -> None:
    settings = Settings.from_env({"RASA_TOKEN": "t0ken"})

    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_url == "http://localhost:8000"
    assert settings.public_origin == "http://localhost:8000"
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.rasa_timeout_seconds == 2.5
    assert settings.idle_timeout_seconds == 1800
    assert settings.max_message_chars == 2000
    assert settings.rate_limit_per_conversation == RateLimit(20, 60.0)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")


def test_values_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "RASA_TOKEN": "t0ken",
            "GATEWAY_PORT": "9000",
            "PUBLIC_URL": "https://chat.example.com/",
            "RASA_TIMEOUT_SECONDS": "1.5",
            "RATE_LIMIT_PER_IP": "10/30",
            "DATABASE_URL": "postgresql://bot:pw@db/bpo",
        }
    )
    assert settings.port == 9000
    assert settings.public_url == "https://chat.example.com"
    assert settings.rasa_timeout_seconds == 1.5
    assert settings.rate_limit_per_ip == RateLimit(10, 30.0)
    assert settings.database_url == "postgresql+asyncpg://bot:pw@db/bpo"


def test_repr_shows_neither_the_rasa_token_nor_the_database_password() -> None:
    settings = Settings.from_env(
        {"RASA_TOKEN": "t0ken-s3cret", "DATABASE_URL": "postgresql://bot:pw-s3cret@db/bpo"}
    )
    assert "t0ken-s3cret" not in repr(settings) and "pw-s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "RASA_TOKEN"),
        ({"RASA_TOKEN": "t", "GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
        ({"RASA_TOKEN": "t", "GATEWAY_PORT": "70000"}, "GATEWAY_PORT"),
        ({"RASA_TOKEN": "t", "RASA_URL": "localhost:5005"}, "RASA_URL"),
        ({"RASA_TOKEN": "t", "RASA_TIMEOUT_SECONDS": "-1"}, "RASA_TIMEOUT_SECONDS"),
        ({"RASA_TOKEN": "t", "RATE_LIMIT_PER_CONVERSATION": "lots"}, "RATE_LIMIT_PER_CONVERSATION"),
        ({"RASA_TOKEN": "t", "RATE_LIMIT_PER_IP": "0/60"}, "RATE_LIMIT_PER_IP"),
        ({"RASA_TOKEN": "t", "MAX_MESSAGE_CHARS": "0"}, "MAX_MESSAGE_CHARS"),
    ],
)
def test_bad_values_are_refused_at_startup_naming_the_variable(
    env: dict[str, str], complaint: str
) -> None:
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env(env)


def test_new_conversation_limits_empty_conversation_age_and_console_recheck_come_from_the_environment() -> None:
    defaults = Settings.from_env({"RASA_TOKEN": "t"})
    assert defaults.new_conversations_per_address == RateLimit(20, 60.0)
    assert defaults.new_conversations_per_tenant == RateLimit(600, 60.0)
    assert (defaults.empty_conversation_seconds, defaults.agent_session_recheck_seconds) == (900, 15)
    settings = Settings.from_env({
        "RASA_TOKEN": "t", "NEW_CONVERSATIONS_PER_ADDRESS": "5/60", "NEW_CONVERSATIONS_PER_TENANT": "100/10",
        "EMPTY_CONVERSATION_SECONDS": "120", "AGENT_SESSION_RECHECK_SECONDS": "5",
    })
    assert settings.new_conversations_per_address == RateLimit(5, 60.0)
    assert settings.new_conversations_per_tenant == RateLimit(100, 10.0)
    assert (settings.empty_conversation_seconds, settings.agent_session_recheck_seconds) == (120, 5)
    with pytest.raises(SettingsError, match="NEW_CONVERSATIONS_PER_ADDRESS"):
        Settings.from_env({"RASA_TOKEN": "t", "NEW_CONVERSATIONS_PER_ADDRESS": "0/60"})


def test_the_public_apis_per_key_rate_limit_comes_from_the_environment() -> None:
    assert Settings.from_env({"RASA_TOKEN": "t"}).firm_api_rate_limit == RateLimit(600, 60.0)
    assert Settings.from_env({"RASA_TOKEN": "t", "FIRM_API_RATE_LIMIT": "50/10"}).firm_api_rate_limit == RateLimit(50, 10.0)
    with pytest.raises(SettingsError, match="FIRM_API_RATE_LIMIT"):
        Settings.from_env({"RASA_TOKEN": "t", "FIRM_API_RATE_LIMIT": "lots"})
