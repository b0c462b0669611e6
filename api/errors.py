"""One JSON error shape everywhere: {"code", "message" (Chinese), "message_en", "details"}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from patentkg.errors import (
    ConfigError,
    InputError,
    PatentkgError,
    QueryFailed,
    QueryTimeout,
    StoreUnavailable,
)

log = logging.getLogger("patentkg.api")


class ErrorBody(BaseModel):
    """The body of every error answer."""

    code: str = Field(description="机器可读的错误代码 / machine-readable code")
    message: str = Field(description="中文说明")
    message_en: str = Field(description="English message")
    details: dict[str, Any] = Field(default_factory=dict,
                                    description="细节，如出错的参数 details.parameter")


class NotFound(PatentkgError):
    code = "not_found"


class Unauthorized(PatentkgError):
    code = "unauthorized"


class Forbidden(PatentkgError):
    code = "forbidden"


class PayloadTooLarge(PatentkgError):
    code = "payload_too_large"


def status_of(exc: PatentkgError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, PayloadTooLarge):
        return 413
    if isinstance(exc, QueryTimeout):
        return 504
    if isinstance(exc, InputError):
        return 400
    if exc.code == "not_built":
        return 501
    if isinstance(exc, StoreUnavailable):
        return 503
    if isinstance(exc, QueryFailed):
        return 500  # a query the client could not influence failed: a server bug
    if isinstance(exc, ConfigError):
        return 500
    return 500


def error_response(status: int, code: str, message: str, message_en: str,
                   details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(code=code, message=message, message_en=message_en, details=details or {})
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def patentkg_error_response(exc: PatentkgError) -> JSONResponse:
    status = status_of(exc)
    code = "query_timeout" if status == 504 else exc.code
    details = dict(exc.details)
    details.pop("cypher", None)  # never echo our Cypher to clients
    if exc.hint:
        details.setdefault("hint", exc.hint)
    if status >= 500:
        log.error("%s: %s", code, exc.one_line())
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, code, exc.message_zh, exc.message_en, details, headers)


_HTTP_MESSAGES = {
    404: ("not_found", "没有这个地址", "no such path"),
    405: ("method_not_allowed", "不支持此请求方法", "method not allowed"),
    406: ("not_acceptable", "无法提供请求的格式", "not acceptable"),
    413: ("payload_too_large", "请求体过大", "request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "unsupported media type"),
}


def _validation_details(exc: RequestValidationError) -> dict[str, Any]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else ""
        name = ".".join(loc[1:]) if len(loc) > 1 else where
        problems.append({"parameter": name, "in": where, "problem": err.get("msg", ""),
                         "type": err.get("type", "")})
    first = problems[0] if problems else {"parameter": "", "problem": ""}
    return {"parameter": first["parameter"], "errors": problems[:20]}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    @app.exception_handler(PatentkgError)
    async def _patentkg(request: Request, exc: PatentkgError) -> JSONResponse:
        return patentkg_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        name = details["parameter"]
        problem = details["errors"][0]["problem"] if details["errors"] else ""
        return error_response(422, "bad_input", f"参数 {name} 无效：{problem}",
                              f"parameter {name!r} is invalid: {problem}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _HTTP_MESSAGES.get(exc.status_code,
                                          ("http_error", "请求无法处理", str(exc.detail)))
        return error_response(exc.status_code, code, zh, en, {"path": request.url.path},
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "服务器内部错误，已记录日志",
                              "internal server error (logged)", {})


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route may give."""
    titles = {400: "参数错误 / bad input", 401: "缺少或无效的 API 密钥 / missing or bad key",
              403: "权限不足 / forbidden", 404: "未找到 / not found",
              413: "请求过大 / too large", 422: "参数校验失败 / validation error",
              501: "功能尚未就绪 / not built yet", 503: "图数据库不可用 / store unavailable",
              504: "查询超时 / query timeout"}
    return {c: {"model": ErrorBody, "description": titles.get(c, "错误 / error")} for c in codes}
