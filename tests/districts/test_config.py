"""The district part of the generated nats-server configuration, checked without a
running server (``nats-server -t`` only)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
from pathlib import Path

import pytest

from zhiyuan_platform.natsconf import (
    BEIJING_DISTRICTS,
    SERVICE_PERMISSIONS,
    deploy_configs,
    district_env_var,
    district_permissions,
    env_var_for,
    generate_district_passwords,
    generate_passwords,
    is_env_safe_password,
    main,
    parse_districts,
    render_config,
)
from zhiyuan_platform.testing.servers import nats_server_binary

REPO = Path(__file__).resolve().parents[2]
DIVISIONS = REPO / "services" / "registry" / "zhiyuan_registry" / "data" / "divisions-110000.csv"
BASE = {"host": "127.0.0.1", "port": 4222, "store_dir": "/tmp/zy-js"}


def test_the_seeded_city_has_its_16_districts_covered() -> None:
    with DIVISIONS.open(encoding="utf-8") as handle:
        rows = [row["code"] for row in csv.DictReader(handle) if row["level"] == "district"]
    assert tuple(rows) == BEIJING_DISTRICTS and len(rows) == 16
    assert parse_districts("beijing") == BEIJING_DISTRICTS
    assert parse_districts("110101, 110102,110101") == ("110101", "110102")
    with pytest.raises(ValueError):
        parse_districts("1101")


def test_a_district_user_reads_its_stream_and_nothing_else() -> None:
    permissions = district_permissions("110101")
    publish, subscribe = permissions["publish"]["allow"], permissions["subscribe"]["allow"]
    assert subscribe == ["_INBOX.>", "zy.*.110101.>"]
    assert not any(s.startswith(("zy", "$JS.ZHIYUAN", "$JS.DISTRICT")) for s in publish)
    jetstream = [s for s in publish if s.startswith("$JS.API.") and s not in ("$JS.API.INFO",)]
    assert all("ZY_DISTRICT_110101" in s or s.endswith(("STREAM.NAMES", "STREAM.LIST")) for s in jetstream)
    stream_admin = (
        ".STREAM.CREATE",
        ".STREAM.UPDATE",
        ".STREAM.DELETE",
        ".STREAM.PURGE",
        ".STREAM.MSG.DELETE",
    )
    assert not any(verb in s for s in publish for verb in stream_admin)
    assert "$JS.ACK.ZY_DISTRICT_110101.>" in publish
    # The operator may administer the district accounts' JetStream; the services may not.
    assert "$JS.DISTRICT.*.API.>" in SERVICE_PERMISSIONS["operator"]["publish"]["allow"]
    for user in ("registry", "activities", "recognition", "gateway"):
        assert not any(
            "DISTRICT" in s for d in SERVICE_PERMISSIONS[user].values() for r in d.values() for s in r
        )


def _account_block(text: str, account: str) -> str:
    start = text.index(f"  {account} {{")
    end = text.index("\n  }\n", start)
    return text[start:end]


def test_each_district_account_imports_only_its_own_district() -> None:
    districts = generate_district_passwords(["110101", "110102"])
    text = render_config(**BASE, passwords=generate_passwords(), districts=districts)
    assert text.count("user: ") == 5 + 2
    for code, other in (("110101", "110102"), ("110102", "110101")):
        block = _account_block(text, f"DISTRICT_{code}")
        assert other not in block
        imports = block[block.index("imports = [") :]
        assert imports.count("{ service:") + imports.count("{ stream:") == 3 + 2 + 3
        for context in ("registry", "activities", "recognition"):
            subject = f"$JS.API.CONSUMER.CREATE.ZY_{context.upper()}.*.zy.{context}.{code}.>"
            assert f'subject: "{subject}"' in imports
            assert f'to: "{subject.replace("$JS.API", "$JS.ZHIYUAN.API")}"' in imports
        assert f'subject: "zyfeed.{code}.>"' in imports and f'subject: "zy.*.{code}.>"' in imports
    city = _account_block(text, "ZHIYUAN")
    # What the city exports for one district is granted to that district's account only.
    exports = [line for line in city.splitlines() if "accounts: [" in line]
    assert len(exports) == 2 * 5 + 3
    for line in exports:
        codes = set(re.findall(r"\b1101\d\d\b", line.split("accounts:")[0]))
        if codes:
            [code] = codes
            assert line.endswith(f'accounts: ["DISTRICT_{code}"] }}'), line
        else:  # flow control of the city streams' consumers: no data flows on it
            assert "$JS.FC.ZY_" in line, line


def _check(conf: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NATS_PASSWORD")}
    return subprocess.run(
        [nats_server_binary(), "-t", "-c", str(conf)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_deploy_configs_with_the_beijing_districts_are_accepted(tmp_path: Path) -> None:
    files = deploy_configs(BEIJING_DISTRICTS)
    env = {env_var_for(user): pw for user, pw in generate_passwords().items()}
    env |= {district_env_var(code): pw for code, pw in generate_district_passwords(BEIJING_DISTRICTS).items()}
    for relative in ("single.conf", "cluster/nats-2.conf"):
        conf = tmp_path / relative.replace("/", "-")
        conf.write_text(files[relative])
        referenced = set(re.findall(r"password: \$([A-Z0-9_]+)", files[relative]))
        assert referenced == set(env)
        result = _check(conf, env)
        assert result.returncode == 0, result.stdout + result.stderr
    # The committed files are those without districts (their passwords are per deploy).
    assert deploy_configs() == {p: (REPO / "deploy" / "nats" / p).read_text() for p in deploy_configs()}
    assert "DISTRICT_" not in (REPO / "deploy" / "nats" / "single.conf").read_text()


def test_main_prints_district_passwords_for_the_env_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--write-deploy", str(tmp_path), "--print-env", "--districts", "110101,110105"]) == 0
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert {
        "DISTRICT_110101_NATS_PASSWORD",
        "DISTRICT_110105_NATS_PASSWORD",
        "OPERATOR_NATS_PASSWORD",
    } <= set(printed)
    assert all(is_env_safe_password(v) for v in printed.values())
    assert 'user: "district-110105"' in (tmp_path / "cluster" / "nats-3.conf").read_text()
    with pytest.raises(SystemExit):
        main(["--print-env", "--districts", "nope"])
