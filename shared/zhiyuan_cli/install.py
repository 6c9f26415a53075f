"""A local install: its data directory, generated secrets and where its NATS listens.

Everything lives under ``ZHIYUAN_DATA_DIR`` (default ``.zhiyuan``): ``install.json``
(NATS port and per-service passwords, 0600), ``token.key``, ``registry-master.key``,
the SQLite databases, JetStream's store and the logs. Delete the directory to start over.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhiyuan_platform.natsconf import generate_passwords

SERVICES = ("registry", "activities", "recognition", "gateway")


def data_dir() -> Path:
    return Path(os.environ.get("ZHIYUAN_DATA_DIR", ".zhiyuan")).resolve()


@dataclass
class Install:
    root: Path
    nats_port: int
    nats_http_port: int
    passwords: dict[str, str]

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    def save(self) -> None:
        path = self.root / "install.json"
        body = json.dumps(
            {"nats_port": self.nats_port, "nats_http_port": self.nats_http_port, "passwords": self.passwords},
            indent=2,
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)


def load(root: Path | None = None) -> Install | None:
    root = root or data_dir()
    path = root / "install.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return Install(root, int(data["nats_port"]), int(data["nats_http_port"]), dict(data["passwords"]))


def load_or_create(root: Path, *, nats_port: int, nats_http_port: int) -> Install:
    existing = load(root)
    if existing is not None:
        return existing
    root.mkdir(parents=True, exist_ok=True)
    install = Install(root, nats_port, nats_http_port, generate_passwords())
    install.save()
    return install
