"""One soak run: start the system as `make run` does (benchmarks/serve/stack.py), let the
customers and agents of people.py loose on it, then count and check."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.db import Database, tenant_ref
from bot.db.agents import create_agent
from bot.db.models import Message
from bot.handoff.auth import hash_password
from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD

from benchmarks.serve.conversations import all_conversations
from benchmarks.serve.handoff import AgentConsole
from benchmarks.serve.machine import load_average
from benchmarks.serve.options import BenchOptions
from benchmarks.serve.stack import ALWAYS_OPEN, BenchStack, start_stack
from benchmarks.soak.options import SoakOptions
from benchmarks.soak.people import Tally, agent, customer

TENANTS = ("nordlys", "fjordnett", "lighthouse")
GRACE_SECONDS = 90.0  # after the end: turns in flight finish, agents resolve; then we stop


def _rss_mib(stack: BenchStack) -> dict[str, float]:
    return {name: round(usage.rss_bytes / 2**20, 1) for name, usage in stack.usage().items()}


async def _add_agents(stack: BenchStack, count: int) -> list[str]:
    """`count` agents serving every demo tenant (the demo's three serve too few)."""
    emails = [f"soak-agent-{number}@bpo.example" for number in range(1, count + 1)]
    database = Database(stack.cfg.database_url)
    try:
        async with database.sessionmaker.begin() as session:
            tenants = [await tenant_ref(session, slug) for slug in TENANTS]
            for email in emails:
                await create_agent(session, email=email, display_name=email.split("@")[0],
                                   password_hash=hash_password(DEMO_AGENT_PASSWORD),
                                   languages=("en", "nb"), max_concurrent_chats=50,
                                   tenants=[t for t in tenants if t is not None])
    finally:
        await database.dispose()
    return emails


async def _stored(stack: BenchStack, conversation_ids: list[str]) -> dict[str, Any]:
    """The database's side of the count: customer lines stored, by client id."""
    database = Database(stack.cfg.database_url)
    stored: list[str] = []
    try:
        async with database.sessionmaker() as session:
            for start in range(0, len(conversation_ids), 500):
                rows = await session.scalars(
                    select(Message.client_id).where(
                        Message.conversation_id.in_(conversation_ids[start:start + 500]),
                        Message.role == "customer"))
                stored += [client_id for client_id in rows if client_id]
    finally:
        await database.dispose()
    return {"stored": stored}


async def run_soak(options: SoakOptions) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bpo-bench-soak-"))
    started = time.monotonic()
    results: dict[str, Any] = {
        "options": {"customers": options.customers, "agents": options.agents,
                    "minutes": options.minutes, "think_seconds": list(options.think),
                    "escalate_every": options.escalate_every,
                    "database": "postgresql" if options.database_url else "sqlite"},
        "load_average_at_start": load_average(),
    }
    print(f"Soak: {options.customers} customers, {options.agents} agents, {options.minutes} min; "
          f"work dir {workdir}", flush=True)
    stack = await start_stack(BenchOptions(database_url=options.database_url), workdir)
    consoles: list[AgentConsole] = []
    tally = Tally()
    try:
        emails = await _add_agents(stack, options.agents)
        previous_hours = await stack.set_business_hours({slug: ALWAYS_OPEN for slug in TENANTS})
        results["memory_mib_at_start"] = _rss_mib(stack)
        for email in emails:
            console = AgentConsole(stack, email)
            await console.open()
            consoles.append(console)
        end = time.monotonic() + options.minutes * 60
        conversations = all_conversations()
        people = [customer(stack, number, conversations, end, options.think,
                           options.escalate_every, options.turn_timeout, tally)
                  for number in range(options.customers)]
        people += [agent(stack, console, end + GRACE_SECONDS / 2, tally) for console in consoles]
        print("  running …", flush=True)
        # Bounded: whatever still runs after the grace period is cancelled (and counted).
        done, pending = await asyncio.wait([asyncio.ensure_future(p) for p in people],
                                           timeout=options.minutes * 60 + GRACE_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        results["cancelled_at_the_bound"] = len(pending)
        for task in done:
            if task.exception() is not None:
                tally.errors[f"crash:{type(task.exception()).__name__}"] += 1
        results["memory_mib_at_end"] = _rss_mib(stack)
        await stack.set_business_hours(previous_hours)
        stored = (await _stored(stack, tally.conversations))["stored"]
    finally:
        for console in consoles:
            await console.close()
        results["crashed_services"] = stack.crashed()
        await stack.supervisor.stop_all()
        if options.keep_workdir:
            print(f"  logs and databases kept in {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    stored_set = set(stored)
    results |= {
        "conversations": len(tally.conversations),
        "customer_messages_sent": len(tally.sent),
        "turns_answered": tally.answered,
        "errors": sum(tally.errors.values()),
        "errors_by_kind": dict(tally.errors.most_common()),
        "messages": {
            # Lost: acknowledged to the customer but not in the transcript.
            "acked_but_not_stored": len(tally.acked - stored_set),
            # Sent but never acknowledged (the customer would resend it).
            "sent_but_not_acked": len(tally.sent - tally.acked),
            "stored_but_not_acked": len((stored_set & tally.sent) - tally.acked),
            "stored_twice": len(stored) - len(stored_set),
            "duplicate_acks": tally.duplicate_acks,
            "duplicate_transcript_frames": tally.duplicate_frames,
        },
        "handoff": {"escalations": tally.escalations, "agent_replies_sent": tally.agent_replies_sent,
                    "agent_answers_seen_by_customers": tally.agent_answers_seen,
                    "claims_lost_to_another_agent": tally.claims_lost},
        "load_average_at_end": load_average(),
        "total_seconds": round(time.monotonic() - started, 1),
    }
    return results


def write_results(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2), flush=True)
    print(f"written to {path}", flush=True)
