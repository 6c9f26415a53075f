"""The division tree as the volunteer handlers see it: a community code, validated."""

from __future__ import annotations

from zhiyuan_platform.rpc import Invalid

from ..domain.divisions import CommunityCode


class CodeShapeDivisions:
    """Accepts any well-formed 12-digit community code (until the real tree is loaded)."""

    def community(self, code: str) -> CommunityCode:
        try:
            return CommunityCode.parse(code)
        except ValueError:
            raise Invalid(
                "community-unknown",
                f"社区代码 {code} 无效。 Community code {code} is not a community/village code.",
                errors=[{"field": "community", "rule": "division_code", "message": "not a community code"}],
            ) from None
