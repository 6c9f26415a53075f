"""Administrative division codes: 12-digit statistical codes below GB/T 2260 districts."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMUNITY = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class CommunityCode:
    code: str

    @classmethod
    def parse(cls, raw: str) -> CommunityCode:
        if not _COMMUNITY.match(raw or "") or raw[9:] == "000" or raw[6:9] == "000":
            raise ValueError(f"{raw!r} is not a 12-digit community/village code")
        return cls(raw)

    @property
    def district(self) -> str:
        """Six-digit GB/T 2260 district/county code."""
        return self.code[:6]

    @property
    def street(self) -> str:
        """The 12-digit code of the street/township the community belongs to."""
        return self.code[:9] + "000"

    @property
    def city(self) -> str:
        return self.code[:4] + "00"
