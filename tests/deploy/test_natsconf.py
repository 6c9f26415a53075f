"""Unit tests of the nats-server configuration generator (no server needed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from zhiyuan_platform.natsconf import (
    SERVICE_PERMISSIONS,
    USERS,
    ClusterSpec,
    deploy_configs,
    env_password_refs,
    generate_passwords,
    is_env_safe_password,
    main,
    quote,
    render_config,
)

from .conftest import nats_server_binary

BASE: dict[str, Any] = {"host": "0.0.0.0", "port": 4222, "store_dir": "/data"}


def _all_subjects(user: str) -> list[str]:
    perms = SERVICE_PERMISSIONS[user]
    return [s for direction in perms.values() for rules in direction.values() for s in rules]


def test_every_user_has_explicit_allow_lists() -> None:
    assert set(USERS) == {"registry", "activities", "recognition", "gateway", "operator"}
    for user in USERS:
        perms = SERVICE_PERMISSIONS[user]
        assert perms["publish"]["allow"] and perms["subscribe"]["allow"], user
        # A bare wildcard would undo the point of having users.
        assert not {">", "*", "$JS.>", "$JS.API.STREAM.>"} & set(_all_subjects(user)), user


@pytest.mark.parametrize("context", ["registry", "activities", "recognition"])
def test_context_service_publishes_only_its_own_events(context: str) -> None:
    publish = SERVICE_PERMISSIONS[context]["publish"]["allow"]
    subscribe = SERVICE_PERMISSIONS[context]["subscribe"]["allow"]
    assert f"zy.{context}.>" in publish
    assert [s for s in publish if s.startswith("zy.")] == [f"zy.{context}.>"]
    assert subscribe == [f"zyi.{context}.>", "_INBOX.>"]
    assert f"$JS.API.STREAM.CREATE.ZY_{context.upper()}" in publish
    assert not any((".DELETE." in s and "STREAM" in s) or ".PURGE." in s for s in publish)


def test_consumers_read_only_the_streams_they_need() -> None:
    recognition = SERVICE_PERMISSIONS["recognition"]["publish"]["allow"]
    for source in ("ZY_REGISTRY", "ZY_ACTIVITIES"):
        assert f"$JS.API.CONSUMER.MSG.NEXT.{source}.*" in recognition
        assert f"$JS.ACK.{source}.>" in recognition
    assert "zyd.>" in recognition and "$JS.API.STREAM.CREATE.ZY_DEAD_LETTERS" in recognition
    # Activities keeps its copy of volunteers and teams from the registry's events, nothing else.
    activities = SERVICE_PERMISSIONS["activities"]["publish"]["allow"]
    assert "$JS.API.CONSUMER.MSG.NEXT.ZY_REGISTRY.*" in activities
    assert not any("ZY_ACTIVITIES" in s and "CONSUMER" in s for s in activities)
    assert not any("ZY_RECOGNITION" in s for s in activities)
    # The registry consumes nothing.
    assert not any("CONSUMER" in s or s.startswith(("$JS.ACK", "zyd")) for s in _all_subjects("registry"))


def test_gateway_only_asks_and_hears_replies() -> None:
    assert SERVICE_PERMISSIONS["gateway"] == {
        "publish": {"allow": ["zyi.>"]},
        "subscribe": {"allow": ["_INBOX.>"]},
    }


def test_operator_administers_jetstream_and_reads_the_feed() -> None:
    operator = SERVICE_PERMISSIONS["operator"]
    assert "$JS.API.>" in operator["publish"]["allow"]
    assert "zy.>" in operator["subscribe"]["allow"]
    assert not any(s.startswith("zyi.") for s in _all_subjects("operator"))
    assert not any(s.startswith("zy.") for s in operator["publish"]["allow"])


def test_render_has_jetstream_fsync_users_and_no_anonymous_access() -> None:
    text = render_config(**BASE, passwords=generate_passwords(), http_port=8222)
    assert "sync_interval: always" in text
    assert "http_port: 8222" in text
    assert "no_auth_user" not in text
    assert text.count("user: ") == len(USERS)
    assert "cluster {" not in text


def test_render_options() -> None:
    text = render_config(
        **BASE, passwords={"gateway": "pw-gateway-000000"}, sync_always=False, max_payload=2 * 1024 * 1024
    )
    assert "sync_interval" not in text and "http_port" not in text
    assert "max_payload: 2097152" in text
    assert 'user: "gateway"' in text and 'user: "registry"' not in text


def test_env_references_stay_unquoted_and_literals_are_quoted() -> None:
    text = render_config(**BASE, passwords={"registry": "$REGISTRY_NATS_PASSWORD", "gateway": 'a"b\\c$d'})
    assert "password: $REGISTRY_NATS_PASSWORD\n" in text
    assert 'password: "a\\"b\\\\c$d"\n' in text


def test_quote_refuses_control_characters() -> None:
    assert quote("tab\there") == '"tab\\there"'
    with pytest.raises(ValueError):
        quote("bell\x07")


def test_render_refuses_unknown_users_and_bad_arguments() -> None:
    with pytest.raises(ValueError, match="no permissions"):
        render_config(**BASE, passwords={"district": "x" * 20})
    with pytest.raises(ValueError, match="anonymous"):
        render_config(**BASE, passwords={})
    with pytest.raises(ValueError):
        render_config(**BASE, passwords={"gateway": ""})
    with pytest.raises(ValueError):
        render_config(host="0.0.0.0", port=0, store_dir="/data", passwords={"gateway": "x" * 20})
    with pytest.raises(ValueError):
        render_config(**BASE, passwords={"gateway": "x" * 20}, cluster=ClusterSpec(name="z", listen="6222"))


def test_cluster_block_routes_to_the_other_nodes() -> None:
    spec = ClusterSpec(
        name="zhiyuan", listen="0.0.0.0:6222", routes=("nats-2:6222", "nats-route://nats-3:6222")
    )
    text = render_config(**BASE, passwords=generate_passwords(), server_name="nats-1", cluster=spec)
    assert 'server_name: "nats-1"' in text
    assert '"nats-route://nats-2:6222"' in text and '"nats-route://nats-3:6222"' in text
    assert 'listen: "0.0.0.0:6222"' in text


def test_generated_passwords_are_strong_distinct_and_safe_through_env_vars() -> None:
    batches = [generate_passwords() for _ in range(50)]
    for passwords in batches:
        assert set(passwords) == set(USERS)
        assert len(set(passwords.values())) == len(USERS)
        assert all(is_env_safe_password(p) and len(p) >= 40 for p in passwords.values())
    assert not is_env_safe_password("-starts-with-a-dash-xxxx")
    assert not is_env_safe_password("1234567890123456789")


def test_why_env_passwords_must_start_with_a_letter(tmp_path: Path) -> None:
    """nats-server parses a $VAR's value as config: a number or `-x` is no string."""
    conf = tmp_path / "n.conf"
    conf.write_text(render_config(**BASE, passwords={"gateway": "$GATEWAY_NATS_PASSWORD"}))

    def check(value: str) -> int:
        env = {**os.environ, "GATEWAY_NATS_PASSWORD": value}
        return subprocess.run(
            [nats_server_binary(), "-t", "-c", str(conf)], env=env, capture_output=True, timeout=20
        ).returncode

    assert check(generate_passwords()["gateway"]) == 0
    assert check("-abc_def-not-a-number") != 0
    assert check("123456") != 0


def test_main_writes_what_deploy_configs_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--write-deploy", str(tmp_path), "--print-env"]) == 0
    for relative, text in deploy_configs().items():
        assert (tmp_path / relative).read_text(encoding="utf-8") == text
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(printed) == {ref.removeprefix("$") for ref in env_password_refs().values()}
    assert all(is_env_safe_password(v) for v in printed.values())


def test_main_needs_something_to_do() -> None:
    with pytest.raises(SystemExit):
        main([])
