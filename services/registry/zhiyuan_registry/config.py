"""Registry settings: the platform's plus the master key that wraps personal-data keys."""

from __future__ import annotations

import os

from cryptography.fernet import Fernet
from pydantic_settings import SettingsConfigDict

from zhiyuan_platform.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIYUAN_", extra="ignore")

    registry_master_key: str | None = None

    def master_key(self) -> bytes:
        """The Fernet key wrapping every volunteer's data key.

        Production requires ``ZHIYUAN_REGISTRY_MASTER_KEY``; a local install creates one in
        its data directory on first start (readable by its owner only).
        """
        if self.registry_master_key:
            return self.registry_master_key.encode()
        if self.env == "production":
            raise ValueError("production needs ZHIYUAN_REGISTRY_MASTER_KEY (a Fernet key)")
        path = self.data_dir / "registry-master.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return path.read_bytes().strip()
