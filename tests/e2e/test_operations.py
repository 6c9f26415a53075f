"""Operating a local install: restarts keep the data, the CLI's token and status, PostgreSQL mode."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from zhiyuan_cli.supervisor import System, port_is_free
from zhiyuan_platform.testing import servers
from zhiyuan_platform.testing.servers import free_port

from .test_walking_slice import resident_id

pytestmark = pytest.mark.e2e


def _register_and_read(system: System) -> tuple[str, str]:
    created = httpx.post(
        f"{system.gateway_url}/api/v1/volunteers",
        json={"name": "周七", "id_number": resident_id(), "mobile": "13600003333", "community": "110108001001"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    return created.json()["volunteer_id"], created.json()["token"]


def _recognition(system: System, volunteer_id: str, token: str, timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        reply = httpx.get(
            f"{system.gateway_url}/api/v1/volunteers/{volunteer_id}/recognition",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        if reply.status_code == 200 or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def _cli(root: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZHIYUAN_DATA_DIR": str(root), "ZHIYUAN_GATEWAY_PORT": str(port)}
    return subprocess.run(
        [sys.executable, "-m", "zhiyuan_cli", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_restart_keeps_the_data_and_the_cli_operates_it(tmp_path: Path) -> None:
    port = free_port()
    first = System(tmp_path, gateway_port=port, echo=lambda _line: None)
    try:
        first.start()
        first.wait_ready(timeout=90)
        volunteer_id, token = _register_and_read(first)
        assert _recognition(first, volunteer_id, token).status_code == 200
    finally:
        first.stop()

    # With `zhiyuan up` stopped, as the README says, a rebuild starts the install's own
    # NATS for the streams, rebuilds, and stops it again.
    assert first.install is not None
    rebuilt = _cli(tmp_path, port, "recognition", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "started the install's NATS" in rebuilt.stdout and "rebuilt from" in rebuilt.stdout
    assert "dead letters 0" in rebuilt.stdout
    assert port_is_free(first.install.nats_port)

    second = System(tmp_path, gateway_port=port, echo=lambda _line: None)
    try:
        second.start()
        second.wait_ready(timeout=90)
        assert second.install and first.install and second.install.nats_port == first.install.nats_port
        reply = _recognition(second, volunteer_id, token, timeout=5)
        assert reply.status_code == 200 and reply.json()["total_minutes"] == 0

        admin_token = _cli(tmp_path, port, "token", "--role", "district_admin", "--district", "110108")
        assert admin_token.returncode == 0, admin_token.stderr
        profile = httpx.get(
            f"{second.gateway_url}/api/v1/volunteers/{volunteer_id}",
            headers={"Authorization": f"Bearer {admin_token.stdout.strip()}"},
            timeout=5,
        )
        assert profile.status_code == 200 and profile.json()["district"] == "110108"

        refused = _cli(tmp_path, port, "token", "--role", "district_admin")
        assert refused.returncode != 0 and "district" in (refused.stdout + refused.stderr)

        # Re-feed JetStream from the SQL store: JetStream drops what it already has.
        assert second.install is not None
        before = _stream_messages(second, "ZY_REGISTRY")
        republished = _cli(tmp_path, port, "relay", "republish", "--from", "1", "--service", "registry")
        assert republished.returncode == 0, republished.stderr
        assert "registry: 1 messages queued" in republished.stdout
        _wait_outbox_empty(second)
        assert _stream_messages(second, "ZY_REGISTRY") == before
        assert _recognition(second, volunteer_id, token, timeout=5).json()["total_minutes"] == 0

        status = _cli(tmp_path, port, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        for name in ("registry", "activities", "recognition", "recognition-registry", "recognition-activities"):
            assert name in status.stdout
    finally:
        second.stop()


def _stream_messages(system: System, stream: str) -> int:
    import asyncio

    import nats

    async def count() -> int:
        assert system.install is not None
        nc = await nats.connect(system.install.nats_url, user="operator", password=system.install.passwords["operator"])
        try:
            return int((await nc.jetstream().stream_info(stream)).state.messages)
        finally:
            await nc.close()

    return asyncio.run(count())


def _wait_outbox_empty(system: System, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services = httpx.get(f"{system.gateway_url}/api/v1/health/services", timeout=5).json()["services"]
        if services["registry"].get("outbox_pending") == 0:
            return
        time.sleep(0.2)
    raise AssertionError("the registry's outbox was not drained")


@pytest.mark.postgres
def test_the_system_runs_on_postgresql(tmp_path: Path, pg_admin_url: str) -> None:
    base = pg_admin_url.rsplit("/", 1)[0]
    names = [f"zhiyuan_{service}" for service in ("registry", "activities", "recognition")]
    for name in names:
        servers.drop_database(pg_admin_url, name)
        servers.create_database(pg_admin_url, name)
    system = System(tmp_path, gateway_port=free_port(), postgres_url=base, echo=lambda _line: None)
    try:
        system.start()
        system.wait_ready(timeout=90)
        volunteer_id, token = _register_and_read(system)
        reply = _recognition(system, volunteer_id, token)
        assert reply.status_code == 200 and reply.json()["star_level"] == 0
        assert not (tmp_path / "registry.db").exists()
    finally:
        system.stop()
        for name in names:
            servers.drop_database(pg_admin_url, name)


def test_a_rebuild_where_there_is_no_install_says_so_and_stops(tmp_path: Path) -> None:
    nothing = _cli(tmp_path / "empty", free_port(), "recognition", "rebuild")
    assert nothing.returncode == 1
    assert "no Zhiyuan install in" in nothing.stdout and "ZHIYUAN_DATA_DIR" in nothing.stdout
