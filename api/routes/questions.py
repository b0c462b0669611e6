"""The question catalogue: list it, answer one question as JSON pages or a whole CSV/XLSX file."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.datastructures import QueryParams

from api import export
from api.deps import StoreDep, require_read
from api.errors import NotFound, error_responses
from graph.store import Store
from queries import catalogue
from queries.catalogue import MAX_LIMIT, Question

Format = Literal["json", "csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGING_NAMES = frozenset({"limit", "offset", "format"})


class ColumnInfo(BaseModel):
    name: str
    title_zh: str
    type: str = Field(description="str | int | float | bool | list | entity")


class ParamInfo(BaseModel):
    model_config = {"extra": "allow"}

    name: str
    required: bool
    type: str = Field(description="JSON schema 类型")
    title: str = Field(description="中文名称")
    description: str = ""


class QuestionInfo(BaseModel):
    name: str = Field(description="问题名，用于 /api/questions/{name}")
    title_zh: str
    description_zh: str
    measures: str = Field(description="对应的行动方案措施，如 §1, §3")
    params: list[ParamInfo]
    columns: list[ColumnInfo]


class QuestionAnswer(BaseModel):
    question: str
    params: dict[str, Any] = Field(description="校验后的参数")
    columns: list[ColumnInfo]
    rows: list[dict[str, Any]]
    offset: int
    limit: int
    has_more: bool = Field(description="是否还有下一页")
    next_offset: int | None = Field(description="下一页的 offset；没有下一页时为 null")


def question_or_404(name: str) -> Question:
    questions = catalogue.load_all()
    if name not in questions:
        raise NotFound(f"没有名为 {name} 的问题", f"no question named {name!r}",
                       hint="GET /api/questions lists them",
                       details={"parameter": "name", "expected": sorted(questions)})
    return questions[name]


def raw_params(q: Question, query: QueryParams, reserved: frozenset[str]) -> dict[str, Any]:
    """The question's parameters from the query string (lists repeated or comma-separated);
    unknown names are passed on so that the catalogue names them in its error."""
    types = {p.name: p.type for p in q.params}
    raw: dict[str, Any] = {}
    for name in query:
        if name in reserved:
            continue
        values = query.getlist(name)
        raw[name] = values if types.get(name) == "list" and len(values) > 1 else values[-1]
    return raw


def _download(store: Store, q: Question, raw: dict[str, Any], fmt: Format) -> Response:
    rows: Iterator[dict[str, Any]] = catalogue.iter_rows(store, q.name, raw)
    # The first page runs before the answer starts, so bad parameters still get a 4xx.
    first = next(rows, None)
    columns = export.columns_for(q.columns, first)
    all_rows = itertools.chain([first], rows) if first is not None else iter(())
    if fmt == "csv":
        return StreamingResponse(
            export.csv_chunks(columns, all_rows), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": export.content_disposition(q.title_zh, q.name, "csv")})
    body = export.xlsx_bytes(columns, all_rows, sheet_title=q.title_zh)
    return Response(body, media_type=XLSX_TYPE, headers={
        "Content-Disposition": export.content_disposition(q.title_zh, q.name, "xlsx")})


def answer_question(store: Store, q: Question, request: Request, limit: int, offset: int,
                    fmt: Format) -> Any:
    raw = raw_params(q, request.query_params, PAGING_NAMES)
    if fmt != "json":
        return _download(store, q, raw, fmt)
    return catalogue.ask(store, q.name, raw, limit=limit, offset=offset).to_json()


LimitQ = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页行数（1-1000）")]
OffsetQ = Annotated[int, Query(ge=0, description="从第几行开始（0 起）；下一页用 next_offset")]
FormatQ = Annotated[Format, Query(
    description="json：一页；csv / xlsx：下载全部结果（中文列名）")]

ANSWER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "一页结果（json）或全部结果的文件（csv / xlsx）",
          "content": {"text/csv": {"schema": {"type": "string"}},
                      XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
    **error_responses(400, 401, 404, 422, 503, 504)}


def build_router() -> APIRouter:
    """The catalogue routes; each question also gets its own documented path."""
    router = APIRouter(prefix="/api/questions", tags=["问题 questions"],
                       dependencies=[Depends(require_read)])

    @router.get("", response_model=list[QuestionInfo], summary="问题目录",
                responses=error_responses(401))
    def list_questions() -> list[dict[str, Any]]:
        """全部业务问题：名称、中文标题、说明、对应措施、参数（JSON Schema）和结果列。"""
        return catalogue.describe_all()

    for q in catalogue.load_all().values():
        router.add_api_route(
            f"/{q.name}", _question_endpoint(q), methods=["GET"], summary=q.title_zh,
            description=f"{q.description_zh}\n\n对应措施：{q.measures}",
            response_model=QuestionAnswer, responses=ANSWER_RESPONSES,
            openapi_extra={"parameters": [_openapi_param(p) for p in q.params]},
            name=f"question_{q.name}", operation_id=f"question_{q.name}")

    @router.get("/{name}", response_model=QuestionAnswer, responses=ANSWER_RESPONSES,
                include_in_schema=False)
    def any_question(name: str, request: Request, store: StoreDep, limit: LimitQ = 50,
                     offset: OffsetQ = 0, format: FormatQ = "json") -> Any:
        return answer_question(store, question_or_404(name), request, limit, offset, format)

    return router


def _question_endpoint(q: Question) -> Any:
    def endpoint(request: Request, store: StoreDep, limit: LimitQ = 50, offset: OffsetQ = 0,
                 format: FormatQ = "json") -> Any:
        return answer_question(store, q, request, limit, offset, format)

    endpoint.__name__ = f"question_{q.name}"
    return endpoint


def _openapi_param(p: catalogue.Param) -> dict[str, Any]:
    schema = p.json_schema()
    if p.type in ("str", "list") and p.required:
        # an empty value counts as missing, so a required text must not be empty
        (schema["items"] if p.type == "list" else schema)["minLength"] = 1
        if p.type == "list":
            schema["minItems"] = 1
    elif not p.required and p.type in ("enum", "int", "float", "bool"):
        # An empty value means "not set" (a web form's unselected field): say so in the schema.
        schema = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
    out: dict[str, Any] = {"name": p.name, "in": "query", "required": p.required,
                           "description": p.description_zh or p.title_zh, "schema": schema}
    if p.type == "list":
        out.update(style="form", explode=True)
    return out
