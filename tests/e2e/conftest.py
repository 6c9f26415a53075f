"""The whole system as real processes: ``zhiyuan up``'s supervisor in a temporary data dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhiyuan_cli.supervisor import System
from zhiyuan_platform.testing.servers import free_port


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    root: Path = tmp_path_factory.mktemp("zhiyuan-e2e")
    previous = os.environ.get("ZHIYUAN_DATA_DIR")
    os.environ["ZHIYUAN_DATA_DIR"] = str(root)
    running = System(root, gateway_port=free_port(), echo=lambda _line: None)
    try:
        running.start()
        running.wait_ready(timeout=90)
        yield running
    finally:
        running.stop()
        if previous is None:
            os.environ.pop("ZHIYUAN_DATA_DIR", None)
        else:
            os.environ["ZHIYUAN_DATA_DIR"] = previous
