"""GET /api/v1/divisions…: public, cacheable, forwarded to the registry."""

from collections.abc import Callable

import httpx
import pytest

from zhiyuan_gateway.core.problems import ServiceProblem

from .conftest import FakeBus

Auth = Callable[..., dict[str, str]]
CITIES = {"items": [{"code": "110000", "name": "北京市", "level": "city"}], "year": 2023}
CHAOYANG = {
    "code": "110105",
    "name": "朝阳区",
    "level": "district",
    "items": [{"code": "110105001000", "name": "建外街道", "level": "street"}],
    "year": 2023,
}
YONGANLI = {
    "code": "110105001026",
    "name": "永安里社区居委会",
    "level": "community",
    "parent": "110105001000",
    "path": [
        {"code": "110000", "name": "北京市", "level": "city"},
        {"code": "110105", "name": "朝阳区", "level": "district"},
        {"code": "110105001000", "name": "建外街道", "level": "street"},
        {"code": "110105001026", "name": "永安里社区居委会", "level": "community"},
    ],
    "year": 2023,
}


async def test_list_divisions_without_a_token(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "ListDivisions", CITIES)
    response = await client.get("/api/v1/divisions")
    assert response.status_code == 200
    assert response.json() == CITIES
    assert response.headers["cache-control"] == "public, max-age=3600"
    [call] = bus.calls
    assert (call.context, call.operation, call.payload, call.principal) == (
        "registry",
        "ListDivisions",
        {},
        None,
    )


@pytest.mark.parametrize("code", ["110105", "110105000000", "110105001000"])
async def test_children(client: httpx.AsyncClient, bus: FakeBus, code: str) -> None:
    bus.answer("registry", "DivisionChildren", CHAOYANG)
    response = await client.get(f"/api/v1/divisions/{code}/children")
    assert response.status_code == 200
    assert response.json() == CHAOYANG
    assert response.headers["cache-control"] == "public, max-age=3600"
    [call] = bus.calls
    assert (call.context, call.operation, call.payload, call.principal) == (
        "registry",
        "DivisionChildren",
        {"code": code},
        None,
    )


async def test_get_division(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "GetDivision", YONGANLI)
    response = await client.get("/api/v1/divisions/110105001026")
    assert response.status_code == 200
    assert response.json() == YONGANLI
    assert response.headers["cache-control"] == "public, max-age=3600"
    [call] = bus.calls
    assert (call.operation, call.payload) == ("GetDivision", {"code": "110105001026"})


async def test_a_token_is_not_needed_but_does_no_harm(
    client: httpx.AsyncClient, bus: FakeBus, auth: Auth
) -> None:
    bus.answer("registry", "ListDivisions", CITIES)
    response = await client.get("/api/v1/divisions", headers=auth("volunteer", volunteer="v-1"))
    assert response.status_code == 200
    assert bus.calls[0].principal is None


@pytest.mark.parametrize(
    "code",
    [
        "1101",
        "1101050",
        "11010500100",
        "1101050010261",
        "11010500102x",
        "abcdef",
        "１１０１０５",
        "110105%0A",
    ],
)
@pytest.mark.parametrize("suffix", ["", "/children"])
async def test_bad_codes_are_refused(client: httpx.AsyncClient, bus: FakeBus, code: str, suffix: str) -> None:
    response = await client.get(f"/api/v1/divisions/{code}{suffix}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"].endswith("/invalid-division-code")
    assert "6 位或 12 位数字" in problem["detail"] and "6 or 12 digits" in problem["detail"]
    assert problem["errors"][0]["field"] == "code"
    assert "cache-control" not in response.headers
    assert bus.calls == []


@pytest.mark.parametrize(("path", "operation"), [("", "GetDivision"), ("/children", "DivisionChildren")])
async def test_unknown_code_is_the_registrys_404(
    client: httpx.AsyncClient, bus: FakeBus, path: str, operation: str
) -> None:
    problem = {
        "type": "https://zhiyuan.example.org/problems/division-not-found",
        "title": "Division not found",
        "status": 404,
        "detail": "没有区划代码 110199 / No division has the code 110199",
        "division_code": "110199",
    }
    bus.answer("registry", operation, ServiceProblem(problem))
    response = await client.get(f"/api/v1/divisions/110199{path}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == problem["type"] and body["division_code"] == "110199"
    assert "cache-control" not in response.headers


async def test_registry_down_is_503(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/divisions")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/api/v1/openapi.json")).json()["paths"]
    assert {"/api/v1/divisions", "/api/v1/divisions/{code}", "/api/v1/divisions/{code}/children"} <= set(
        paths
    )
    operation = paths["/api/v1/divisions/{code}/children"]["get"]
    assert "security" not in operation
    [parameter] = operation["parameters"]
    assert parameter["schema"]["pattern"] == "^([0-9]{6}|[0-9]{12})$"
