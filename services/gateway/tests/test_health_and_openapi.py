import httpx

from zhiyuan_gateway.core.problems import ServiceProblem, ServiceTimeout

from .conftest import FakeBus


async def test_healthz(client: httpx.AsyncClient, bus: FakeBus) -> None:
    response = await client.get("/api/v1/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "nats": "connected"}
    bus.connected = False
    response = await client.get("/api/v1/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


async def test_services_health(client: httpx.AsyncClient, bus: FakeBus) -> None:
    bus.answer("registry", "Health", {"status": "ok", "outbox_pending": 3, "consumers": []})
    bus.answer("activities", "Health", ServiceTimeout({"status": 504, "detail": "slow"}))
    bus.answer("recognition", "Health", ServiceProblem({"status": 500, "detail": "db down"}))
    response = await client.get("/api/v1/health/services")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["registry"] == {"status": "ok", "outbox_pending": 3, "consumers": []}
    assert body["services"]["activities"]["status"] == "timeout"
    assert body["services"]["recognition"]["status"] == "error"
    assert {c.timeout for c in bus.calls} == {1.0}
    assert {c.context for c in bus.calls} == {"registry", "activities", "recognition"}


async def test_services_health_all_ok(client: httpx.AsyncClient, bus: FakeBus) -> None:
    for context in ("registry", "activities", "recognition"):
        bus.answer(context, "Health", {"status": "ok"})
    assert (await client.get("/api/v1/health/services")).json()["status"] == "ok"


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    assert {
        "/api/v1/volunteers",
        "/api/v1/volunteers/{volunteer_id}",
        "/api/v1/volunteers/{volunteer_id}/recognition",
        "/api/v1/healthz",
        "/api/v1/health/services",
    } <= set(paths)
    assert "Problem" in document["components"]["schemas"]
    conflict = paths["/api/v1/volunteers"]["post"]["responses"]["409"]
    assert "application/problem+json" in conflict["content"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    # Self-registration works with or without a token.
    assert {} in paths["/api/v1/volunteers"]["post"]["security"]
    assert (await client.get("/api/v1/docs")).status_code == 200
