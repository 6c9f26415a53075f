"""RFC 9457 problem details for every answer that is not a success.

The gateway's own refusals are ``ApiProblem``; a service's refusal arrives as a
``ServiceProblem`` and is passed through with its own status and fields. Validation errors
name each bad field and never echo the submitted value (it may be an ID number).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from zhiyuan_platform.logging import current_correlation_id, get_logger
from zhiyuan_platform.rpc import PROBLEM_BASE

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"

log = get_logger("zhiyuan.gateway.problems")


class FieldError(BaseModel):
    field: str
    message: str
    code: str | None = None


class Problem(BaseModel):
    """application/problem+json (RFC 9457); services may add fields such as ``registration_no``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    correlation_id: str | None = None
    errors: list[FieldError] | None = None


def problem_type(code: str) -> str:
    return PROBLEM_BASE + code


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ApiProblem(Exception):
    """A refusal decided by the gateway itself."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _phrase(status)
        self.headers = dict(headers or {})
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        return {
            "type": problem_type(self.code),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


class ServiceProblem(Exception):
    """A problem answered by a service (or on its behalf: timeout, no responders)."""

    def __init__(self, problem: Mapping[str, Any]) -> None:
        body = dict(problem)
        status = body.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            # A reply we cannot trust to carry an HTTP status is the service's fault.
            body["service_status"] = status
            status = 502
        body["status"] = status
        body.setdefault("type", problem_type("service-error"))
        body.setdefault("title", _phrase(status))
        body.setdefault("detail", "")
        super().__init__(str(body["detail"]))
        self.problem = body
        self.status: int = status


class ServiceUnavailable(ServiceProblem):
    """No service is listening, or the message bus is down: 503."""


class ServiceTimeout(ServiceProblem):
    """The service did not answer in time: 504."""


def problem_response(
    request: Request | None,
    status: int,
    body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    content = dict(body)
    content["status"] = status
    if request is not None:
        content.setdefault("instance", request.url.path)
    correlation_id = current_correlation_id()
    if correlation_id:
        content.setdefault("correlation_id", correlation_id)
    return JSONResponse(content, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries pointing at the Problem schema."""
    return {
        status: {
            "description": _phrase(status),
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for status in statuses
    }


# --- validation errors --------------------------------------------------------------------

_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不接受这个字段",
    "string_type": "应为字符串",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不对",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "literal_error": "不在允许的取值中",
    "enum": "不在允许的取值中",
    "list_type": "应为列表",
    "too_long": "条目太多",
    "too_short": "条目太少",
    "date_type": "应为日期 (YYYY-MM-DD)",
    "date_parsing": "应为日期 (YYYY-MM-DD)",
    "date_from_datetime_parsing": "应为日期 (YYYY-MM-DD)",
    "date_from_datetime_inexact": "应为日期 (YYYY-MM-DD)",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
}
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def _field_name(loc: Sequence[Any]) -> tuple[str, str]:
    where = str(loc[0]) if loc and loc[0] in _LOCATIONS else "body"
    rest = loc[1:] if loc and loc[0] in _LOCATIONS else loc
    name = ""
    for part in rest:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return where, name or where


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for error in errors:
        code = str(error.get("type", "value_error"))
        _, field = _field_name(tuple(error.get("loc", ())))
        english = str(error.get("msg", "Invalid value"))
        if code == "extra_forbidden":
            english = "Unknown field; this request does not accept it"
        out.append({"field": field, "message": f"{_ZH.get(code, '取值不对')} / {english}", "code": code})
    return out


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> ApiProblem:
    fields = field_errors(errors)
    names = ", ".join(dict.fromkeys(f["field"] for f in fields))
    return ApiProblem(
        422,
        "validation-error",
        f"请求有 {len(fields)} 处错误：{names} / The request has {len(fields)} invalid field(s): {names}",
        title="Request validation failed",
        errors=fields,
    )


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    malformed = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if malformed is not None:
        loc = tuple(malformed.get("loc", ()))
        position = loc[1] if len(loc) > 1 else "?"
        reason = (malformed.get("ctx") or {}).get("error", "JSON decode error")
        problem = ApiProblem(
            400,
            "malformed-json",
            f"请求体不是有效的 JSON / The request body is not valid JSON: {reason} (at character {position})",
            title="Malformed JSON",
        )
    elif any(
        tuple(e.get("loc", ())) == ("body",) and e.get("type") != "missing" for e in errors
    ) and not _is_json(request.headers.get("content-type")):
        # FastAPI hands a non-JSON body over as bytes; say what is actually wrong.
        problem = ApiProblem(
            415,
            "unsupported-media-type",
            "请求体须为 JSON，请设置 Content-Type: application/json / "
            "The request body must be JSON sent with Content-Type: application/json",
            title="Unsupported media type",
        )
    else:
        problem = validation_problem(errors)
    return problem_response(request, problem.status, problem.to_problem(), problem.headers)


async def _on_api_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem_response(request, exc.status, exc.to_problem(), exc.headers)


async def _on_service_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceProblem)
    if exc.status >= 500:
        log.warning("service_problem", status=exc.status, type=exc.problem.get("type"))
    return problem_response(request, exc.status, exc.problem)


_HTTP_CODES = {
    400: "bad-request",
    401: "authentication-required",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "content-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


def _allowed_methods(request: Request) -> str:
    """The methods the OpenAPI document lists for this path (it knows every router)."""
    import re

    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), request.url.path):
            methods |= {m.upper() for m in operations if m in ("get", "post", "put", "patch", "delete")}
    return ", ".join(sorted(methods))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = str(exc.detail) if exc.detail else _phrase(status)
    if status == 404 and detail == "Not Found":
        detail = f"没有这个地址 / No such resource: {request.method} {request.url.path}"
    elif status == 405:
        # Starlette names only the first route matching the path; a path served by several
        # routers (GET and POST on /volunteers) allows the union of their methods.
        allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
        exc.headers = {**(exc.headers or {}), "Allow": allowed}
        detail = f"不支持这个方法 / {request.method} is not allowed here" + (
            f"; allowed: {allowed}" if allowed else ""
        )
    elif status == 413:
        detail = "请求体太大 / The request body is too large"
    code = _HTTP_CODES.get(status, "http-error")
    body = {"type": problem_type(code), "title": _phrase(status), "status": status, "detail": detail}
    return problem_response(request, status, body, exc.headers)


def internal_error_body() -> dict[str, Any]:
    return {
        "type": problem_type("internal-error"),
        "title": "Internal Server Error",
        "status": 500,
        "detail": "服务器内部错误，已记录 / Internal error; it has been logged "
        "(quote the correlation_id when reporting it)",
    }


async def _on_unhandled(request: Request, exc: Exception) -> JSONResponse:
    # Normally the request middleware answers first; this guards anything outside it.
    log.error("unhandled_error", exc_info=exc)
    return problem_response(request, 500, internal_error_body())


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ApiProblem, _on_api_problem)
    app.add_exception_handler(ServiceProblem, _on_service_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unhandled)
