"""Serve the portals' static files: ``/`` (the landing page) and ``/portal/<file>``.

The pages are plain HTML + ES modules + CSS (no build step) and use only the public
``/api/v1``; this router serves files and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

STATIC_DIR = (Path(__file__).parent / "static").resolve()

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# Pages fetch everything else from /api/v1 on the same origin; nothing else may be loaded.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _file(relative: str) -> FileResponse:
    path = (STATIC_DIR / relative).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file() or path.suffix not in _MEDIA_TYPES:
        raise HTTPException(status_code=404, detail="No such portal page")
    return FileResponse(path, media_type=_MEDIA_TYPES[path.suffix], headers=_HEADERS)


@router.get("/")
async def landing() -> FileResponse:
    return _file("index.html")


@router.get("/portal")
async def portal_root() -> RedirectResponse:
    return RedirectResponse("/", status_code=308)


@router.get("/portal/{relative:path}")
async def portal_file(relative: str) -> FileResponse:
    return _file(relative or "index.html")
