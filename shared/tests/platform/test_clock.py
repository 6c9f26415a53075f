"""The simulated clock: off by default, shared through the data dir, refused in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from zhiyuan_platform.clock import clock_for, write_offset
from zhiyuan_platform.settings import PlatformSettings


def test_off_by_default_follows_the_offset_when_on(tmp_path: Path) -> None:
    write_offset(tmp_path, timedelta(days=-30))
    real = clock_for(PlatformSettings(data_dir=tmp_path))
    simulated = clock_for(PlatformSettings(data_dir=tmp_path, simulated_clock=True))
    now = datetime.now(UTC)
    assert abs(real() - now) < timedelta(seconds=5)
    assert abs(simulated() - (now - timedelta(days=30))) < timedelta(seconds=5)


def test_refused_in_production() -> None:
    with pytest.raises(ValueError, match="SIMULATED_CLOCK"):
        PlatformSettings(env="production", simulated_clock=True, nats_user="u", nats_password="p")
