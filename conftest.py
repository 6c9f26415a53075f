"""Fixtures for every test in the repository: real servers, fresh databases."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from zhiyuan_platform.db import create_engine
from zhiyuan_platform.migrate import create_platform_tables
from zhiyuan_platform.testing import servers

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    with servers.nats_url() as url:
        yield url


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    try:
        with servers.postgres_admin_url() as url:
            yield url
    except servers.PostgresUnavailable as exc:
        if IN_CI:
            pytest.fail(f"CI needs PostgreSQL and none was found: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {exc}")


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server, dropped afterwards."""
    name = servers.new_database_name()
    servers.create_database(pg_admin_url, name)
    try:
        yield servers.database_url_in(pg_admin_url, name)
    finally:
        servers.drop_database(pg_admin_url, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The URL of an empty database of the parametrized backend."""
    if backend == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def platform_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database holding the platform tables (event store, outbox, tracking)."""
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(create_platform_tables)
    try:
        yield engine
    finally:
        await engine.dispose()
