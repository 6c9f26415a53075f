"""The gateway application: ``create_app(settings, bus)``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from .api.main import build_api_router
from .clients.bus import BusPort
from .core.config import API_PREFIX, GatewaySettings
from .core.middleware import RequestContextMiddleware
from .core.problems import FieldError, Problem, install_problem_handlers
from .core.ratelimit import SlidingWindowLimiter
from .portal.routes import router as portal_router

TITLE = "Zhiyuan gateway 志愿服务网关"
VERSION = "1.0.0"


def _operation_id(route: APIRoute) -> str:
    tag = str(route.tags[0]) if route.tags else "api"
    return f"{tag}-{route.name}"


def _install_openapi(app: FastAPI) -> None:
    """Add the Problem schema the routes' error responses refer to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components["Problem"].pop("$defs", None)
            components["FieldError"] = FieldError.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: GatewaySettings, bus: BusPort) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        try:
            yield
        finally:
            await bus.close()

    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description="The HTTP API of Zhiyuan. Errors are RFC 9457 application/problem+json.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.bus = bus
    app.state.self_registration_limiter = SlidingWindowLimiter(settings.self_registration_per_minute, 60.0)
    app.state.login_limiter = SlidingWindowLimiter(settings.login_attempts_per_minute, 60.0)
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(build_api_router(), prefix=API_PREFIX)
    app.include_router(portal_router)
    _install_openapi(app)
    return app
