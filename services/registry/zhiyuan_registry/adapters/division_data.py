"""Loads the division tree from the package's data files.

Each city is two files in ``zhiyuan_registry/data``: ``divisions-<code>.csv`` (``code,name,
level,parent``) and ``divisions-<code>.meta.json`` (source, code year, counts), written by
``scripts/extract_divisions.py``. Another city loads the same way once its files are added.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from ..domain.division_tree import DivisionDataError, DivisionTree

DATA_PACKAGE = "zhiyuan_registry.data"
DEFAULT_CITIES: tuple[str, ...] = ("110000",)


def _read(name: str) -> str:
    resource = resources.files(DATA_PACKAGE).joinpath(name)
    if not resource.is_file():
        raise DivisionDataError(f"no division data {name} in {DATA_PACKAGE}")
    return resource.read_text(encoding="utf-8")


def read_meta(city: str) -> dict[str, Any]:
    """The ``.meta.json`` of a city's data: source package and version, ``code_year``, ``counts``."""
    meta: dict[str, Any] = json.loads(_read(f"divisions-{city}.meta.json"))
    return meta


def read_rows(city: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_read(f"divisions-{city}.csv"), newline="")))


def load_tree(cities: Sequence[str] = DEFAULT_CITIES) -> DivisionTree:
    """The checked tree of ``cities`` (cached); ``DivisionDataError`` if a file is missing or
    inconsistent, or its rows do not match the counts of its meta file."""
    return _load(tuple(cities))


@lru_cache(maxsize=8)
def _load(cities: tuple[str, ...]) -> DivisionTree:
    if not cities:
        raise DivisionDataError("no city to load divisions for")
    rows: list[dict[str, str]] = []
    years: dict[str, int] = {}
    for city in cities:
        meta = read_meta(city)
        city_rows = read_rows(city)
        if not city_rows or city_rows[0]["code"] != city or city_rows[0]["level"] != "city":
            raise DivisionDataError(f"divisions-{city}.csv does not start with the city {city}")
        counts = dict(Counter(row["level"] for row in city_rows))
        expected = {level: n for level, n in meta.get("counts", {}).items() if n}
        if counts != expected:
            raise DivisionDataError(f"divisions-{city}.csv counts {counts}; its meta file says {expected}")
        years[city] = int(meta["code_year"])
        rows += city_rows
    return DivisionTree.from_rows(rows, max(years.values()), years=years)
