"""Settings from the environment: one object per service, ``ZHIYUAN_`` prefix.

Local (embedded) mode may fall back to the install's generated secrets in the data
directory; production refuses to start without explicit ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIYUAN_", extra="ignore")

    env: Literal["local", "production"] = "local"
    data_dir: Path = Path(".zhiyuan")
    nats_url: str = "nats://127.0.0.1:4222"
    nats_user: str | None = None
    nats_password: str | None = None
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    # 3 on the 3-node cluster of deploy/: each stream then survives the loss of one node.
    stream_replicas: int = 1
    # Retention of the city streams ZY_REGISTRY/ZY_ACTIVITIES/ZY_RECOGNITION: 0 keeps every
    # event forever (the default; district systems replay from the first event).
    stream_max_age_days: float = 0
    # The simulated clock is for a local install's demo and tests only (contract.md).
    simulated_clock: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> PlatformSettings:
        if self.env == "production" and self.simulated_clock:
            raise ValueError("ZHIYUAN_SIMULATED_CLOCK is refused when ZHIYUAN_ENV=production")
        if self.env == "production" and not (self.nats_user and self.nats_password):
            raise ValueError("production needs ZHIYUAN_NATS_USER and ZHIYUAN_NATS_PASSWORD")
        return self


class ServiceSettings(PlatformSettings):
    """A context service (registry, activities, recognition): its own database."""

    database_url: str = Field(default="", description="SQLAlchemy async URL; default: SQLite in data_dir")
    relay_batch_size: int = 500
    relay_idle_seconds: float = 0.05
    # Snapshots of recently loaded aggregates kept in each service process (0: none).
    snapshot_cache_mb: int = Field(default=64, ge=0)

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        if self.env == "production":
            raise ValueError(f"production needs ZHIYUAN_DATABASE_URL for {service}")
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').resolve()}"
