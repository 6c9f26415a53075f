"""Alembic migrations per service, for SQLite and PostgreSQL alike.

Each service keeps ``migrations/`` inside its package (so an installed wheel can migrate)
with its own version table. ``upgrade(service_package, url)`` runs them; services call it
at start-up, ``zhiyuan migrate`` and the compose ``migrate`` step call it before.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from . import tables


def alembic_config(package: str, url: str) -> Config:
    module = importlib.import_module(package)
    assert module.__file__ is not None
    location = Path(module.__file__).parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["version_table"] = f"alembic_version_{package.removeprefix('zhiyuan_')}"
    return config


def upgrade(package: str, url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``. Blocking; call it in a thread from async code."""
    command.upgrade(alembic_config(package, url), revision)


async def upgrade_async(package: str, url: str) -> None:
    await asyncio.to_thread(upgrade, package, url)


def run_env(context: Any, target_metadata: MetaData | None = None) -> None:
    """The body of every service's ``migrations/env.py``."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    version_table = config.attributes.get("version_table", "alembic_version")

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, version_table=version_table)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.begin() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


PLATFORM_TABLES = ("events", "outbox", "idempotency_keys", "tracking", "tracked_aggregates", "dead_letters")


def create_platform_tables(bind: Connection, checkfirst: bool = False) -> None:
    """First revision of every service: the event store, outbox, idempotency and tracking tables."""
    tables.metadata.create_all(
        bind=bind, tables=[tables.metadata.tables[name] for name in PLATFORM_TABLES], checkfirst=checkfirst
    )


def drop_platform_tables(bind: Connection) -> None:
    tables.metadata.drop_all(bind=bind, tables=[tables.metadata.tables[name] for name in PLATFORM_TABLES])
