"""A three-node JetStream cluster from render_config's cluster block, on this machine.

The committed deploy/nats/cluster/*.conf route between compose hostnames; here the same
rendering runs on 127.0.0.1 with free ports, and a replicated stream proves the routes,
the shared users and JetStream clustering work together.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.js.api import StorageType

from zhiyuan_contracts.streams import stream_for
from zhiyuan_platform.natsconf import ClusterSpec, generate_passwords, render_config

from .conftest import RunningServer, free_port, start_server, stop_server

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[RunningServer], dict[str, str], list[int]]]:
    tmp: Path = tmp_path_factory.mktemp("cluster")
    passwords = generate_passwords()
    nodes = [(free_port(), free_port(), free_port()) for _ in range(3)]
    servers: list[RunningServer] = []
    try:
        for i, (client, route, http) in enumerate(nodes):
            routes = tuple(f"127.0.0.1:{r}" for j, (_, r, _) in enumerate(nodes) if j != i)
            conf = tmp / f"nats-{i + 1}.conf"
            conf.write_text(
                render_config(
                    host="127.0.0.1",
                    port=client,
                    store_dir=str(tmp / f"store-{i + 1}"),
                    passwords=passwords,
                    http_port=http,
                    server_name=f"nats-{i + 1}",
                    cluster=ClusterSpec(name="zhiyuan-test", listen=f"127.0.0.1:{route}", routes=routes),
                )
            )
            servers.append(start_server(conf, client))
        yield servers, passwords, [http for _, _, http in nodes]
    finally:
        for server in servers:
            stop_server(server)


def _healthz(port: int) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
        return response.status, json.loads(response.read())


async def test_replicated_stream_across_the_cluster(
    cluster: tuple[list[RunningServer], dict[str, str], list[int]],
) -> None:
    servers, passwords, http_ports = cluster
    nc = await nats.connect(
        servers[0].url, user="registry", password=passwords["registry"], connect_timeout=2
    )
    try:
        js = nc.jetstream(timeout=2)
        spec = stream_for("registry")
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            # Until the cluster has elected a meta leader, stream creation is refused.
            try:
                await js.add_stream(
                    name=spec.name, subjects=list(spec.subjects), storage=StorageType.FILE, num_replicas=3
                )
                break
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.25)
        ack = await js.publish(
            "zy.registry.110101.VolunteerRegistered", b"{}", headers={"Nats-Msg-Id": "c-1"}
        )
        info = await js.stream_info(spec.name)
        assert ack.seq == 1
        assert info.cluster is not None and info.cluster.name == "zhiyuan-test"
        assert len(info.cluster.replicas or []) == 2
    finally:
        await nc.close()
    # What the compose healthcheck asks each node.
    for port in http_ports:
        status, body = await asyncio.to_thread(_healthz, port)
        assert status == 200 and body.get("status") == "ok", body
