"""The deployment files, checked statically (no Docker on the machines that run this).

What is checked: docker-compose.yml (and the cluster override) name services, modules,
paths and secrets that exist; the Dockerfile copies what exists; every committed
deploy/nats/*.conf is exactly what zhiyuan_platform.natsconf renders, and nats-server
accepts it (`nats-server -t`).
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhiyuan_platform.natsconf import deploy_configs, env_var_for, generate_passwords

from .conftest import REPO, nats_server_binary

COMPOSE = REPO / "docker-compose.yml"
CLUSTER_OVERRIDE = REPO / "deploy" / "docker-compose.cluster.yml"
DOCKERFILE = REPO / "deploy" / "Dockerfile"
NATS_DIR = REPO / "deploy" / "nats"
INIT_SQL = REPO / "deploy" / "postgres" / "init.sql"

SERVICES = {"nats", "postgres", "migrate", "registry", "activities", "recognition", "gateway"}
# service -> (python module, NATS user)
APPS = {
    "registry": ("zhiyuan_registry", "registry"),
    "activities": ("zhiyuan_activities", "activities"),
    "recognition": ("zhiyuan_recognition", "recognition"),
    "gateway": ("zhiyuan_gateway", "gateway"),
}
CONTEXTS = ("registry", "activities", "recognition")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _load(COMPOSE)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = compose["services"]
    return result


def _python_module(command: list[str] | str) -> str | None:
    argv = command.split() if isinstance(command, str) else command
    if len(argv) >= 3 and argv[0].startswith("python") and argv[1] == "-m":
        return argv[2]
    return None


def _module_dirs(module: str) -> list[Path]:
    return sorted(p for p in (REPO / "services").glob(f"*/{module}") if p.is_dir())


# --- docker-compose.yml -----------------------------------------------------------------


def test_compose_has_every_service(services: dict[str, Any]) -> None:
    assert set(services) == SERVICES


@pytest.mark.parametrize("service", sorted(APPS))
def test_app_command_names_a_service_package(services: dict[str, Any], service: str) -> None:
    module = _python_module(services[service]["command"])
    assert module == APPS[service][0]
    dirs = _module_dirs(module)
    assert len(dirs) == 1, f"expected exactly one services/*/{module}/, found {dirs}"
    assert (dirs[0] / "__init__.py").is_file()


@pytest.mark.parametrize("service", sorted(APPS))
def test_app_command_module_has_a_main(services: dict[str, Any], service: str) -> None:
    """`python -m <module>` needs <module>/__main__.py.

    These modules are written alongside the services (not by the deploy work): until they
    land, this test fails for that reason alone.
    """
    module = APPS[service][0]
    dirs = _module_dirs(module)
    assert dirs, f"no services/*/{module}/"
    assert (dirs[0] / "__main__.py").is_file(), f"{dirs[0]}/__main__.py is missing"


def test_migrate_runs_zhiyuan_migrate_from_the_cli_entry_point(services: dict[str, Any]) -> None:
    assert services["migrate"]["command"] == ["zhiyuan", "migrate"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    target = scripts["zhiyuan"]
    module = target.split(":")[0]
    package, _, leaf = module.partition(".")
    assert (REPO / "shared" / package / "__init__.py").is_file(), target
    assert (REPO / "shared" / package / f"{leaf}.py").is_file(), f"{target}: module missing"
    env = services["migrate"]["environment"]
    for context in CONTEXTS:
        url = env[f"ZHIYUAN_{context.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and url.endswith(f"/zhiyuan_{context}")


def test_start_order(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for context in CONTEXTS:
        depends = services[context]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["nats"]["condition"] == "service_healthy"
        assert depends["postgres"]["condition"] == "service_healthy"
    assert services["gateway"]["depends_on"]["nats"]["condition"] == "service_healthy"
    for name in ("nats", "postgres"):
        assert services[name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}


def test_images(services: dict[str, Any]) -> None:
    nats_image = services["nats"]["image"]
    match = re.fullmatch(r"nats:(\d+)\.(\d+)(?:\.\d+)?-alpine", nats_image)
    assert match and (int(match[1]), int(match[2])) >= (2, 12), nats_image
    assert services["postgres"]["image"].startswith("postgres:16")
    for service in (*APPS, "migrate"):
        build = services[service]["build"]
        assert (REPO / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_app_environment(services: dict[str, Any]) -> None:
    for service, (_, user) in {**APPS, "migrate": ("", "operator")}.items():
        env = services[service]["environment"]
        assert env["ZHIYUAN_ENV"] == "production"
        assert env["ZHIYUAN_NATS_URL"] == "nats://nats:4222"
        assert env["ZHIYUAN_NATS_USER"] == user
        assert env["ZHIYUAN_NATS_PASSWORD"].startswith("${" + env_var_for(user) + ":?")
        assert env["ZHIYUAN_LOG_FORMAT"] in {"json", "console"}
        assert env["ZHIYUAN_DATA_DIR"]
    for context in CONTEXTS:
        url = services[context]["environment"]["ZHIYUAN_DATABASE_URL"]
        assert re.fullmatch(
            rf"postgresql\+asyncpg://zhiyuan:\$\{{POSTGRES_PASSWORD\}}@postgres:5432/zhiyuan_{context}", url
        )
    gateway = services["gateway"]
    assert "ZHIYUAN_DATABASE_URL" not in gateway["environment"]
    assert gateway["environment"]["ZHIYUAN_TOKEN_SECRET"].startswith("${ZHIYUAN_TOKEN_SECRET:?")
    assert gateway["environment"]["ZHIYUAN_GATEWAY_PORT"] == "8000"
    assert "8000:8000" in gateway["ports"]


def _secret_values(data: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and re.search(r"PASSWORD|SECRET", str(key)):
                found.append((str(key), value))
            else:
                found += _secret_values(value)
    elif isinstance(data, list):
        for item in data:
            found += _secret_values(item)
    return found


@pytest.mark.parametrize("path", [COMPOSE, CLUSTER_OVERRIDE], ids=lambda p: p.name)
def test_no_default_secrets(path: Path) -> None:
    secrets = _secret_values(_load(path))
    assert secrets
    for key, value in secrets:
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", value), f"{key} must be required from the environment"


def test_nats_gets_exactly_the_password_variables_its_config_references(services: dict[str, Any]) -> None:
    referenced = set(re.findall(r"password: \$([A-Z_]+)", (NATS_DIR / "single.conf").read_text()))
    assert set(services["nats"]["environment"]) == referenced


def _bind_mounts(services: dict[str, Any]) -> list[tuple[str, Path, str]]:
    mounts = []
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith((".", "/")):
                mounts.append((name, REPO / source, target))
    return mounts


@pytest.mark.parametrize("path", [COMPOSE, CLUSTER_OVERRIDE], ids=lambda p: p.name)
def test_bind_mounts_and_named_volumes_exist(path: Path) -> None:
    data = _load(path)
    mounts = _bind_mounts(data["services"])
    for service, source, _ in mounts:
        assert source.exists(), f"{service} mounts {source}, which is not in the repo"
    for service in data["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in data.get("volumes", {}), f"named volume {source} is not declared"


def _container_path_on_host(service: dict[str, Any], container_path: str) -> Path | None:
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith(".") and container_path.startswith(target.rstrip("/") + "/"):
            return REPO / source / container_path[len(target.rstrip("/")) + 1 :]
    return None


def test_nats_configs_named_by_commands_exist() -> None:
    base = _load(COMPOSE)["services"]
    override = _load(CLUSTER_OVERRIDE)["services"]
    checked = []
    for name, service in [*base.items(), *override.items()]:
        command = service.get("command")
        if isinstance(command, list) and command[:1] == ["-c"]:
            mounted_from = service if "volumes" in service else base[name]
            host = _container_path_on_host(mounted_from, command[1])
            assert host is not None and host.is_file(), f"{name}: {command[1]} is not mounted from the repo"
            checked.append(host.relative_to(REPO).as_posix())
    assert sorted(checked) == sorted(
        ["deploy/nats/single.conf"] + [f"deploy/nats/cluster/nats-{i}.conf" for i in (1, 2, 3)]
    )


def test_cluster_override_gives_streams_three_replicas() -> None:
    override = _load(CLUSTER_OVERRIDE)["services"]
    for name in ("registry", "activities", "recognition"):
        assert override[name]["environment"]["ZHIYUAN_STREAM_REPLICAS"] == "3"


def test_cluster_override_routes_match_the_node_hostnames() -> None:
    override = _load(CLUSTER_OVERRIDE)["services"]
    hostnames = {service["hostname"] for service in override.values() if "hostname" in service}
    assert hostnames == {"nats-1", "nats-2", "nats-3"}
    for node in hostnames:
        routes = set(
            re.findall(r"nats-route://([a-z0-9-]+):6222", (NATS_DIR / "cluster" / f"{node}.conf").read_text())
        )
        assert routes == hostnames - {node}


def test_postgres_init_creates_one_database_per_service() -> None:
    databases = re.findall(r"CREATE DATABASE (\w+);", INIT_SQL.read_text())
    assert sorted(databases) == sorted(f"zhiyuan_{c}" for c in CONTEXTS)


# --- Dockerfile -------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def _dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerfile_builds_one_image_as_a_non_root_user() -> None:
    instructions = _dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "pip install ." in runs
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}


def test_dockerfile_copies_sources_that_exist_and_are_not_ignored() -> None:
    patterns = _dockerignore_patterns()
    copies = [rest.split() for keyword, rest in _dockerfile_instructions() if keyword == "COPY"]
    assert copies
    sources = [src for args in copies for src in [a for a in args if not a.startswith("--")][:-1]]
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: not in the repo"
        ignored = [p for p in patterns if fnmatch.fnmatch(source.rstrip("/"), p)]
        assert not ignored, f"COPY {source} is excluded by .dockerignore {ignored}"
    # setuptools needs the readme named in pyproject.toml to build the wheel.
    readme = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["readme"]
    assert readme in sources
    assert {"shared", "services", "pyproject.toml"} <= set(sources)


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    patterns = set(_dockerignore_patterns())
    assert {".env", ".git", ".venv", ".zhiyuan"} <= patterns


# --- deploy/nats ------------------------------------------------------------------------


def test_committed_nats_configs_are_what_natsconf_generates() -> None:
    generated = deploy_configs()
    committed = {p.relative_to(NATS_DIR).as_posix() for p in NATS_DIR.rglob("*.conf")}
    assert committed == set(generated), "run: python -m zhiyuan_platform.natsconf --write-deploy deploy/nats"
    for relative, text in generated.items():
        assert (NATS_DIR / relative).read_text(encoding="utf-8") == text, (
            f"deploy/nats/{relative} drifted; run: python -m zhiyuan_platform.natsconf --write-deploy deploy/nats"
        )


def _referenced_env(conf: Path) -> set[str]:
    return set(re.findall(r"^\s*\w+: \$([A-Z_][A-Z0-9_]*)\s*$", conf.read_text(), flags=re.MULTILINE))


def _config_test(conf: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NATS_PASSWORD")}
    return subprocess.run(
        [nats_server_binary(), "-t", "-c", str(conf)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


NATS_CONFS = sorted(NATS_DIR.rglob("*.conf"))


@pytest.mark.parametrize("conf", NATS_CONFS, ids=lambda p: p.relative_to(NATS_DIR).as_posix())
def test_nats_server_accepts_the_config(conf: Path) -> None:
    # The cluster configs route to nats-1..3, which resolve only inside compose; `-t`
    # does not resolve route hosts (checked with nats-server 2.15.1), so they are tested
    # as committed, without substituting 127.0.0.1.
    referenced = _referenced_env(conf)
    assert referenced == {env_var_for(u) for u in generate_passwords()}
    values = generate_passwords()
    env = {env_var_for(user): password for user, password in values.items()}
    result = _config_test(conf, env)
    assert result.returncode == 0, result.stdout + result.stderr
    text = conf.read_text()
    assert "sync_interval: always" in text and "no_auth_user" not in text


def test_nats_server_refuses_the_config_without_its_passwords() -> None:
    result = _config_test(NATS_DIR / "single.conf", {})
    assert result.returncode != 0
    assert "NATS_PASSWORD" in result.stdout + result.stderr
