"""domain/ stays pure: standard library, dataclasses/pydantic and the aggregate base only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ALLOWED = {"__future__", "pydantic", "zhiyuan_platform.aggregate"}
DOMAINS = sorted(ROOT.glob("services/*/zhiyuan_*/domain"))


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda p: p.parent.name)
def test_domain_imports_no_io(domain: Path) -> None:
    offenders = []
    for path in domain.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if name in ALLOWED or top in ALLOWED or top in sys.stdlib_module_names:
                    continue
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, "domain/ must not import I/O libraries:\n" + "\n".join(offenders)


def test_there_are_domains_to_check() -> None:
    assert len(DOMAINS) >= 2
