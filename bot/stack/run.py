"""`python -m bot run`: the whole system on this machine, until Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from bot.handoff.demo_agents import DEMO_AGENT_PASSWORD
from bot.privacy.timer import start_retention_timer
from bot.stack.services import MODEL_PATH, StackConfig, load_rasa_token, system_services
from bot.stack.supervisor import RestartPolicy, ServiceFailed, Supervisor

log = logging.getLogger(__name__)

DEMO_TENANTS = ("nordlys", "fjordnett", "lighthouse")


def config_from_env() -> StackConfig:
    from bot.db.engine import database_url

    return StackConfig(
        database_url=database_url(),
        rasa_token=load_rasa_token(),
        rasa_port=int(os.environ.get("RASA_PORT", "5005")),
        action_port=int(os.environ.get("ACTION_PORT", "5055")),
        gateway_port=int(os.environ.get("GATEWAY_PORT", "8000")),
        public_url=os.environ.get("PUBLIC_URL", ""),
        with_gateway=_gateway_available(),
        rasa_servers=int(os.environ.get("RASA_SERVERS", "1")),
        gateways=int(os.environ.get("GATEWAYS", "1")),
        redis_url=os.environ.get("REDIS_URL", ""),
    )


def _gateway_available() -> bool:
    try:
        import bot.gateway.app  # noqa: F401
    except ImportError:
        return False
    return True


def banner(cfg: StackConfig) -> str:
    lines = ["", "The assistant is up.", ""]
    if cfg.with_gateway:
        if cfg.gateways > 1:
            lines.append(f"{cfg.gateways} gateway instances sharing PostgreSQL/Redis state "
                         f"(put a load balancer in front in production):")
            lines += [f"  {url}" for url in cfg.gateway_urls]
            lines.append(f"{cfg.rasa_servers} Rasa servers: {', '.join(cfg.rasa_urls)}")
            lines.append("")
        lines.append("Chat as a customer on a client firm's (demo) website:")
        lines += [f"  {cfg.gateway_url}/demo/{slug}" for slug in DEMO_TENANTS]
        lines.append(f"  {cfg.gateway_url}/demo/nordlys?signed_in=1   (a customer the site already verified)")
        lines.append("")
        lines.append(f"Take escalated chats as a human agent: {cfg.gateway_urls[-1]}/agent")
        lines.append(f"  kari@bpo.example (nordlys, fjordnett) · sam@bpo.example (lighthouse) · "
                     f"sup@bpo.example (supervisor) — password {DEMO_AGENT_PASSWORD}")
        lines.append("")
    lines += [
        "Chat in this terminal:   make shell            (TENANT=fjordnett make shell for another firm)",
        "Demo customer:           nordlys account 10000001, postcode 0150",
        f"Rasa HTTP API:           {cfg.rasa_url} (loopback only; token in var/rasa-token)",
        f"Action server:           {cfg.action_url}",
        f"Logs:                    {cfg.log_dir}/",
        "",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


async def run(cfg: StackConfig, restart_policy: RestartPolicy = RestartPolicy()) -> int:
    if not cfg.model.exists():
        print(f"No trained model at {cfg.model}: run `make run` (it trains when needed).",
              file=sys.stderr)
        return 1
    supervisor = Supervisor(cfg.log_dir)
    retention = start_retention_timer(cfg.database_url)  # bot/privacy/timer.py
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for tier in system_services(cfg):
            print(f"starting {', '.join(spec.name for spec in tier)} …", flush=True)
            await supervisor.start_all([tier])
        print(banner(cfg), flush=True)
        # A crashed process is restarted (with backoff) while the others keep serving; open
        # widgets reconnect and resume. Only when every service was given up do we exit.
        stopped = asyncio.ensure_future(stop.wait())
        watching = asyncio.ensure_future(supervisor.watch(restart_policy))
        done, _ = await asyncio.wait({stopped, watching}, return_when=asyncio.FIRST_COMPLETED)
        if watching in done:
            watching.result()
            names = ", ".join(running.spec.name for running in supervisor.given_up)
            print(f"every service failed repeatedly ({names}); see {cfg.log_dir}/", file=sys.stderr)
            return 1
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)
        return 0
    except ServiceFailed as error:
        print(f"Start-up failed: {error}", file=sys.stderr)
        return 1
    finally:
        print("stopping …", flush=True)
        retention.cancel()
        await supervisor.stop_all()
        print("stopped.", flush=True)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = config_from_env()
    except ValueError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    return asyncio.run(run(cfg))


__all__ = ["main", "run", "config_from_env", "MODEL_PATH"]
