"""How `make run` and the end-to-end tests start Rasa: the command line must survive any token."""

from __future__ import annotations

import argparse

from bot.stack.services import StackConfig, rasa_service


def test_rasa_token_starting_with_a_dash_is_passed_as_one_argument() -> None:
    spec = rasa_service(StackConfig(database_url="sqlite+aiosqlite:////tmp/x.sqlite3", rasa_token="-abc_DEF"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    parsed, _ = parser.parse_known_args(spec.argv[2:])
    assert parsed.auth_token == "-abc_DEF"


def test_rasa_listens_on_loopback_only_with_its_api_behind_the_token() -> None:
    spec = rasa_service(StackConfig(database_url="sqlite+aiosqlite:////tmp/x.sqlite3", rasa_token="t0k"))
    assert spec.argv[spec.argv.index("--interface") + 1] == "127.0.0.1"
    assert "--enable-api" in spec.argv and "--auth-token=t0k" in spec.argv
