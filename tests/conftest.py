"""Shared fixtures: real databases on every backend, migrated and demo-seeded.

Backends: SQLite always, PostgreSQL at $TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test). Limit them with TEST_BACKENDS,
e.g. `TEST_BACKENDS=sqlite pytest`. Tests using these fixtures run once per
backend; the PostgreSQL runs carry the `postgres` marker.

Isolation: each pytest session builds one migrated + seeded template per
backend; every test gets its own copy (a file copy on SQLite, CREATE DATABASE
... TEMPLATE on PostgreSQL). PostgreSQL databases are named
bpo_test_<random>_* so concurrent pytest runs never collide, and all are
dropped when the session ends.

Fixtures for everyone:
  backend        'sqlite' | 'postgresql' (session-scoped, parametrized)
  db_url         async SQLAlchemy URL of a fresh migrated + seeded database (sync fixture:
                 usable from sync tests too, e.g. as DATABASE_URL of a subprocess)
  empty_db_url   URL of a fresh database without any tables
  database       bot.db.Database on db_url (disposed after the test)
  session        an AsyncSession on it (the test decides when to commit)
  nordlys, fjordnett, lighthouse   TenantRef of the demo firms

The real system (trained model): `assistant` / `full_stack` (a stack per test, on db_url) and
`module_assistant` (one stack for a module's tests, on module_db_url; for tests that leave its
processes alone).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import socket
import sqlite3
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.db import Database, TenantRef
    from bot.stack.services import StackConfig

# bot.db, asyncpg and SQLAlchemy are imported inside the fixtures: this conftest
# is shared by every test directory, and some (Rasa engine tests) may run in the
# engine environment, which has neither SQLAlchemy 2 nor asyncpg.

ALL_BACKENDS = ("sqlite", "postgresql")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
T = TypeVar("T")


def _selected_backends() -> tuple[str, ...]:
    raw = os.environ.get("TEST_BACKENDS", "").strip()
    if not raw:
        return ALL_BACKENDS
    chosen = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = set(chosen) - set(ALL_BACKENDS)
    if unknown:
        raise pytest.UsageError(
            f"TEST_BACKENDS has unknown backends {sorted(unknown)}; use {', '.join(ALL_BACKENDS)}"
        )
    return chosen


BACKENDS = _selected_backends()


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Session-level setup must not touch the event loop of any test (each test
    has its own), and sync fixtures may be set up while a test's loop exists.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _migrate_and_seed(url: str) -> None:
    from bot.db import Database
    from bot.db.migrate import upgrade
    from bot.demo import seed_demo

    await upgrade(url)
    database = Database(url)
    try:
        async with database.sessionmaker.begin() as session:
            await seed_demo(session)
    finally:
        await database.dispose()


class PostgresDatabases:
    """Creates and drops this session's databases through the admin database."""

    def __init__(self, admin_url: str) -> None:
        self.admin_dsn = admin_url
        self.prefix = f"bpo_test_{secrets.token_hex(4)}"
        self._numbers = itertools.count(1)
        self.created: set[str] = set()

    def new_name(self, kind: str) -> str:
        return f"{self.prefix}_{kind}{next(self._numbers)}"

    def url_of(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.admin_dsn).set(drivername="postgresql+asyncpg", database=name)
        return url.render_as_string(hide_password=False)

    async def _execute(self, sql: str) -> None:
        import asyncpg
        from sqlalchemy.engine import make_url

        try:
            connection = await asyncpg.connect(self.admin_dsn)
        except (OSError, asyncpg.PostgresError) as error:
            raise RuntimeError(
                f"PostgreSQL at {make_url(self.admin_dsn).render_as_string(hide_password=True)}"
                f" is unreachable ({error}); start it or run with TEST_BACKENDS=sqlite"
            ) from error
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create(self, name: str, template: str | None = None) -> str:
        template_clause = f' TEMPLATE "{template}"' if template else ""
        await self._execute(f'CREATE DATABASE "{name}"{template_clause}')
        self.created.add(name)
        return self.url_of(name)

    async def drop(self, name: str) -> None:
        # FORCE: a test that leaked a connection must not break the cleanup.
        await self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.discard(name)

    async def drop_all(self) -> None:
        """Drop whatever this session created and a failed teardown left behind."""
        for name in sorted(self.created):
            await self.drop(name)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    yield databases
    _run(databases.drop_all())


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _template(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> str:
    """Name (PostgreSQL) or file path (SQLite) of the migrated + seeded template."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db-template") / "template.sqlite3"
        _run(_migrate_and_seed(f"sqlite+aiosqlite:///{path}"))
        return str(path)
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = f"{databases.prefix}_template"
    url = _run(databases.create(name))
    _run(_migrate_and_seed(url))
    return name


def _copy_sqlite(source: str, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _fresh_database(
    backend: str, template: str, directory: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    if backend == "sqlite":
        path = directory / "bpo.sqlite3"
        _copy_sqlite(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = databases.new_name("t")
    url = _run(databases.create(name, template=template))
    yield url
    _run(databases.drop(name))


@pytest.fixture
def db_url(backend: str, _template: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated and demo-seeded database of its own for this test."""
    yield from _fresh_database(backend, _template, tmp_path, request)


@pytest.fixture(scope="module")
def module_db_url(
    backend: str, _template: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh, migrated and demo-seeded database shared by the tests of one module: for a module
    whose tests share one real stack (`module_assistant`) and keep apart by their own
    conversations. Such a module sets `db_url` to it."""
    yield from _fresh_database(backend, _template, tmp_path_factory.mktemp("module-db"), request)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database without tables (for migration tests)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = databases.new_name("e")
    url = _run(databases.create(name))
    yield url
    _run(databases.drop(name))


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    from bot.db import Database

    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    async with database.sessionmaker() as session:
        yield session


async def _demo_tenant(database: Database, slug: str) -> TenantRef:
    from bot.db import tenant_ref

    # A session of its own, so the test's `session` has no transaction begun.
    async with database.sessionmaker() as session:
        ref = await tenant_ref(session, slug)
    assert ref is not None, f"demo tenant {slug} missing from the seeded database"
    return ref


@pytest.fixture
async def nordlys(database: Database) -> TenantRef:
    return await _demo_tenant(database, "nordlys")


@pytest.fixture
async def fjordnett(database: Database) -> TenantRef:
    return await _demo_tenant(database, "fjordnett")


@pytest.fixture
async def lighthouse(database: Database) -> TenantRef:
    return await _demo_tenant(database, "lighthouse")


# Suites that test what the backend does not change: the browser's view of pages (the data they
# show is tested on both backends below them), the firm API's schema fuzzing and the portal's
# access matrix (the tenant checks are the same SQL as the data tests run on PostgreSQL). They
# run on SQLite only, to keep `make test` within its time budget; TEST_FULL_MATRIX=1 runs them
# on PostgreSQL too.
ONE_BACKEND_MODULES = {"test_schemathesis.py", "test_tenant_isolation.py"}


def _on_one_backend_only(item: pytest.Item) -> bool:
    path = item.path
    if path.name == "test_tenant_isolation.py" and path.parent.name != "portal":
        return False  # the console's and gateway's matrices keep both backends
    return (
        item.get_closest_marker("browser") is not None
        or "browser" in path.parts
        or "browser" in path.name
        or path.name in ONE_BACKEND_MODULES
    )


# `make test` runs the tests in two lanes side by side (scripts/test-lanes, TEST_LANE=1 / 2):
# lane 2 takes every test with a real Rasa server (marker e2e; mostly waiting for Rasa to load)
# and these directories of tests/, to even out the lanes; lane 1 takes the rest.
SECOND_LANE_DIRECTORIES = {"portal"}
# A test using one of these starts a real Rasa server: it is e2e even if its module forgot the marker.
REAL_STACK_FIXTURES = frozenset({"assistant", "full_stack", "module_assistant"})


def _in_second_lane(item: pytest.Item, tests_dir: Path) -> bool:
    if REAL_STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.e2e)
    if item.get_closest_marker("e2e") is not None:
        return True
    try:
        top = item.path.relative_to(tests_dir).parts[0]
    except ValueError:
        return False
    return top in SECOND_LANE_DIRECTORIES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    full_matrix = os.environ.get("TEST_FULL_MATRIX", "") == "1"
    lane = os.environ.get("TEST_LANE", "")
    if lane not in ("", "1", "2"):
        raise pytest.UsageError(f"TEST_LANE is 1 or 2 (or unset: every test), not {lane!r}")
    tests_dir = Path(__file__).resolve().parent
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        if lane and _in_second_lane(item, tests_dir) != (lane == "2"):
            deselected.append(item)
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgresql":
            if not full_matrix and _on_one_backend_only(item):
                deselected.append(item)
                continue
            item.add_marker(pytest.mark.postgres)
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


# --- the real system (Rasa server, action server, gateway), as `make run` starts it ---------
# Used by tests/e2e and by the browser tests on the real assistant. Each stack runs on free
# ports against the test's own fresh database, with the model `make test` trained
# (models/assistant.tar.gz).

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def trained_model() -> Path:
    from bot.stack.services import MODEL_PATH

    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: `make test` trains it (or `make train`)")
    return MODEL_PATH


def stack_config(db_url: str, log_dir: Path, *, with_gateway: bool) -> StackConfig:
    from bot.stack.services import StackConfig

    port = free_port()
    return StackConfig(
        database_url=db_url,
        rasa_token=secrets.token_urlsafe(16),
        rasa_port=free_port(),
        action_port=free_port(),
        gateway_port=port,
        public_url=f"http://127.0.0.1:{port}",
        log_dir=log_dir,
        with_gateway=with_gateway,
    )


@asynccontextmanager
async def _running_stack(cfg: StackConfig) -> AsyncIterator[StackConfig]:
    """The processes of `system_services(cfg)`, started and stopped with less waiting than
    `make run` needs: the action server starts beside Rasa instead of before it (Rasa calls
    it only once a customer writes, and both are healthy before the test begins), and after
    the gateway, Rasa and the action server stop side by side. Each service has a supervisor
    of its own, so that both happen through the supervisor's public API."""
    from bot.stack.services import system_services
    from bot.stack.supervisor import Supervisor

    actions, engines, *front = system_services(cfg)
    supervisors: list[Supervisor] = []

    async def start(specs: list) -> None:
        started = [Supervisor(cfg.log_dir) for _ in specs]
        supervisors.extend(started)
        results = await asyncio.gather(
            *(supervisor.start(spec) for supervisor, spec in zip(started, specs)),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    try:
        await start([*actions, *engines])
        for tier in front:
            await start(tier)
        yield cfg
    finally:
        backend_count = len(actions) + len(engines)
        for supervisor in reversed(supervisors[backend_count:]):  # the gateway first
            await supervisor.stop_all()
        await asyncio.gather(*(supervisor.stop_all() for supervisor in supervisors[:backend_count]))


@pytest.fixture
async def assistant(db_url: str, tmp_path: Path, trained_model: Path) -> AsyncIterator[StackConfig]:
    """Rasa server + action server (no gateway) on the test's database."""
    async with _running_stack(stack_config(db_url, tmp_path / "logs", with_gateway=False)) as cfg:
        yield cfg


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_assistant(
    module_db_url: str, tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> AsyncIterator[StackConfig]:
    """Rasa server + action server (no gateway) on `module_db_url`, one for all tests of a module
    that do not stop, kill or restart any of its processes. Starting Rasa costs 25-40 s (more on a
    busy machine); each test costs the seconds of its own conversation."""
    logs = tmp_path_factory.mktemp("module-stack") / "logs"
    async with _running_stack(stack_config(module_db_url, logs, with_gateway=False)) as cfg:
        yield cfg


@pytest.fixture
async def full_stack(db_url: str, tmp_path: Path, trained_model: Path) -> AsyncIterator[StackConfig]:
    """Rasa server + action server + gateway on the test's database."""
    async with _running_stack(stack_config(db_url, tmp_path / "logs", with_gateway=True)) as cfg:
        yield cfg
