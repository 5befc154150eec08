"""How `make run` and the end-to-end tests start Rasa: the command line must survive any token."""

from __future__ import annotations

import argparse

import pytest

from bot.stack.services import StackConfig, lock_store_env, rasa_service, system_services


def test_rasa_token_starting_with_a_dash_is_passed_as_one_argument() -> None:
    spec = rasa_service(StackConfig(database_url="sqlite+aiosqlite:////tmp/x.sqlite3", rasa_token="-abc_DEF"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    parsed, _ = parser.parse_known_args(spec.argv[spec.argv.index("run") + 1 :])
    assert parsed.auth_token == "-abc_DEF"


def test_rasa_listens_on_loopback_only_with_its_api_behind_the_token() -> None:
    spec = rasa_service(StackConfig(database_url="sqlite+aiosqlite:////tmp/x.sqlite3", rasa_token="t0k"))
    assert spec.argv[spec.argv.index("--interface") + 1] == "127.0.0.1"
    assert "--enable-api" in spec.argv and "--auth-token=t0k" in spec.argv


def test_two_rasa_servers_each_call_their_own_action_server() -> None:
    cfg = StackConfig(
        database_url="postgresql+asyncpg://postgres@127.0.0.1/test", rasa_token="t",
        rasa_servers=2, gateways=2, redis_url="redis://127.0.0.1:6379/0",
    )
    tiers = system_services(cfg)
    assert [[spec.name for spec in tier] for tier in tiers] == [
        ["actions-1", "actions-2"], ["rasa-1", "rasa-2"], ["gateway-1", "gateway-2"]
    ]
    rasa_1, rasa_2 = tiers[1]
    assert rasa_1.env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5055/webhook"
    assert rasa_2.env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5056/webhook"
    assert rasa_2.argv[rasa_2.argv.index("--port") + 1] == "5006"


def test_every_gateway_knows_every_rasa_server_and_redis() -> None:
    cfg = StackConfig(
        database_url="postgresql+asyncpg://postgres@127.0.0.1/test", rasa_token="t",
        rasa_servers=2, gateways=2, redis_url="redis://127.0.0.1:6379/3",
    )
    for spec in system_services(cfg)[2]:
        assert spec.env["RASA_URLS"] == "http://127.0.0.1:5005,http://127.0.0.1:5006"
        assert spec.env["REDIS_URL"] == "redis://127.0.0.1:6379/3"
    assert [spec.env["GATEWAY_PORT"] for spec in system_services(cfg)[2]] == ["8000", "8001"]


def test_rasa_lock_store_is_redis_when_redis_is_configured() -> None:
    env = lock_store_env("redis://:s3cret@10.0.0.5:6380/2")
    assert env == {
        "LOCK_STORE_TYPE": "redis", "LOCK_STORE_HOST": "10.0.0.5", "LOCK_STORE_PORT": "6380",
        "LOCK_STORE_DB": "2", "LOCK_STORE_PASSWORD": "s3cret",
    }
    assert lock_store_env("")["LOCK_STORE_TYPE"] == "in_memory"


def test_several_gateways_without_redis_are_refused() -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        StackConfig(database_url="sqlite+aiosqlite:////tmp/x.sqlite3", rasa_token="t", gateways=2)
