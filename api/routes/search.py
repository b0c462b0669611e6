"""GET /api/search: Chinese search over patents and entities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from api.deps import StoreDep, require_read
from api.errors import error_responses
from api.labels import module
from patentkg.errors import InputError

# Labels whose full-text index was still being built (their text was not searched).
BUILDING_HEADER = "X-Search-Index-Building"

router = APIRouter(prefix="/api", tags=["检索 search"], dependencies=[Depends(require_read)])


class SearchHit(BaseModel):
    label: str = Field(description="英文标签，如 Patent")
    label_zh: str = Field(description="中文类型，如 专利")
    key: str | int = Field(description="业务主键；用于 /api/entities/{label}/{key}")
    id: str
    caption: str
    score: float
    matched: list[str] = Field(description="命中的检索词")
    snippet: str = Field(description="命中片段")


@router.get("/search", response_model=list[SearchHit], summary="中文检索",
            responses={**error_responses(400, 401, 422, 503, 504), 200: {"headers": {
                BUILDING_HEADER: {"description": "全文索引尚在重建、结果不完整的类型（逗号分隔）",
                                  "schema": {"type": "string"}}}}})
def search(store: StoreDep, response: Response,
           q: Annotated[str, Query(min_length=1, max_length=200, pattern=r"\S",
                                   description="检索词：中文词语、名称、申请号、IPC 分类号…")],
           type: Annotated[str | None, Query(
               description="只检索这些类型（英文或中文，逗号分隔），如 专利,企业")] = None,
           limit: Annotated[int, Query(ge=1, le=200, description="最多返回条数")] = 20,
           ) -> list[dict]:
    """按中文词语、名称或编号检索专利、企业、科研机构、园区等，最相关的在前。

    数据库重启后会在后台重建全文索引（百万级专利需数分钟）：其间仍按编号和名称检索，响应头
    `X-Search-Index-Building` 列出尚未建好、未做全文检索的类型（如 `Patent`），结果不完整。"""
    try:
        result = module("queries.search").search_partial(store, q, types=type or None,
                                                         limit=limit)
    except InputError as exc:
        if exc.details.get("parameter") == "types":
            exc.details["parameter"] = "type"
        raise
    if result.building:  # partial: say so, and keep it out of the response cache
        response.headers[BUILDING_HEADER] = ",".join(result.building)
        response.headers["Cache-Control"] = "no-store"
    return result.hits
