"""Liveness of the gateway and reachability of the services."""

import asyncio
from typing import Any

from fastapi import APIRouter

from zhiyuan_contracts.subjects import CONTEXTS

from ...core.problems import ApiProblem, ServiceProblem, ServiceTimeout, ServiceUnavailable, problem_responses
from ..deps import Bus

router = APIRouter(tags=["health"])

SERVICE_HEALTH_TIMEOUT = 1.0


@router.get("/healthz", summary="The gateway is up and connected to NATS", responses=problem_responses(503))
async def healthz(bus: Bus) -> dict[str, str]:
    if not bus.connected:
        raise ApiProblem(
            503,
            "bus-unavailable",
            "消息总线未连接 / The gateway is not connected to NATS",
            nats="disconnected",
        )
    return {"status": "ok", "nats": "connected"}


async def _service_health(bus: Bus, context: str) -> dict[str, Any]:
    try:
        result = await bus.request(context, "Health", {}, principal=None, timeout=SERVICE_HEALTH_TIMEOUT)
    except ServiceTimeout:
        return {"status": "timeout"}
    except ServiceUnavailable as exc:
        return {"status": "unavailable", "detail": exc.problem.get("detail")}
    except ServiceProblem as exc:
        return {"status": "error", "http_status": exc.status, "detail": exc.problem.get("detail")}
    report = dict(result) if isinstance(result, dict) else {}
    report["status"] = "ok" if report.get("status", "ok") == "ok" else str(report["status"])
    return report


@router.get("/health/services", summary="Each context service's answer to Health (1 s timeout)")
async def services_health(bus: Bus) -> dict[str, Any]:
    answers = await asyncio.gather(*(_service_health(bus, context) for context in CONTEXTS))
    services = dict(zip(CONTEXTS, answers, strict=True))
    healthy = all(answer["status"] == "ok" for answer in answers)
    return {
        "status": "ok" if healthy else "degraded",
        "nats": "connected" if bus.connected else "disconnected",
        "services": services,
    }
