"""The API router: every module in ``api/routes`` that defines ``router`` is included, so a
new resource is one new file."""

import importlib
import pkgutil

from fastapi import APIRouter

from . import routes


def build_api_router() -> APIRouter:
    api_router = APIRouter()
    for module_info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{routes.__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            api_router.include_router(router)
    return api_router
