"""`python -m bot chat`: talk to the running assistant from a terminal, as a tenant's customer.

It speaks to Rasa's REST channel the way the gateway does (sender = conversation id,
metadata = tenant and language), so it works before and beside the website widget.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys

import aiohttp


def _render(reply: dict) -> list[dict]:
    """Print one bot reply; returns its buttons so a number can pick one."""
    if "text" in reply:
        print(f"bot> {reply['text']}")
    custom = reply.get("custom") or {}
    if "handoff" in custom:
        handoff = custom["handoff"]
        print(f"     [handed off to a person — reason: {handoff.get('reason')}]")
        summary = handoff.get("summary") or {}
        if isinstance(summary, dict) and summary.get("text"):
            print(f"     [summary for the agent: {summary['text']}]")
    buttons = reply.get("buttons") or []
    for number, button in enumerate(buttons, 1):
        print(f"     {number}) {button.get('title')}")
    return buttons


async def chat(rasa_url: str, tenant: str, language: str) -> None:
    sender = secrets.token_urlsafe(12)
    metadata = {"tenant": tenant, "language": language, "conversation_id": sender}
    print(f"Talking to {tenant}'s assistant at {rasa_url} (Ctrl-D to quit).")
    buttons: list[dict] = []
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                text = await asyncio.to_thread(input, "you> ")
            except EOFError:
                print()
                return
            text = text.strip()
            if not text:
                continue
            if text.isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            body = {"sender": sender, "message": text, "metadata": metadata}
            try:
                async with http.post(f"{rasa_url}/webhooks/rest/webhook", json=body) as response:
                    replies = await response.json()
            except (aiohttp.ClientError, json.JSONDecodeError) as error:
                print(f"(the assistant is not reachable at {rasa_url}: {error}; is `make run` running?)")
                continue
            buttons = []
            for reply in replies:
                buttons = _render(reply) or buttons


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bot chat")
    parser.add_argument("--tenant", default=os.environ.get("TENANT", "nordlys"))
    parser.add_argument("--language", default="en")
    parser.add_argument("--rasa-url", default=f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
    args = parser.parse_args(argv)
    try:
        asyncio.run(chat(args.rasa_url, args.tenant, args.language))
    except KeyboardInterrupt:
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
