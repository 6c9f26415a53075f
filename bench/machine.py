"""The machine the figures were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys

from zhiyuan_platform.testing.servers import nats_server_binary


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def nats_version() -> str:
    try:
        out = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or out.stderr.strip()
    except Exception as exc:
        return f"unknown ({exc})"


async def postgres_version(admin_url: str) -> str | None:
    import asyncpg

    try:
        conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
    except Exception:
        return None
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def describe(pg_version: str | None) -> list[tuple[str, str]]:
    load = os.getloadavg()
    return [
        ("host", platform.node()),
        ("CPU", f"{cpu_model()} × {os.cpu_count()} cores"),
        ("RAM", f"{ram_gib():.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", sys.version.split()[0]),
        ("nats-server", nats_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", pg_version or "not available"),
        ("load average at start", f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"),
    ]
