"""Queries over the division tree: the cities, a division's children, a division and its path.

The tree is static reference data (loaded once from the package), so the handlers never
touch the database connection they are given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from zhiyuan_platform.rpc import Invalid, NotFound, Request

from ..domain.division_tree import MALFORMED, Division, DivisionTree, UnknownDivision

QueryHandler = Callable[[AsyncConnection, Request], Awaitable[Any]]


class QueryHost(Protocol):
    """What ``wire`` needs of the service host (``ServiceHost`` has it)."""

    def query(self, operation: str, handler: QueryHandler) -> None: ...


def summary(division: Division) -> dict[str, str]:
    """A division as the contract lists it: ``code``, ``name``, ``level``."""
    return {"code": division.code, "name": division.name, "level": division.level}


def refusal(error: UnknownDivision) -> Invalid | NotFound:
    """A malformed code is 422; a well-formed one the tree does not hold is 404."""
    if error.kind == MALFORMED:
        return Invalid("invalid-division-code", error.detail, division_code=error.code, field="code")
    return NotFound("division-not-found", error.detail, division_code=error.code)


class DivisionQueries:
    """Query handlers bound to one tree; ``async (conn, request) -> result``."""

    def __init__(self, tree: DivisionTree) -> None:
        self.tree = tree

    def _division(self, request: Request) -> Division:
        code = request.payload.get("code")
        if not isinstance(code, str):
            raise Invalid(
                "invalid-division-code",
                "缺少区划代码 code（6 位或 12 位数字）/ The payload needs a division code (6 or 12 digits)",
                field="code",
            )
        try:
            return self.tree.get(code)
        except UnknownDivision as error:
            raise refusal(error) from None

    async def list_cities(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        """``ListDivisions``: the top of the tree."""
        return {"items": [summary(city) for city in self.tree.cities()], "year": self.tree.year}

    async def division_children(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        """``DivisionChildren`` ``{"code"}``: the division and the divisions directly below it."""
        division = self._division(request)
        return {
            **summary(division),
            "items": [summary(child) for child in self.tree.children(division.code)],
            "year": self.tree.year_of(division.code),
        }

    async def get_division(self, conn: AsyncConnection, request: Request) -> dict[str, Any]:
        """``GetDivision`` ``{"code"}``: the division, its parent and its path from the city."""
        division = self._division(request)
        return {
            **summary(division),
            "parent": division.parent,
            "path": [summary(step) for step in self.tree.path(division.code)],
            "year": self.tree.year_of(division.code),
        }


def wire(host: QueryHost, tree: DivisionTree) -> DivisionQueries:
    """Register ``ListDivisions``, ``DivisionChildren`` and ``GetDivision`` on ``host``."""
    queries = DivisionQueries(tree)
    host.query("ListDivisions", queries.list_cities)
    host.query("DivisionChildren", queries.division_children)
    host.query("GetDivision", queries.get_division)
    return queries
