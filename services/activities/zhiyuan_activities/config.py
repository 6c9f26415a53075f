"""Activities settings: the platform's, the rounding policy in force, the attendance-code key
and the missed-check-out sweep's grace period."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from zhiyuan_platform.settings import ServiceSettings

from .domain.rules import MISSED_CHECK_OUT_GRACE, ROUNDING_POLICIES, RoundingPolicy


class ActivitiesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIYUAN_", extra="ignore")

    rounding_policy: str = "exact.v1"
    attendance_secret: str | None = None
    consumer_batch_size: int = 500
    # How long the missed-check-out sweep waits after a slot's end and after a check-in
    # was recorded (ZHIYUAN_MISSED_CHECK_OUT_GRACE_MINUTES).
    missed_check_out_grace_minutes: int = Field(default=int(MISSED_CHECK_OUT_GRACE.total_seconds() // 60), ge=0)

    def policy(self) -> RoundingPolicy:
        if self.rounding_policy not in ROUNDING_POLICIES:
            raise ValueError(f"ZHIYUAN_ROUNDING_POLICY must be one of {sorted(ROUNDING_POLICIES)}")
        return ROUNDING_POLICIES[self.rounding_policy]

    def missed_check_out_grace(self) -> timedelta:
        return timedelta(minutes=self.missed_check_out_grace_minutes)

    def attendance_key(self) -> bytes:
        """Signs the rotating activity codes. Production needs ``ZHIYUAN_ATTENDANCE_SECRET``."""
        if self.attendance_secret:
            return self.attendance_secret.encode()
        if self.env == "production":
            raise ValueError("production needs ZHIYUAN_ATTENDANCE_SECRET")
        path = self.data_dir / "attendance.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
        return path.read_bytes().strip()
