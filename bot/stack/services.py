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

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def gateway_url(self) -> str:
        return self.public_url or f"http://localhost:{self.gateway_port}"


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


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def rasa_service(cfg: StackConfig) -> ServiceSpec:
    env = _base_env() | tracker_store_env(cfg.database_url) | {
        "ACTION_ENDPOINT_URL": f"{cfg.action_url}/webhook",
        "PYTHONPATH": str(ROOT),  # our NLU component (bot.nlu) is imported by the pipeline
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    argv = [
        str(ROOT / ".venv" / "engine" / "bin" / "rasa"), "run",
        "--model", str(cfg.model),
        "--endpoints", str(ROOT / "endpoints.yml"),
        "--credentials", str(ROOT / "credentials.yml"),
        # The HTTP API (tracker, pause/resume) is for our gateway only: loopback and a token.
        # "=" form: a url-safe token may begin with "-", which argparse would take for an option.
        "--enable-api", f"--auth-token={cfg.rasa_token}",
        "--interface", "127.0.0.1", "--port", str(cfg.rasa_port),
    ]
    return ServiceSpec("rasa", argv, env, f"{cfg.rasa_url}/status?token={cfg.rasa_token}", 180.0)


def action_service(cfg: StackConfig) -> ServiceSpec:
    env = _base_env() | {
        "DATABASE_URL": cfg.database_url,
        "SANIC_HOST": "127.0.0.1",  # rasa_sdk's only way to choose the interface
        "ACTION_SERVER_SANIC_WORKERS": os.environ.get("ACTION_SERVER_SANIC_WORKERS", "1"),
    }
    argv = [str(ROOT / ".venv" / "app" / "bin" / "python"), "-m", "rasa_sdk",
            "--actions", "actions", "--port", str(cfg.action_port)]
    return ServiceSpec("actions", argv, env, f"{cfg.action_url}/health")


def gateway_service(cfg: StackConfig) -> ServiceSpec:
    env = _base_env() | {
        "DATABASE_URL": cfg.database_url,
        "RASA_URL": cfg.rasa_url,
        "RASA_TOKEN": cfg.rasa_token,
        "ACTION_SERVER_URL": cfg.action_url,
        "GATEWAY_HOST": os.environ.get("GATEWAY_HOST", "127.0.0.1"),
        "GATEWAY_PORT": str(cfg.gateway_port),
        "PUBLIC_URL": cfg.gateway_url,
    }
    argv = [str(ROOT / ".venv" / "app" / "bin" / "python"), "-m", "bot.gateway"]
    return ServiceSpec("gateway", argv, env, f"http://127.0.0.1:{cfg.gateway_port}/readyz")


def system_services(cfg: StackConfig) -> list[ServiceSpec]:
    """In start order: each one's dependencies come before it."""
    services = [action_service(cfg), rasa_service(cfg)]
    if cfg.with_gateway:
        services.append(gateway_service(cfg))
    return services
