"""The system under test, started by bot/stack exactly as `python -m bot run` and the
`full_stack` test fixture start it: same service specs, same supervisor, free ports,
a database of the run's own (migrated and demo-seeded with the CLI).

Only these differ from `make run`, each for the measurement:
- the per-IP and per-conversation rate limits are lifted (every simulated customer comes
  from 127.0.0.1 and chats without pause; the product's limits would refuse them);
- SANIC_WORKERS (Rasa) and ACTION_SERVER_SANIC_WORKERS when asked;
- the number of Rasa servers (StackConfig.rasa_servers, each with its action server);
  several servers or Sanic workers need Rasa's Redis lock store, so REDIS_URL is set
  then (which also puts the gateway's events and locks on Redis, as in production).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from bot.db import Database
from bot.db.engine import to_async_url
from bot.db.models import Tenant
from bot.stack.services import ServiceSpec, StackConfig, system_services
from bot.stack.supervisor import Supervisor

from benchmarks.serve.machine import GroupUsage, group_usage
from benchmarks.serve.options import ROOT, BenchOptions

APP_PYTHON = ROOT / ".venv" / "app" / "bin" / "python"
UNLIMITED_RATE = "1000000/1"
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (server i listens on base + i)."""
    for _ in range(100):
        base = free_port()
        try:
            for offset in range(1, count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError(f"found no {count} consecutive free ports")


def redis_url_for(options: BenchOptions) -> str:
    """Rasa shares conversations between servers or workers only with its Redis lock store."""
    if options.redis_url:
        return options.redis_url
    return "redis://127.0.0.1:6379/0" if options.rasa_servers > 1 or options.sanic_workers > 1 else ""


def stack_config(database_url: str, log_dir: Path, options: BenchOptions) -> StackConfig:
    """As tests/conftest.py's stack_config: every port free, a token of the run's own."""
    gateway_port = free_port()
    return StackConfig(
        database_url=database_url,
        rasa_token=secrets.token_urlsafe(16),
        rasa_port=free_ports(options.rasa_servers),
        action_port=free_ports(options.rasa_servers),
        gateway_port=gateway_port,
        public_url=f"http://127.0.0.1:{gateway_port}",
        log_dir=log_dir,
        with_gateway=True,
        rasa_servers=options.rasa_servers,
        redis_url=redis_url_for(options),
        model=options.model,
    )


def bench_services(cfg: StackConfig, options: BenchOptions) -> list[list[ServiceSpec]]:
    """bot/stack's service tiers, with the benchmark's few environment changes."""
    extra = {
        "rasa": {"SANIC_WORKERS": str(options.sanic_workers)},
        "actions": {"ACTION_SERVER_SANIC_WORKERS": str(options.action_workers)},
        # Every simulated customer comes from 127.0.0.1 and starts conversation after
        # conversation: the limits on new conversations (tested in tests/gateway) would measure
        # themselves, not the system.
        "gateway": {"RATE_LIMIT_PER_IP": UNLIMITED_RATE, "RATE_LIMIT_PER_CONVERSATION": UNLIMITED_RATE,
                    "NEW_CONVERSATIONS_PER_ADDRESS": UNLIMITED_RATE, "NEW_CONVERSATIONS_PER_TENANT": UNLIMITED_RATE},
    }
    return [
        [dataclasses.replace(spec, env=spec.env | extra.get(spec.name.split("-")[0], {}))
         for spec in tier]
        for tier in system_services(cfg)
    ]


@dataclass
class BenchStack:
    cfg: StackConfig
    supervisor: Supervisor
    workdir: Path

    @property
    def rasa_urls(self) -> list[str]:
        return self.cfg.rasa_urls

    @property
    def gateway_url(self) -> str:
        return self.cfg.public_url

    @property
    def origin(self) -> str:
        """The gateway's own origin: allowed for every tenant's widget and for the console."""
        return self.cfg.public_url

    def pids(self) -> dict[str, int]:
        return {running.spec.name: running.process.pid for running in self.supervisor.running}

    def usage(self) -> dict[str, GroupUsage]:
        return {name: group_usage(pid) for name, pid in self.pids().items()}

    def crashed(self) -> list[str]:
        return [r.spec.name for r in self.supervisor.running if r.process.returncode is not None]

    async def set_business_hours(self, hours: dict[str, dict]) -> dict[str, dict]:
        """Set tenants' business hours (slug -> hours); returns what they were."""
        database = Database(self.cfg.database_url)
        try:
            async with database.sessionmaker.begin() as session:
                rows = await session.execute(
                    select(Tenant.slug, Tenant.business_hours).where(Tenant.slug.in_(list(hours))))
                before = {slug: value for slug, value in rows}
                for slug, value in hours.items():
                    await session.execute(
                        update(Tenant).where(Tenant.slug == slug).values(business_hours=value)
                    )
            return before
        finally:
            await database.dispose()


async def prepare_database(database_url: str) -> None:
    """`python -m bot migrate` and `seed-demo` (both idempotent) on the run's database."""
    env = dict(os.environ) | {"DATABASE_URL": database_url}
    for command in ("migrate", "seed-demo"):
        process = await asyncio.create_subprocess_exec(
            str(APP_PYTHON), "-m", "bot", command, cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"python -m bot {command} failed:\n{output.decode(errors='replace')}")


async def start_stack(options: BenchOptions, workdir: Path) -> BenchStack:
    # The async driver's URL, as `python -m bot run` has it (bot.db.engine.database_url).
    database_url = to_async_url(options.database_url or f"sqlite:///{workdir / 'bpo.sqlite3'}")
    await prepare_database(database_url)
    cfg = stack_config(database_url, workdir / "logs", options)
    supervisor = Supervisor(cfg.log_dir)
    stack = BenchStack(cfg, supervisor, workdir)
    try:
        for tier in bench_services(cfg, options):
            print(f"  starting {', '.join(spec.name for spec in tier)} …", flush=True)
            await supervisor.start_all([tier])
    except BaseException:
        await supervisor.stop_all()
        raise
    return stack
