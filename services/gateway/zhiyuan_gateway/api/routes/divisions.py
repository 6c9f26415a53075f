"""The division tree (registry context): public, cacheable reference data for registration forms.

Cities at the top; below a city its districts (six-digit GB/T 2260 codes), below a district
its streets/townships and below those the communities/villages (twelve-digit statistical
codes). No token needed.
"""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ...core.problems import ApiProblem, problem_responses
from ..deps import Bus

router = APIRouter(prefix="/divisions", tags=["divisions"])

CACHE_CONTROL = "public, max-age=3600"
CODE_PATTERN = "^([0-9]{6}|[0-9]{12})$"
_CODE = re.compile("[0-9]{6}|[0-9]{12}")

# Checked in the handler (not by FastAPI) so the refusal names the rule in both languages.
DivisionCodePath = Annotated[
    str,
    Path(
        description="a six-digit city/district code (110105) or a twelve-digit street/community code "
        "(110105001000, 110105001026)",
        json_schema_extra={"pattern": CODE_PATTERN},
        examples=["110105"],
    ),
]


class DivisionItem(BaseModel):
    code: str
    name: str
    level: str


class DivisionList(BaseModel):
    items: list[DivisionItem]
    year: int


class DivisionChildren(DivisionItem):
    items: list[DivisionItem]
    year: int


class DivisionDetail(DivisionItem):
    parent: str | None
    path: list[DivisionItem]
    year: int


def _checked(code: str) -> str:
    if not _CODE.fullmatch(code):
        raise ApiProblem(
            422,
            "invalid-division-code",
            "区划代码须为 6 位或 12 位数字 / A division code has 6 or 12 digits",
            title="Request validation failed",
            errors=[
                {
                    "field": "code",
                    "message": "区划代码须为 6 位或 12 位数字 / 6 or 12 digits",
                    "code": "pattern",
                }
            ],
        )
    return code


def _cached(result: Any) -> JSONResponse:
    return JSONResponse(result, headers={"Cache-Control": CACHE_CONTROL})


@router.get(
    "",
    response_model=None,
    summary="The top of the division tree: the cities",
    responses={200: {"model": DivisionList}, **problem_responses(503, 504)},
)
async def list_divisions(bus: Bus) -> JSONResponse:
    return _cached(await bus.request("registry", "ListDivisions", {}, principal=None))


@router.get(
    "/{code}",
    response_model=None,
    summary="A division, its parent and its path from the city",
    responses={200: {"model": DivisionDetail}, **problem_responses(404, 422, 503, 504)},
)
async def get_division(code: DivisionCodePath, bus: Bus) -> JSONResponse:
    payload = {"code": _checked(code)}
    return _cached(await bus.request("registry", "GetDivision", payload, principal=None))


@router.get(
    "/{code}/children",
    response_model=None,
    summary="The divisions directly below a division (none below a community)",
    responses={200: {"model": DivisionChildren}, **problem_responses(404, 422, 503, 504)},
)
async def division_children(code: DivisionCodePath, bus: Bus) -> JSONResponse:
    payload = {"code": _checked(code)}
    return _cached(await bus.request("registry", "DivisionChildren", payload, principal=None))
