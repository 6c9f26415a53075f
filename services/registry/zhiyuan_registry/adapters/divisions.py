"""The division tree as the registry's handlers see it: a community code, validated."""

from __future__ import annotations

from zhiyuan_platform.rpc import Invalid

from ..domain.division_tree import DivisionTree, UnknownDivision
from ..domain.divisions import CommunityCode


class TreeDivisions:
    """Communities must exist in the loaded tree and nest under their street and district."""

    def __init__(self, tree: DivisionTree) -> None:
        self.tree = tree

    def community(self, code: str, *, field: str = "community") -> CommunityCode:
        try:
            division = self.tree.validate_community(code)
        except UnknownDivision as unknown:
            raise Invalid(
                f"community-{unknown.kind}",
                f"{unknown.reason_zh}。 {unknown.reason_en}.",
                errors=[{"field": field, "rule": f"division_{unknown.kind}", "message": unknown.reason_en}],
            ) from None
        return CommunityCode(division.code)
