"""``zhiyuan district credentials`` and ``follow`` on a local install, and what
``zhiyuan up`` does before it starts nats-server (district passwords, an old store
moved into the services' account)."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from typer.testing import CliRunner

from zhiyuan_cli import district
from zhiyuan_cli.install import Install
from zhiyuan_contracts.envelope import CloudEvent, encode
from zhiyuan_platform.natsconf import BEIJING_DISTRICTS, generate_passwords, render_config
from zhiyuan_platform.streams_admin import ensure_context_stream
from zhiyuan_platform.testing.servers import LocalNats, free_port

from .conftest import A, B, event

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Install, LocalNats]]:
    """A local install as `zhiyuan up` leaves it: install.json, districts.json, nats.conf."""
    root = tmp_path / ".zhiyuan"
    monkeypatch.setenv("ZHIYUAN_DATA_DIR", str(root))
    server = LocalNats()
    installed = Install(root, server.port, free_port(), generate_passwords())
    root.mkdir()
    installed.save()
    districts = district.prepare_local_nats(root)
    server.config_text = render_config(
        host="127.0.0.1",
        port=server.port,
        store_dir=str(root / "jetstream"),
        passwords=installed.passwords,
        districts=districts,
    )
    (root / "nats.conf").write_text(server.config_text)
    server.start()
    try:
        yield installed, server
    finally:
        server.cleanup()


def _publish(url: str, passwords: dict[str, str], events: list[CloudEvent]) -> None:
    async def run() -> None:
        for ce in events:
            nc = await nats.connect(url, user=ce.context, password=passwords[ce.context])
            try:
                await ensure_context_stream(nc, ce.context)
                await nc.jetstream().publish(
                    f"zy.{ce.context}.{ce.district}.{ce.name}", encode(ce), headers={"Nats-Msg-Id": ce.id}
                )
            finally:
                await nc.close()

    asyncio.run(run())


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_up_prepares_a_password_per_beijing_district(tmp_path: Path) -> None:
    passwords = district.prepare_local_nats(tmp_path)
    assert sorted(passwords) == sorted(BEIJING_DISTRICTS) and len(passwords) == 16
    path = tmp_path / "districts.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert district.prepare_local_nats(tmp_path) == passwords  # stable across restarts
    assert len(set(passwords.values())) == 16


def test_credentials_provision_and_follow(install: tuple[Install, LocalNats]) -> None:
    installed, server = install
    runner = CliRunner()
    result = runner.invoke(district.app, ["credentials", A, "--json"])
    assert result.exit_code == 0, result.output
    creds = json.loads(result.stdout)
    assert creds["url"] == installed.nats_url and creds["user"] == "district-110101"
    assert creds["stream"] == "ZY_DISTRICT_110101" and creds["stream_state"] == "created"
    assert creds["password"] == district.load_district_passwords(installed.root)[A]
    assert f"zhiyuan district follow {A}" in creds["follow"] and "--from-start" in creds["follow"]
    again = runner.invoke(district.app, ["credentials", A])
    assert again.exit_code == 0 and "ok" in again.stdout and "password:" in again.stdout

    ours = [
        event("zhiyuan.registry.VolunteerRegistered.v1", A),
        event("zhiyuan.activities.HoursLogged.v1", A),
    ]
    _publish(
        server.url,
        installed.passwords,
        [ours[0], event("zhiyuan.registry.VolunteerRegistered.v1", B), ours[1]],
    )
    _wait_for(runner, A, 2)

    # The printed command, as printed (the password from the environment).
    env = {"ZHIYUAN_DISTRICT_PASSWORD": creds["password"]}
    follow = ["follow", A, "--url", creds["url"], "--from-start", "--until-caught-up"]
    printed = runner.invoke(district.app, follow, env=env)
    assert printed.exit_code == 0, printed.output
    # In order within each city stream; the two streams interleave as they reach the district.
    assert sorted(e["id"] for e in _lines(printed.stdout)) == sorted(ce.id for ce in ours)
    assert all(e["district"] == A and e["specversion"] == "1.0" for e in _lines(printed.stdout))

    with_meta = runner.invoke(district.app, ["follow", A, "--from-seq", "2", "--until-caught-up", "--meta"])
    assert with_meta.exit_code == 0, with_meta.output
    [line] = _lines(with_meta.stdout)
    assert line["stream_seq"] == 2 and line["event"] == _lines(printed.stdout)[1]
    assert (
        line["subject"]
        == f"zy.{line['event']['source'].split('/')[-1]}.{A}.{line['event']['type'].split('.')[2]}"
    )

    # A durable: the second run prints only what came since.
    durable = ["follow", A, "--durable", "cli", "--from-start", "--until-caught-up"]
    assert len(_lines(runner.invoke(district.app, durable).stdout)) == 2
    later = event("zhiyuan.registry.VolunteerSuspended.v1", A)
    _publish(server.url, installed.passwords, [later])
    _wait_for(runner, A, 3)
    assert [e["id"] for e in _lines(runner.invoke(district.app, durable).stdout)] == [later.id]

    listed = runner.invoke(district.app, ["list"])
    assert listed.exit_code == 0 and "ZY_DISTRICT_110101" in listed.stdout and "3 events" in listed.stdout
    assert "not provisioned" in listed.stdout  # the other districts, until `zhiyuan up` provisions them


def _wait_for(runner: CliRunner, code: str, count: int) -> None:
    for _ in range(100):
        listed = runner.invoke(district.app, ["list"])
        if f"{count} events" in next(line for line in listed.stdout.splitlines() if line.startswith(code)):
            return
        asyncio.run(asyncio.sleep(0.05))
    raise AssertionError(f"district {code} never held {count} events")


def test_provision_local_covers_every_district(install: tuple[Install, LocalNats]) -> None:
    installed, _ = install
    said: list[str] = []
    assert district.provision_local(
        installed.root, installed.nats_url, installed.passwords["operator"], said.append
    )
    assert "16 feeds" in said[0]
    listed = CliRunner().invoke(district.app, ["list"])
    assert listed.stdout.count("0 events") == 16, listed.stdout
    # Idempotent, as at every `zhiyuan up`.
    assert district.provision_local(
        installed.root, installed.nats_url, installed.passwords["operator"], said.append
    )
    assert said[1].endswith("feeds (ZY_DISTRICT_<code>)")


def test_provision_local_works_from_inside_a_running_event_loop(install: tuple[Install, LocalNats]) -> None:
    """``System.start`` may be called by async code (a test, a notebook): no nested asyncio.run."""
    installed, _ = install
    said: list[str] = []

    async def inside_a_loop() -> bool:
        return district.provision_local(
            installed.root, installed.nats_url, installed.passwords["operator"], said.append
        )

    assert asyncio.run(inside_a_loop()), said
    assert "16 feeds" in said[0]


def test_district_retention_is_configurable(
    install: tuple[Install, LocalNats], monkeypatch: pytest.MonkeyPatch
) -> None:
    installed, server = install
    runner = CliRunner()
    assert runner.invoke(district.app, ["provision", A]).stdout.split() == ["ZY_DISTRICT_110101", "created"]
    monkeypatch.setenv(district.MAX_AGE_ENV, "30")
    assert runner.invoke(district.app, ["provision", A]).stdout.split() == ["ZY_DISTRICT_110101", "updated"]
    assert runner.invoke(district.app, ["provision", A]).stdout.split() == ["ZY_DISTRICT_110101", "ok"]

    async def max_age() -> float:
        nc = await nats.connect(server.url, user="operator", password=installed.passwords["operator"])
        try:
            js = nc.jetstream(prefix="$JS.DISTRICT.110101.API")
            city = (await nc.jetstream().stream_info("ZY_REGISTRY")).config.max_age
            assert not city  # the city streams keep everything
            return float((await js.stream_info("ZY_DISTRICT_110101")).config.max_age or 0)
        finally:
            await nc.close()

    assert asyncio.run(max_age()) == 30 * 86400


def test_bad_arguments() -> None:
    runner = CliRunner()
    assert runner.invoke(district.app, ["follow", "1101"]).exit_code == 2
    assert runner.invoke(district.app, ["follow", A, "--from-start", "--since", "2026-01-01"]).exit_code == 2
    assert runner.invoke(district.app, ["follow", A, "--since", "yesterday"]).exit_code == 2


def test_credentials_refuse_a_code_outside_the_city(install: tuple[Install, LocalNats]) -> None:
    result = CliRunner().invoke(district.app, ["credentials", "310104"])
    assert result.exit_code == 2 and "not a district" in result.output


def test_an_old_store_moves_into_the_services_account(tmp_path: Path) -> None:
    """An install made before the accounts: its streams and consumers were in `$G`."""
    root = tmp_path / ".zhiyuan"
    passwords = generate_passwords()
    server = LocalNats()
    store = root / "jetstream"
    server.config_text = (
        f'listen: "127.0.0.1:{server.port}"\njetstream {{ store_dir: "{store}" }}\n'
        f'authorization {{ users = [ {{ user: registry, password: "{passwords["registry"]}" }} ] }}\n'
    )
    ce = event("zhiyuan.registry.VolunteerRegistered.v1", A)

    async def before() -> None:
        nc = await nats.connect(server.url, user="registry", password=passwords["registry"])
        await ensure_context_stream(nc, "registry")
        await nc.jetstream().publish(
            f"zy.registry.{A}.VolunteerRegistered", encode(ce), headers={"Nats-Msg-Id": ce.id}
        )
        await nc.close()

    async def after() -> tuple[int, list[str]]:
        nc = await nats.connect(server.url, user="operator", password=passwords["operator"])
        js = nc.jetstream(timeout=2)
        count = (await js.stream_info("ZY_REGISTRY")).state.messages
        await district.provision_districts(nc, [A])
        sub = await nats.connect(server.url, user="district-110101", password=districts[A])
        msg = await (
            await sub.jetstream().subscribe(">", stream=f"ZY_DISTRICT_{A}", ordered_consumer=True)
        ).next_msg(2)
        await sub.close()
        await nc.close()
        return int(count), [msg.headers["Nats-Msg-Id"] if msg.headers else ""]

    server.start()
    try:
        asyncio.run(before())
        server.stop()
        districts = district.prepare_local_nats(root)
        assert (store / "jetstream" / "ZHIYUAN").is_dir() and not (store / "jetstream" / "$G").exists()
        assert not district.adopt_global_account_store(store)  # once only
        server.config_text = render_config(
            host="127.0.0.1", port=server.port, store_dir=str(store), passwords=passwords, districts=districts
        )
        server.start()
        assert asyncio.run(after()) == (1, [ce.id])
    finally:
        server.cleanup()
