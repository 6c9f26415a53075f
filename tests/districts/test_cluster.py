"""The district arrangement on a three-node JetStream cluster, as deploy/ runs it: the
same rendering with a cluster block, every stream replicated three times."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.js.errors
import pytest

from zhiyuan_cli.district import provision_districts
from zhiyuan_contracts.catalogue import subject_of
from zhiyuan_contracts.envelope import encode
from zhiyuan_district_client import DistrictFollower, EventOutcome
from zhiyuan_platform.natsconf import (
    ClusterSpec,
    district_api_prefix,
    generate_district_passwords,
    generate_passwords,
    render_config,
)
from zhiyuan_platform.testing.servers import LocalNats, free_port

from .conftest import A, B, event

pytestmark = [pytest.mark.nats, pytest.mark.timeout(90)]


@pytest.fixture
def cluster() -> Iterator[tuple[list[LocalNats], dict[str, str], dict[str, str]]]:
    passwords = generate_passwords()
    districts = generate_district_passwords([A, B])
    nodes = [LocalNats() for _ in range(3)]
    routes = [free_port() for _ in nodes]
    try:
        for i, node in enumerate(nodes):
            node.config_text = render_config(
                host="127.0.0.1",
                port=node.port,
                store_dir=str(node.workdir / "js"),
                passwords=passwords,
                server_name=f"nats-{i + 1}",
                cluster=ClusterSpec(
                    name="zhiyuan-test",
                    listen=f"127.0.0.1:{routes[i]}",
                    routes=tuple(f"127.0.0.1:{r}" for j, r in enumerate(routes) if j != i),
                ),
                districts=districts,
            )
            node.start()
        yield nodes, passwords, districts
    finally:
        for node in nodes:
            node.cleanup()


async def test_a_district_follows_its_replicated_feed_on_the_cluster(
    cluster: tuple[list[LocalNats], dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    nodes, passwords, districts = cluster
    operator = await nats.connect(nodes[0].url, user="operator", password=passwords["operator"])
    registry = await nats.connect(nodes[1].url, user="registry", password=passwords["registry"])
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while True:  # until the cluster has a meta leader (JetStream answers)
            try:
                await operator.jetstream(timeout=0.5).account_info()
                break
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.1)
        while True:  # and until it knows enough peers to place three replicas
            try:
                await provision_districts(operator, [A, B], replicas=3)
                break
            except nats.js.errors.BadRequestError as exc:  # no suitable peers for placement
                if asyncio.get_running_loop().time() > deadline:
                    raise
                assert exc.err_code == 10005, exc
                await asyncio.sleep(0.2)
        info = await operator.jetstream(prefix=district_api_prefix(A), timeout=5).stream_info(
            f"ZY_DISTRICT_{A}"
        )
        assert (
            info.config.num_replicas == 3
            and info.cluster is not None
            and len(info.cluster.replicas or []) == 2
        )

        js = registry.jetstream(timeout=5)
        ours = []
        for i in range(5):
            for code in (A, B):
                ce = event("zhiyuan.registry.VolunteerRegistered.v1", code, volunteer_id=f"{code}-{i}")
                await js.publish(subject_of(ce), encode(ce), headers={"Nats-Msg-Id": ce.id})
                if code == A:
                    ours.append(ce.id)

        seen: list[EventOutcome] = []
        follower = DistrictFollower(
            nodes[2].url,
            f"district-{A}",
            districts[A],
            A,
            durable="cluster",
            store=tmp_path / "a.db",
            on_event=seen.append,
        )
        async with follower:
            for _ in range(100):
                await follower.catch_up()
                if len(seen) >= len(ours):
                    break
                await asyncio.sleep(0.1)
        assert [o.id for o in seen] == ours
    finally:
        await operator.close()
        await registry.close()
