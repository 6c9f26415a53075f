"""The AsyncAPI document of the event feed: every subject and payload district systems see."""

import importlib.resources

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(tags=["event feed"])


@router.get("/asyncapi.yaml", summary="The AsyncAPI 3 document of the zy.> event feed (no token)")
async def asyncapi() -> Response:
    text = (importlib.resources.files("zhiyuan_contracts") / "asyncapi" / "zhiyuan.yaml").read_text(encoding="utf-8")
    return Response(text, media_type="application/yaml", headers={"Cache-Control": "public, max-age=3600"})
