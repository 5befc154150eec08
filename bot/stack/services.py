"""What each process of the system is: its command line, environment and health check."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
MODEL_PATH = ROOT / "models" / "assistant.tar.gz"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    argv: list[str]
    env: dict[str, str]
    health_url: str
    # Rasa loads TensorFlow and the model before it answers; the others are quick.
    start_timeout: float = 60.0
    # After a crash, "up again" means alive, not ready: the gateway's readiness also needs
    # Rasa, which may be the one restarting. Empty: health_url.
    alive_url: str = ""


@dataclass(frozen=True)
class StackConfig:
    database_url: str
    rasa_token: str = field(repr=False)
    rasa_port: int = 5005
    action_port: int = 5055
    gateway_port: int = 8000
    model: Path = MODEL_PATH
    log_dir: Path = ROOT / "var" / "log"
    with_gateway: bool = True
    public_url: str = ""
    # Scale-out on one machine: server i (from 0) listens on its base port + i; Rasa server i
    # calls action server i. Several gateways need Redis (REDIS_URL) to share events and locks.
    rasa_servers: int = 1
    gateways: int = 1
    redis_url: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.rasa_servers < 1 or self.gateways < 1:
            raise ValueError("at least one Rasa server and one gateway")
        if self.gateways > 1 and not self.redis_url:
            raise ValueError("several gateways share events and locks through Redis: set REDIS_URL")

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def action_url(self) -> str:
        return self.action_urls[0]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_servers)]

    @property
    def action_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.action_port + i}" for i in range(self.rasa_servers)]

    @property
    def gateway_ports(self) -> list[int]:
        return [self.gateway_port + i for i in range(self.gateways)]

    @property
    def gateway_url(self) -> str:
        return self.public_url or f"http://localhost:{self.gateway_port}"

    @property
    def gateway_urls(self) -> list[str]:
        if self.gateways == 1:
            return [self.gateway_url]
        return [f"http://localhost:{port}" for port in self.gateway_ports]


def load_rasa_token(env: dict[str, str] | os._Environ = os.environ) -> str:
    """RASA_TOKEN from the environment, else one generated once and kept in var/ (mode 0600)."""
    if env.get("RASA_TOKEN"):
        return env["RASA_TOKEN"]
    path = ROOT / "var" / "rasa-token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def tracker_store_env(database_url: str) -> dict[str, str]:
    """The variables endpoints.yml reads to put Rasa's tracker store next to our data.

    SQLite (embedded default): a file of its own beside ours, since Rasa brings SQLAlchemy 1.4
    and its own schema. PostgreSQL: the same database (Rasa's table is `events`), through
    Rasa's own driver (psycopg2).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        tracker = Path(url.database or "var/bpo.sqlite3").with_name("rasa-tracker.sqlite3")
        return {"TRACKER_DIALECT": "sqlite", "TRACKER_URL": f"sqlite:///{tracker}"}
    sync_url = url.set(drivername="postgresql")
    return {"TRACKER_DIALECT": "postgresql",
            "TRACKER_URL": sync_url.render_as_string(hide_password=False)}


def lock_store_env(redis_url: str) -> dict[str, str]:
    """The variables endpoints.yml reads for Rasa's lock store: Redis when configured (needed
    once several Rasa servers or Sanic workers share conversations), else in memory."""
    if not redis_url:
        return {"LOCK_STORE_TYPE": "in_memory", "LOCK_STORE_HOST": "", "LOCK_STORE_PORT": "0",
                "LOCK_STORE_DB": "0", "LOCK_STORE_PASSWORD": ""}
    url = make_url(redis_url)
    return {
        "LOCK_STORE_TYPE": "redis",
        "LOCK_STORE_HOST": url.host or "127.0.0.1",
        "LOCK_STORE_PORT": str(url.port or 6379),
        "LOCK_STORE_DB": (url.database or "0").strip("/") or "0",
        "LOCK_STORE_PASSWORD": url.password or "",
    }


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _suffix(cfg: StackConfig, count: int, index: int) -> str:
    return f"-{index + 1}" if count > 1 else ""


def rasa_service(cfg: StackConfig, index: int = 0) -> ServiceSpec:
    port = cfg.rasa_port + index
    env = _base_env() | tracker_store_env(cfg.database_url) | lock_store_env(cfg.redis_url) | {
        "ACTION_ENDPOINT_URL": f"{cfg.action_urls[index]}/webhook",
        "PYTHONPATH": str(ROOT),  # our NLU component (bot.nlu) is imported by the pipeline
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    argv = [
        # `rasa run` with our speed-ups and the action-server guard applied first (bot/engine)
        str(ROOT / ".venv" / "engine" / "bin" / "python"), "-m", "bot.engine", "run",
        "--model", str(cfg.model),
        "--endpoints", str(ROOT / "endpoints.yml"),
        "--credentials", str(ROOT / "credentials.yml"),
        # The HTTP API (tracker, pause/resume) is for our gateway only: loopback and a token.
        # "=" form: a url-safe token may begin with "-", which argparse would take for an option.
        "--enable-api", f"--auth-token={cfg.rasa_token}",
        "--interface", "127.0.0.1", "--port", str(port),
    ]
    name = "rasa" + _suffix(cfg, cfg.rasa_servers, index)
    health = f"{cfg.rasa_urls[index]}/status?token={cfg.rasa_token}"
    return ServiceSpec(name, argv, env, health, 180.0)


def action_service(cfg: StackConfig, index: int = 0) -> ServiceSpec:
    env = _base_env() | {
        "DATABASE_URL": cfg.database_url,
        "SANIC_HOST": "127.0.0.1",  # rasa_sdk's only way to choose the interface
        "ACTION_SERVER_SANIC_WORKERS": os.environ.get("ACTION_SERVER_SANIC_WORKERS", "1"),
    }
    argv = [str(ROOT / ".venv" / "app" / "bin" / "python"), "-m", "rasa_sdk",
            "--actions", "actions", "--port", str(cfg.action_port + index)]
    name = "actions" + _suffix(cfg, cfg.rasa_servers, index)
    return ServiceSpec(name, argv, env, f"{cfg.action_urls[index]}/health")


def gateway_service(cfg: StackConfig, index: int = 0) -> ServiceSpec:
    port = cfg.gateway_ports[index]
    env = _base_env() | {
        "DATABASE_URL": cfg.database_url,
        "RASA_URLS": ",".join(cfg.rasa_urls),
        "RASA_TOKEN": cfg.rasa_token,
        "ACTION_SERVER_URLS": ",".join(cfg.action_urls),
        "GATEWAY_HOST": os.environ.get("GATEWAY_HOST", "127.0.0.1"),
        "GATEWAY_PORT": str(port),
        "PUBLIC_URL": cfg.gateway_urls[index],
        "REDIS_URL": cfg.redis_url,
    }
    argv = [str(ROOT / ".venv" / "app" / "bin" / "python"), "-m", "bot.gateway"]
    name = "gateway" + _suffix(cfg, cfg.gateways, index)
    return ServiceSpec(name, argv, env, f"http://127.0.0.1:{port}/readyz",
                       alive_url=f"http://127.0.0.1:{port}/healthz")


def system_services(cfg: StackConfig) -> list[list[ServiceSpec]]:
    """In start order, tier by tier (the services of one tier start together): each
    tier's dependencies are in the tiers before it."""
    tiers = [
        [action_service(cfg, i) for i in range(cfg.rasa_servers)],
        [rasa_service(cfg, i) for i in range(cfg.rasa_servers)],
    ]
    if cfg.with_gateway:
        tiers.append([gateway_service(cfg, i) for i in range(cfg.gateways)])
    return tiers
