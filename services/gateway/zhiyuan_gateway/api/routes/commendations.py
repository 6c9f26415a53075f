"""Commendation lists: compute and notice (公示), objections, resolution, publication."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...core.problems import problem_responses
from ..deps import Bus, CurrentPrincipal, IdempotencyKey, OptionalPrincipal

router = APIRouter(prefix="/commendations", tags=["commendations"])
ListId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
PROBLEMS = problem_responses(400, 401, 403, 404, 409, 415, 422, 503, 504)


class ComputeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["quarterly", "annual", "team"]
    period: str = Field(pattern=r"^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$")
    scope: str = Field(pattern=r"^(city|[0-9]{6})$")


class ObjectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entry: int = Field(ge=1, strict=True)
    reason: str = Field(min_length=4, max_length=1000)


class ResolutionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["uphold", "dismiss"]
    note: str = Field(min_length=2, max_length=1000)


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="Compute a list and open its public notice",
    responses=PROBLEMS,
)
async def compute(
    body: ComputeBody, principal: CurrentPrincipal, bus: Bus, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    result = await bus.request(
        "recognition",
        "ComputeCommendationList",
        body.model_dump(),
        principal=principal,
        idempotency_key=idempotency_key,
    )
    return JSONResponse(result, status_code=201)


@router.get(
    "",
    response_model=None,
    summary="Lists with their state (noticed lists are public too)",
    responses=PROBLEMS,
)
async def list_lists(
    bus: Bus,
    principal: OptionalPrincipal,
    scope: Annotated[str | None, Query(pattern=r"^(city|[0-9]{6})$")] = None,
    state: Literal["noticed", "published"] | None = None,
    kind: Literal["quarterly", "annual", "team"] | None = None,
) -> JSONResponse:
    payload = {k: v for k, v in {"scope": scope, "state": state, "kind": kind}.items() if v is not None}
    return JSONResponse(await bus.request("recognition", "ListCommendations", payload, principal=principal))


@router.get(
    "/{list_id}", response_model=None, summary="One list with its entries and objections", responses=PROBLEMS
)
async def get_list(list_id: ListId, bus: Bus, principal: OptionalPrincipal) -> JSONResponse:
    return JSONResponse(
        await bus.request("recognition", "GetCommendation", {"list_id": list_id}, principal=principal)
    )


@router.post(
    "/{list_id}/objections",
    status_code=201,
    response_model=None,
    summary="Object to an entry during the notice",
    responses=PROBLEMS,
)
async def object_to(
    list_id: ListId,
    body: ObjectionBody,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"list_id": list_id, **body.model_dump()}
    return JSONResponse(
        await bus.request(
            "recognition", "RecordObjection", payload, principal=principal, idempotency_key=idempotency_key
        ),
        status_code=201,
    )


@router.post(
    "/{list_id}/objections/{n}/resolution",
    response_model=None,
    summary="Uphold (the entry is removed) or dismiss, with a note",
    responses=PROBLEMS,
)
async def resolve(
    list_id: ListId,
    n: Annotated[int, Path(ge=1)],
    body: ResolutionBody,
    principal: CurrentPrincipal,
    bus: Bus,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    payload = {"list_id": list_id, "objection_no": n, "upheld": body.decision == "uphold", "note": body.note}
    return JSONResponse(
        await bus.request(
            "recognition", "ResolveObjection", payload, principal=principal, idempotency_key=idempotency_key
        )
    )


@router.post(
    "/{list_id}/publish",
    response_model=None,
    summary="Publish after the notice ends; immutable afterwards",
    responses=PROBLEMS,
)
async def publish(
    list_id: ListId, principal: CurrentPrincipal, bus: Bus, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return JSONResponse(
        await bus.request(
            "recognition",
            "PublishCommendationList",
            {"list_id": list_id},
            principal=principal,
            idempotency_key=idempotency_key,
        )
    )
