"""The tree of administrative divisions: city → district → street/township → community/village.

Codes follow the National Bureau of Statistics' 统计用区划代码: a city and its districts
carry six-digit GB/T 2260 codes (``110000``, ``110105``); streets/townships and
communities/villages carry twelve digits (``110105001000``, ``110105001026``). The first
nine digits of a community are its street's, the first six its district's. A district may
also be named in its twelve-digit form (``110105000000``); the tree answers with the
six-digit one.

Pure: the rows come from an adapter; building a tree checks that every division nests
under its parent and raises ``DivisionDataError`` otherwise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CITY, DISTRICT, STREET, COMMUNITY = "city", "district", "street", "community"
LEVELS: tuple[str, ...] = (CITY, DISTRICT, STREET, COMMUNITY)

_SIX = re.compile(r"[0-9]{6}")
_TWELVE = re.compile(r"[0-9]{12}")
_SHAPES = {
    CITY: re.compile(r"[0-9]{4}00"),
    DISTRICT: re.compile(r"[0-9]{6}"),
    STREET: re.compile(r"[0-9]{9}000"),
    COMMUNITY: re.compile(r"[0-9]{12}"),
}
_LEVEL_ZH = {CITY: "市", DISTRICT: "区（县）", STREET: "街道（乡镇）", COMMUNITY: "社区（村）"}

# Why a code is refused (``UnknownDivision.kind``).
MALFORMED = "malformed"
UNKNOWN = "unknown"
NOT_A_COMMUNITY = "not-a-community"
MISMATCH = "mismatch"


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: str
    parent: str | None

    @property
    def district(self) -> str | None:
        """The six-digit district code this division lies in (None for a city)."""
        return None if self.level == CITY else self.code[:6]


class UnknownDivision(ValueError):
    """A code that does not name the division asked for; ``kind`` says why."""

    def __init__(self, code: str, reason_zh: str, reason_en: str, *, kind: str = UNKNOWN) -> None:
        super().__init__(f"{code}: {reason_en}")
        self.code = code
        self.reason_zh = reason_zh
        self.reason_en = reason_en
        self.kind = kind

    @property
    def detail(self) -> str:
        """Chinese and English, for a problem's ``detail``."""
        return f"{self.reason_zh} / {self.reason_en}"


class DivisionDataError(ValueError):
    """The division data is inconsistent (a bad code, a missing parent, a broken nesting)."""


def normalize(code: str) -> str:
    """The tree's key for ``code``: a twelve-digit city or district code becomes six digits."""
    if _TWELVE.fullmatch(code) and code.endswith("000000"):
        return code[:6]
    return code


def _nests(level: str, code: str, parent: Division) -> bool:
    if level == DISTRICT:
        prefix = parent.code[:2] if parent.code.endswith("0000") else parent.code[:4]
        return code.startswith(prefix) and code != parent.code
    if level == STREET:
        return code[:6] == parent.code
    return code[:9] == parent.code[:9] and code[9:] != "000"


class DivisionTree:
    """An immutable, checked tree of divisions with the code year of its data."""

    def __init__(
        self, divisions: Iterable[Division], year: int, *, years: Mapping[str, int] | None = None
    ) -> None:
        self.year = year
        self._by_code: dict[str, Division] = {}
        self._children: dict[str, list[Division]] = {}
        pending: list[Division] = []
        for division in divisions:
            if division.level not in LEVELS:
                raise DivisionDataError(f"{division.code}: unknown level {division.level!r}")
            if not _SHAPES[division.level].fullmatch(division.code):
                raise DivisionDataError(f"{division.code}: not a {division.level} code")
            if division.code in self._by_code:
                raise DivisionDataError(f"{division.code}: listed twice")
            if not division.name.strip():
                raise DivisionDataError(f"{division.code}: no name")
            if division.level == CITY and division.parent:
                raise DivisionDataError(f"{division.code}: a city has no parent")
            self._by_code[division.code] = division
            self._children[division.code] = []
            pending.append(division)
        for division in pending:
            if division.level == CITY:
                continue
            parent = self._by_code.get(division.parent or "")
            expected = LEVELS[LEVELS.index(division.level) - 1]
            if parent is None or parent.level != expected:
                raise DivisionDataError(
                    f"{division.code}: parent {division.parent} is not a known {expected}"
                )
            if not _nests(division.level, division.code, parent):
                raise DivisionDataError(f"{division.code}: does not nest under its {expected} {parent.code}")
            self._children[parent.code].append(division)
        for children in self._children.values():
            children.sort(key=lambda d: d.code)
        self._cities = sorted((d for d in pending if d.level == CITY), key=lambda d: d.code)
        self.years: dict[str, int] = dict(years) if years else {c.code: year for c in self._cities}

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, str]], year: int, *, years: Mapping[str, int] | None = None
    ) -> DivisionTree:
        """From ``code,name,level,parent`` rows (an empty parent for a city)."""
        return cls(
            (Division(r["code"], r["name"], r["level"], r.get("parent") or None) for r in rows),
            year,
            years=years,
        )

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize(code) in self._by_code

    def counts(self) -> dict[str, int]:
        """How many divisions of each level."""
        counted = Counter(d.level for d in self._by_code.values())
        return {level: counted[level] for level in LEVELS}

    def find(self, code: str) -> Division | None:
        return self._by_code.get(normalize(code)) if isinstance(code, str) else None

    def get(self, code: str) -> Division:
        """The division named by a six- or twelve-digit code, or ``UnknownDivision``."""
        if not isinstance(code, str) or not (_SIX.fullmatch(code) or _TWELVE.fullmatch(code)):
            raise UnknownDivision(
                str(code),
                f"区划代码 {code} 格式不对，须为 6 位或 12 位数字",
                f"{code!s} is not a division code (6 or 12 digits)",
                kind=MALFORMED,
            )
        division = self._by_code.get(normalize(code))
        if division is None:
            raise UnknownDivision(
                code, f"没有区划代码 {code}", f"No division has the code {code}", kind=UNKNOWN
            )
        return division

    def cities(self) -> list[Division]:
        return list(self._cities)

    def children(self, code: str) -> list[Division]:
        """The divisions directly below ``code``, by code (none below a community)."""
        return list(self._children[self.get(code).code])

    def path(self, code: str) -> list[Division]:
        """From the city down to the division itself."""
        division: Division | None = self.get(code)
        chain: list[Division] = []
        while division is not None:
            chain.append(division)
            division = self._by_code.get(division.parent) if division.parent else None
        return chain[::-1]

    def year_of(self, code: str) -> int:
        """The code year of the data ``code`` came from."""
        return self.years.get(self.path(code)[0].code, self.year)

    def district_of(self, code: str) -> Division:
        """The district a district, street or community lies in."""
        found = next((d for d in self.path(code) if d.level == DISTRICT), None)
        if found is None:
            raise UnknownDivision(
                code,
                f"{code} 是市级代码，不属于某个区",
                f"{code} is a city, not within a district",
                kind=MISMATCH,
            )
        return found

    def street_of(self, code: str) -> Division:
        """The street/township a street or community lies in."""
        found = next((d for d in self.path(code) if d.level == STREET), None)
        if found is None:
            level = self.get(code).level
            raise UnknownDivision(
                code,
                f"{code} 是{_LEVEL_ZH[level]}代码，不属于某个街道（乡镇）",
                f"{code} is a {level}, not within a street/township",
                kind=MISMATCH,
            )
        return found

    def validate_community(
        self, code: str, *, district: str | None = None, street: str | None = None
    ) -> Division:
        """The community/village named by a 12-digit ``code``, or ``UnknownDivision`` saying why.

        ``district``/``street``, when given, are what the caller believes the community lies
        in (a form's other fields); a community elsewhere is refused as a mismatch.
        """
        if not isinstance(code, str) or not _TWELVE.fullmatch(code):
            raise UnknownDivision(
                str(code),
                f"社区（村）代码 {code} 须为 12 位数字",
                f"A community/village code has 12 digits; {code!s} does not",
                kind=MALFORMED,
            )
        division = self._by_code.get(normalize(code))
        if division is None:
            raise UnknownDivision(
                code,
                f"没有代码为 {code} 的社区（村）",
                f"No community/village has the code {code}",
                kind=UNKNOWN,
            )
        if division.level != COMMUNITY:
            raise UnknownDivision(
                code,
                f"{code}（{division.name}）是{_LEVEL_ZH[division.level]}代码，这里需要社区（村）代码",
                f"{code} ({division.name}) is a {division.level}; a community/village code is needed here",
                kind=NOT_A_COMMUNITY,
            )
        chain = self.path(code)
        actual_street, actual_district = chain[-2], chain[-3]
        if code[:9] != actual_street.code[:9] or code[:6] != actual_district.code:
            raise UnknownDivision(
                code,
                f"{code} 的前缀与所属街道 {actual_street.code}、区 {actual_district.code} 不符",
                f"{code} does not nest under its street {actual_street.code} and district {actual_district.code}",
                kind=MISMATCH,
            )
        for claimed, actual in ((street, actual_street), (district, actual_district)):
            if claimed is not None and normalize(claimed) != actual.code:
                raise UnknownDivision(
                    code,
                    f"{code}（{division.name}）属于{actual.name}（{actual.code}），不在 {claimed}",
                    f"{code} ({division.name}) lies in {actual.code} ({actual.name}), not in {claimed}",
                    kind=MISMATCH,
                )
        return division
